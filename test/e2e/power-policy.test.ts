// The chain policy end to end: `colm serve --simulate-power` replays a machine that is on AC and
// then, 3 s into its script, on battery at 20%. In Chromium, Auto is turned on, the wait between
// automatic changes is set to 0 in the rules editor (so the script's clock is the test's), the
// script is replayed from its start, and a long reply is asked for: the battery drops mid-reply,
// the strip under it shows 4 chains falling to 1, and the badge says it is the battery. The API's
// chains: "auto" follows the same policy.
// Tokens come every 30 ms (COLM_HOST_TOKEN_DELAY_MS): the drop, seen 3-5 s after the replay
// starts, lands inside a reply that would run for about 6.5 s to the context's end.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { launchChromium, screenshot, type Browser } from './helpers/browser.js';
import { startColmServe, type ColmServe } from './helpers/colm-serve.js';
import { assistantMessages, sendMessage, setChains, setNumber, stripChains, waitForModel, waitForReplyEnd } from './helpers/ui.js';

let serve: ColmServe;
let browser: Browser;

beforeAll(async () => {
  [serve, browser] = await Promise.all([
    startColmServe('test/fixtures/models/air4_f32.safetensors', { COLM_HOST_TOKEN_DELAY_MS: '30' }, ['--simulate-power', 'test/e2e/fixtures/power-battery-drop.json']),
    launchChromium(),
  ]);
  await browser.page.goto(serve.url);
  await waitForModel(browser.page, 'air4_f32.safetensors', serve.output);
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
});

describe('chains that follow the (simulated) machine', () => {
  test('a battery drop mid-reply shrinks the chain count: the strip shows 4 then 1, the badge says battery', async () => {
    const page = browser.page;
    expect(serve.output()).toMatch(/Chain policy: simulated power from test\/e2e\/fixtures\/power-battery-drop\.json/);
    await setNumber(page, 'Temperature', 0);
    await setNumber(page, 'Repeat penalty', 1);
    await setNumber(page, 'Max tokens', 240);

    // Auto really switches: a pinned count has no policy badge; Auto brings it.
    await setChains(page, 2);
    const badge = page.getByLabel('Chain policy reason');
    expect(await badge.count()).toBe(0);
    await page.getByLabel('Auto chain count').check();
    await expect.poll(() => badge.textContent()).toMatch(/^\d\/4 chains: .*simulated \(power-battery-drop\.json\)$/);

    // No wait between automatic changes, so the count follows the script's clock exactly.
    await page.getByText('Auto rules').click();
    await setNumber(page, 'Seconds between automatic changes', 0);
    await page.getByRole('button', { name: 'Save rules' }).click();
    await page.getByRole('status', { name: 'Rules saved' }).waitFor();

    // Replay the script from its start: on AC now, on battery at 20% three seconds from now.
    expect(await page.evaluate(() => fetch('/api/policy/simulation/restart', { method: 'POST' }).then((r) => r.status))).toBe(200);
    await expect.poll(() => badge.textContent()).toMatch(/^4\/4 chains: on AC, GPU free/);
    await sendMessage(page, 'Tell me a long story about chains.');

    const reply = assistantMessages(page).last();
    const live = page.locator('[data-streaming="true"]');
    await live.waitFor();
    // Tokens at one chain so far; once the reply has ended (it may end by itself), nothing more comes.
    const onesSoFar = async () => ((await live.count()) === 0 ? Infinity : (await stripChains(live)).filter((k) => k === 1).length);
    await expect.poll(onesSoFar, { timeout: 15_000 }).toBeGreaterThanOrEqual(5);
    if ((await live.count()) > 0) await page.keyboard.press('Escape'); // enough seen: no need to fill the context
    await waitForReplyEnd(page);

    const chains = await stripChains(reply);
    const drop = chains.indexOf(1);
    expect(chains[0], `strip: ${chains.join('')}`).toBe(4);
    expect(drop, `strip: ${chains.join('')}`).toBeGreaterThan(0);
    expect(chains.slice(0, drop).every((k) => k === 4), `strip: ${chains.join('')}`).toBe(true);
    expect(chains.slice(drop).every((k) => k === 1), `strip: ${chains.join('')}`).toBe(true);
    expect(await badge.textContent()).toMatch(/^1\/4 chains: on battery, 20%/);
    expect(await page.getByLabel('Active chains').textContent()).toBe('1/4 chains (auto)');
    // The chart tells the same story, in words for screen readers.
    const chart = page.getByRole('img', { name: /chains .*4 → 1 of 4; battery 90% → 20%/ });
    await expect.poll(() => chart.count()).toBe(1);
    await badge.scrollIntoViewIfNeeded();
    await screenshot(page, 'policy-battery-drop');
  });

  test('the API\'s chains: "auto" follows the same policy (on battery at 20%: one chain)', async () => {
    const response = await fetch(`${serve.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'air4_f32.safetensors', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 6, temperature: 0, chains: 'auto' }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { x_colm: { chains_per_token: number[] } };
    expect(body.x_colm.chains_per_token.length).toBeGreaterThan(0);
    expect(new Set(body.x_colm.chains_per_token)).toEqual(new Set([1]));
  });
});
