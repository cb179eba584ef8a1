// A GGUF file in browser mode: Open… offers .gguf files and loads one, and the model library says
// what it is (family, quant type, context length, GGUF file). The same file opened again, or
// dropped on the window, stays one library entry.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';

import { writeLlamaGguf } from '../../bench/gguf-writer.js';
import { writeSyntheticCheckpoint } from '../helpers/synthetic.js';
import { launchChromium, screenshot, type Browser } from './helpers/browser.js';
import { startColmServe, type ColmServe } from './helpers/colm-serve.js';
import { waitForModel } from './helpers/ui.js';

const scratch = mkdtempSync(join(tmpdir(), 'colm-e2e-gguf-'));
const GGUF = join(scratch, 'tiny-llama.Q8_0.gguf');
let serve: ColmServe;
let browser: Browser;

beforeAll(async () => {
  // A dense Llama (byte-level BPE vocabulary of 300), as llama.cpp's converter would store it in Q8_0.
  const dense = join(scratch, 'dense.safetensors');
  await writeSyntheticCheckpoint(dense, { hiddenSize: 64, intermediateSize: 128, layers: 2, heads: 4, kvHeads: 2, chains: [1], seed: 3 });
  await writeLlamaGguf(dense, GGUF, 'Q8_0');
  [serve, browser] = await Promise.all([startColmServe('test/fixtures/models/tied_f16.safetensors'), launchChromium()]);
  await browser.page.goto(serve.url);
  await waitForModel(browser.page, 'tied_f16.safetensors', serve.output);
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

test('Open… takes a .gguf file; the library lists it once with family, quant type, context and kind', async () => {
  const page = browser.page;
  expect(await page.getByLabel('Checkpoint file', { exact: true }).getAttribute('accept')).toContain('.gguf');
  const entries = page.getByRole('region', { name: 'Model library' }).getByRole('listitem', { name: 'Library model tiny-llama.Q8_0.gguf' });

  await page.getByLabel('Checkpoint file', { exact: true }).setInputFiles(GGUF);
  await page.getByLabel('Loaded model').filter({ hasText: 'tiny-llama.Q8_0.gguf' }).waitFor();
  await entries.first().waitFor();
  expect(await entries.first().getByLabel('Model details').textContent()).toMatch(/^llama · Q8_0 · context \d+ · GGUF file$/);

  // Back to another model, then the same file again: by Open…, then dropped on the window.
  await page.getByLabel('Load tied_f16.safetensors').click();
  await page.getByLabel('Loaded model').filter({ hasText: 'tied_f16.safetensors' }).waitFor();
  await page.getByLabel('Checkpoint file', { exact: true }).setInputFiles(GGUF);
  await page.getByLabel('Loaded model').filter({ hasText: 'tiny-llama.Q8_0.gguf' }).waitFor();
  await page.getByLabel('Load tied_f16.safetensors').click();
  await page.getByLabel('Loaded model').filter({ hasText: 'tied_f16.safetensors' }).waitFor();
  await page.evaluate(
    ({ base64, name }) => {
      const raw = atob(base64);
      const data = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) data[i] = raw.charCodeAt(i);
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], name));
      const target = document.querySelector('.message-list')!;
      for (const type of ['dragenter', 'dragover', 'drop']) target.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
    },
    { base64: readFileSync(GGUF).toString('base64'), name: 'tiny-llama.Q8_0.gguf' },
  );
  await page.getByLabel('Loaded model').filter({ hasText: 'tiny-llama.Q8_0.gguf' }).waitFor();
  await page.waitForTimeout(300); // the library is refreshed after the load
  expect(await entries.count()).toBe(1);
  await screenshot(page, 'gguf-library');
});
