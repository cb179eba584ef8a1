// What a newcomer sees after `npm start`: `colm serve` with no model opens the shipped default
// model (models/colm-default.safetensors), and a message gets a streamed English-looking reply
// whose strip shows the chain count of every token. The README's picture comes from this test
// (UPDATE_DOCS_SCREENSHOT=1 npm test).
import { afterAll, beforeAll, expect, test } from 'vitest';

import { launchChromium, screenshot, type Browser } from './helpers/browser.js';
import { startColmServe, type ColmServe } from './helpers/colm-serve.js';
import { assistantMessages, sendMessage, setChains, setNumber, stripChains, waitForModel, waitForReplyEnd } from './helpers/ui.js';

let serve: ColmServe;
let browser: Browser;

beforeAll(async () => {
  [serve, browser] = await Promise.all([startColmServe(null, {}, ['--simulate-power', 'test/e2e/fixtures/power-on-ac.json']), launchChromium()]);
  await browser.page.goto(serve.url);
  await waitForModel(browser.page, 'colm-default.safetensors', serve.output);
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
});

test('the default model loads without being named and answers in English words at 3 of 4 chains', async () => {
  const page = browser.page;
  await setNumber(page, 'Temperature', 0.7);
  await setNumber(page, 'Seed', 7);
  await setNumber(page, 'Max tokens', 48);
  await setChains(page, 3);
  await sendMessage(page, 'Tell me about the old town by the river.');
  await waitForReplyEnd(page);
  const reply = assistantMessages(page).last();
  const text = await reply.innerText();
  // A model that learned English writes common short words; random weights would not.
  const words = text.toLowerCase().match(/\b(the|of|and|to|a|in|was|he|it|that|is)\b/g) ?? [];
  expect(words.length, text).toBeGreaterThanOrEqual(3);
  const chains = await stripChains(reply);
  expect(chains.length).toBeGreaterThan(5);
  expect(new Set(chains)).toEqual(new Set([3]));
  await screenshot(page, 'default-model', 'docs/screenshot.png');
});
