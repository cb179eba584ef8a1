// generation_config.json's sampling values in the window: the settings panel shows them as the
// model's defaults ("0.6 (model default)") where the user set nothing, the app's own elsewhere.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';

import { realTokenizer, writeScriptedModel } from '../integration/scripted-model.js';
import { launchChromium, screenshot, type Browser } from './helpers/browser.js';
import { startColmServe, type ColmServe } from './helpers/colm-serve.js';
import { waitForModel } from './helpers/ui.js';

const scratch = mkdtempSync(join(tmpdir(), 'colm-e2e-defaults-'));
const MODEL = join(scratch, 'with-defaults.safetensors');
let serve: ColmServe;
let browser: Browser;

beforeAll(async () => {
  await writeScriptedModel(MODEL, { tokenizer: realTokenizer('llama2'), script: [], generationConfig: { temperature: 0.6, top_p: 0.9 } });
  [serve, browser] = await Promise.all([startColmServe(MODEL), launchChromium()]);
  await browser.page.goto(serve.url);
  await waitForModel(browser.page, 'with-defaults.safetensors', serve.output);
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

test('the settings panel shows the model defaults of generation_config.json', async () => {
  const page = browser.page;
  const placeholder = (label: string) => page.getByLabel(label, { exact: true }).getAttribute('placeholder');
  expect(await placeholder('Temperature')).toBe('0.6 (model default)');
  expect(await placeholder('Top-p')).toBe('0.9 (model default)');
  expect(await placeholder('Top-k')).toBe('40 (default)');
  expect(await page.getByLabel('Temperature', { exact: true }).inputValue()).toBe('');
  await screenshot(page, 'model-defaults');
});
