// Browser mode end to end: `colm serve` with the 4-chain CoLM-Air fixture and the real engine,
// driven in Chromium. Replies stream, stop mid-stream, follow the chain count chosen between two
// messages (the strip shows it), the conversation survives a reload and exports to files that
// import back, and the model library lists the model.
// The host waits 12 ms after each token (COLM_HOST_TOKEN_DELAY_MS) so the tiny model streams at
// a pace a browser can watch and stop; the chain policy replays a machine on AC with a free GPU
// (--simulate-power), so Auto means every chain whatever machine runs the test; everything else
// is the real path.
import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { launchChromium, screenshot, type Browser } from './helpers/browser.js';
import { startColmServe, type ColmServe } from './helpers/colm-serve.js';
import { assistantMessages, sendMessage, setChains, setNumber, stripChains, waitForModel, waitForReplyEnd } from './helpers/ui.js';

let serve: ColmServe;
let browser: Browser;

beforeAll(async () => {
  [serve, browser] = await Promise.all([
    startColmServe('test/fixtures/models/air4_f32.safetensors', { COLM_HOST_TOKEN_DELAY_MS: '12' }, ['--simulate-power', 'test/e2e/fixtures/power-on-ac.json']),
    launchChromium(),
  ]);
  await browser.page.goto(serve.url);
  await waitForModel(browser.page, 'air4_f32.safetensors', serve.output);
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
});

/** Greedy decoding: the same prompt gives the same reply every run. */
async function useGreedy(maxTokens: number): Promise<void> {
  const page = browser.page;
  await setNumber(page, 'Temperature', 0);
  await setNumber(page, 'Repeat penalty', 1);
  await setNumber(page, 'Max tokens', maxTokens);
}

