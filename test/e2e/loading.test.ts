// Loading checkpoints in browser mode: a file dropped on the window (a synthesised DataTransfer
// with a File made from the fixture's bytes), the Open file and Open folder pickers, and a bad
// file, which shows the loader's message in the error panel while the loaded model stays.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { launchChromium, screenshot, type Browser } from './helpers/browser.js';
import { startColmServe, type ColmServe } from './helpers/colm-serve.js';
import { assistantMessages, sendMessage, setNumber, stripChains, waitForModel, waitForReplyEnd } from './helpers/ui.js';

let serve: ColmServe;
let browser: Browser;

beforeAll(async () => {
  [serve, browser] = await Promise.all([startColmServe('test/fixtures/models/tied_f16.safetensors'), launchChromium()]);
  await browser.page.goto(serve.url);
  await waitForModel(browser.page, 'tied_f16.safetensors', serve.output);
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
});

describe('loading models in the browser', () => {
  test('a checkpoint dropped anywhere on the window is uploaded, loaded and chatted with', async () => {
    const page = browser.page;
    const bytes = readFileSync('test/fixtures/models/air4_f32.safetensors').toString('base64');
    await page.evaluate(
      ({ base64, name }) => {
        const raw = atob(base64);
        const data = new Uint8Array(raw.length);
        for (let i = 0; i < raw.length; i++) data[i] = raw.charCodeAt(i);
        const transfer = new DataTransfer();
        transfer.items.add(new File([data], name));
        const target = document.querySelector('.message-list')!;
        for (const type of ['dragenter', 'dragover', 'drop']) {
          target.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
        }
      },
      { base64: bytes, name: 'air4_f32.safetensors' },
    );
    await page.getByLabel('Loaded model').filter({ hasText: 'air4_f32.safetensors' }).waitFor();
    expect(await page.getByLabel('Loaded model').textContent()).toMatch(/CoLM-Air · 4 chains \{1, 1, 1, 1\}/);
    expect(await page.getByLabel('Chain count', { exact: true }).getAttribute('max')).toBe('4');
    expect(await page.getByRole('table', { name: 'Sub-models' }).locator('tbody tr').count()).toBe(4);
    expect(await page.locator('.drop-overlay').count()).toBe(0);

    await setNumber(page, 'Temperature', 0); // greedy: this prompt's reply does not end at once
    await setNumber(page, 'Repeat penalty', 1);
    await setNumber(page, 'Max tokens', 6);
    await sendMessage(page, 'Hello there');
    await waitForReplyEnd(page);
    expect((await stripChains(assistantMessages(page).last())).length).toBeGreaterThan(0);
  });

  test('Open… loads a picked file; Open folder… loads a folder checkpoint', async () => {
    const page = browser.page;
    await page.getByLabel('Checkpoint file', { exact: true }).setInputFiles('test/fixtures/models/air_gqa_bf16.safetensors');
    await page.getByLabel('Loaded model').filter({ hasText: 'air_gqa_bf16.safetensors' }).waitFor();

    await page.getByLabel('Checkpoint folder', { exact: true }).setInputFiles('test/fixtures/models/llama_gqa');
    await page.getByLabel('Loaded model').filter({ hasText: 'llama_gqa' }).waitFor();
    expect(await page.getByLabel('Loaded model').textContent()).toMatch(/CoLM · 1 chain \{1\}/);
    expect(await page.getByLabel('Model', { exact: true }).textContent()).toBe('llama_gqa');
  });

  test('a file that is not a checkpoint shows the error panel; the loaded model stays', async () => {
    const page = browser.page;
    await page.getByLabel('Checkpoint file', { exact: true }).setInputFiles({ name: 'broken.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('this is not a checkpoint') });
    const panel = page.getByRole('alert', { name: 'Model load error' });
    await panel.waitFor();
    expect(await panel.getByRole('heading').textContent()).toBe('Could not load broken.safetensors');
    const message = await panel.locator('.error-message').textContent();
    expect(message).toMatch(/^broken\.safetensors: /); // the loader's rule, without the server's upload folder
    expect(message!.split('\n')).toHaveLength(1);
    expect(await page.getByLabel('Model', { exact: true }).textContent()).toBe('llama_gqa');
    await screenshot(page, 'bad-file');
    await panel.getByRole('button', { name: 'Dismiss error' }).click();
    await panel.waitFor({ state: 'detached' });
  });
});
