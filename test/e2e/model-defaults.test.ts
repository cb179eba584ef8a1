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

// The device setting through the real server and engine host: the choices are what the host
// found, the reason for auto's choice is shown, and CPU + Apply reloads the model there.
test('the device choice: auto with its reason, then CPU applied by a reload', async () => {
  const page = browser.page;
  const device = page.getByLabel('Device', { exact: true });
  expect(await device.inputValue()).toBe('auto');
  const values = await device.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  expect(values.slice(0, 2)).toEqual(['auto', 'cpu']);
  expect(values.slice(2).every((v) => /^cuda:\d+$/.test(v))).toBe(true);
  expect(await page.getByLabel('Device reason').textContent()).toMatch(/^cpu: /);
  await device.selectOption('cpu');
  await page.getByLabel('Apply engine settings').click();
  await page.getByLabel('Device reason').filter({ hasText: 'cpu: chosen with --device cpu' }).waitFor();
  expect(await device.inputValue()).toBe('cpu');
  expect(await page.getByLabel('Apply engine settings').isDisabled()).toBe(true);
});