describe('chat in the browser', () => {
  test('a prompt streams: the reply and its chain strip grow batch by batch, then show their numbers', async () => {
    const page = browser.page;
    await useGreedy(40);
    // Record how many tokens the streaming reply shows at every change of the page.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { seen: number[] }).seen = seen;
      new MutationObserver(() => {
        const live = document.querySelector('[data-streaming="true"]');
        if (live) seen.push(live.querySelectorAll('.chain-seg').length);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await sendMessage(page, 'Hello there');
    await page.getByRole('button', { name: 'Stop generating' }).waitFor();
    await waitForReplyEnd(page);

    const seen = await page.evaluate(() => (window as unknown as { seen: number[] }).seen);
    const distinct = [...new Set(seen.filter((n) => n > 0))];
    expect(distinct.length, `token counts seen while streaming: ${seen.join(',')}`).toBeGreaterThanOrEqual(3);
    expect(distinct).toEqual([...distinct].sort((a, b) => a - b)); // only ever grows

    const reply = assistantMessages(page).last();
    const chains = await stripChains(reply);
    const stats = await reply.getByLabel('Reply statistics').textContent();
    expect(stats).toMatch(new RegExp(`^${chains.length} tokens`));
    expect(chains.length).toBeGreaterThan(3);
    expect(new Set(chains)).toEqual(new Set([4])); // Auto on a simulated machine on AC: every chain
    expect((await reply.textContent())!.length).toBeGreaterThan(0);
    await expect.poll(() => page.getByLabel('Tokens per second').textContent()).toMatch(/^[\d.]+ tok\/s$/);
    expect(await page.getByLabel('Context used').textContent()).toMatch(/^context \d+\/256$/);
    await screenshot(page, 'chat-streamed');
  });

  test('Esc stops a reply mid-stream; what came so far stays', async () => {
    const page = browser.page;
    await page.getByRole('button', { name: 'New chat' }).click();
    await useGreedy(200);
    await setChains(page, 1); // with one chain this prompt runs to the context limit, no early end
    await sendMessage(page, 'Hello there');
    const live = page.locator('[data-streaming="true"]');
    await expect.poll(async () => live.locator('.chain-seg').count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(5);
    await page.keyboard.press('Escape');
    await waitForReplyEnd(page);

    const reply = assistantMessages(page).last();
    const stats = await reply.getByLabel('Reply statistics').textContent();
    expect(stats).toMatch(/stopped/);
    const count = (await stripChains(reply)).length;
    expect(count).toBeGreaterThanOrEqual(5);
    expect(count).toBeLessThan(200);
    await page.waitForTimeout(300);
    expect((await stripChains(reply)).length).toBe(count); // nothing arrives after the stop
  });

  test('the chain count changed between two messages shows in each reply\'s strip', async () => {
    const page = browser.page;
    await page.getByRole('button', { name: 'New chat' }).click();
    await useGreedy(16);
    await setChains(page, 1);
    await sendMessage(page, 'Tell me about chains.');
    await waitForReplyEnd(page);
    await setChains(page, 3);
    await sendMessage(page, 'And with three of them?');
    await waitForReplyEnd(page);

    const replies = assistantMessages(page);
    await expect.poll(() => replies.count()).toBe(2);
    const first = await stripChains(replies.nth(0));
    const second = await stripChains(replies.nth(1));
    expect(first.length).toBeGreaterThan(0);
    expect(second.length).toBeGreaterThan(0);
    expect(new Set(first)).toEqual(new Set([1]));
    expect(new Set(second)).toEqual(new Set([3]));
    expect(await page.getByLabel('Active chains').textContent()).toBe('3/4 chains');
    // Hovering a segment tells which chain count made that token.
    await replies.nth(1).locator('.chain-seg').first().hover();
    await expect.poll(() => replies.nth(1).getByRole('status').textContent()).toMatch(/3 of 4 chains · width 48/);
    await screenshot(page, 'chain-counts', 'docs/screenshot.png');
  });

  test('a reload keeps the conversation, its strips and the list of conversations', async () => {
    const page = browser.page;
    const bodies = () => page.getByRole('log', { name: 'Conversation' }).locator('.user-text, .reply-text, .message-stats').allTextContents();
    const before = await bodies();
    expect(before).toHaveLength(6);
    const strips = await Promise.all([0, 1].map((i) => stripChains(assistantMessages(page).nth(i))));
    await page.reload();
    await page.getByLabel('Loaded model').filter({ hasText: 'air4_f32.safetensors' }).waitFor();
    await expect.poll(() => assistantMessages(page).count()).toBe(2);
    expect(await bodies()).toEqual(before);
    expect(await Promise.all([0, 1].map((i) => stripChains(assistantMessages(page).nth(i))))).toEqual(strips);
    const titles = await page.getByRole('navigation', { name: 'Conversations' }).locator('.conversation-button').allTextContents();
    expect(titles).toEqual(['Tell me about chains.', 'Hello there', 'Hello there']);
    // The settings of this model are kept too.
    expect(await page.getByLabel('Selected chain count').textContent()).toBe('3 of 4');
    await screenshot(page, 'after-reload');
  });

  test('if the engine dies mid-reply, the UI says so, restarts it, and the conversation is intact', async () => {
    const page = browser.page;
    await page.getByRole('button', { name: 'New chat' }).click();
    await useGreedy(200);
    await setChains(page, 1);
    await sendMessage(page, 'Hello there');
    const live = page.locator('[data-streaming="true"]');
    await expect.poll(async () => live.locator('.chain-seg').count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
    const [hostPid] = serve.hostPids();
    expect(hostPid).toBeGreaterThan(0);
    process.kill(hostPid!, 'SIGKILL');

    const notice = page.getByRole('alert', { name: 'Engine notice' });
    await expect.poll(() => notice.textContent(), { timeout: 20_000 }).toMatch(/killed by SIGKILL.*running again; your conversation is intact/);
    await waitForReplyEnd(page);
    expect(await page.getByLabel('Engine', { exact: true }).textContent()).toBe('engine ready');
    expect(serve.hostPids()).not.toContain(hostPid);
    const reply = assistantMessages(page).last();
    expect(await reply.getByRole('note').textContent()).toMatch(/SIGKILL/);
    expect((await stripChains(reply)).length).toBeGreaterThanOrEqual(3); // what streamed before the crash stays

    // The conversation goes on with the restarted engine (the model was loaded again).
    await setNumber(page, 'Max tokens', 8);
    await sendMessage(page, 'Still there?');
    await waitForReplyEnd(page);
    await expect.poll(() => assistantMessages(page).count()).toBe(2);
    expect(new Set(await stripChains(assistantMessages(page).last()))).toEqual(new Set([1]));
    expect(await page.getByRole('log', { name: 'Conversation' }).locator('.user-text').allTextContents()).toEqual(['Hello there', 'Still there?']);
    await screenshot(page, 'engine-restarted');
  });

  test('the conversation exports as Markdown and JSON, the JSON imports back, and the library lists the model', async () => {
    const page = browser.page;
    const userTexts = () => page.getByRole('log', { name: 'Conversation' }).locator('.user-text').allTextContents();
    const before = await userTexts();
    const titlesNow = () => page.getByRole('navigation', { name: 'Conversations' }).locator('.conversation-button').allTextContents();
    const title = await page.getByRole('navigation', { name: 'Conversations' }).locator('[aria-current="true"]').textContent();
    const sameTitle = (await titlesNow()).filter((t) => t === title).length;

    const [markdown] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export conversation as Markdown' }).click()]);
    expect(markdown.suggestedFilename()).toMatch(/\.md$/);
    const md = readFileSync((await markdown.path())!, 'utf8');
    expect(md).toContain(`# ${title}`);
    expect(md).toContain('## You\n\nStill there?');
    expect(md).toMatch(/tokens by chain count: 1×\d+/);

    const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export conversation as JSON' }).click()]);
    const exported = JSON.parse(readFileSync((await json.path())!, 'utf8'));
    expect(exported).toMatchObject({ kind: 'colm-conversation', version: 1, conversation: { title } });

    await page.getByRole('button', { name: 'New chat' }).click();
    await page.getByLabel('Conversation file').setInputFiles((await json.path())!);
    await page.getByRole('status', { name: 'Chat notice' }).filter({ hasText: `Imported "${title}"` }).waitFor();
    expect(await userTexts()).toEqual(before);
    expect((await titlesNow()).filter((t) => t === title)).toHaveLength(sameTitle + 1); // the imported copy beside the original

    const entry = page.getByRole('region', { name: 'Model library' }).getByRole('listitem', { name: 'Library model air4_f32.safetensors' });
    await expect.poll(() => entry.textContent()).toMatch(/CoLM-Air · 4 chains/);
    await screenshot(page, 'exported-and-imported');
  });
});
