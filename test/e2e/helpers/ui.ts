// Steps through the UI by role and label, the way a person (or a screen reader) finds things.
import type { Locator, Page } from 'playwright-core';

export async function setNumber(page: Page, label: string, value: number | string): Promise<void> {
  await page.getByLabel(label, { exact: true }).fill(String(value));
}

/** Picks a fixed chain count (Auto off) with the slider. */
export async function setChains(page: Page, k: number): Promise<void> {
  const auto = page.getByLabel('Auto chain count');
  if (await auto.isChecked()) await auto.uncheck();
  await page.getByLabel('Chain count', { exact: true }).fill(String(k));
  await page.getByLabel('Selected chain count').filter({ hasText: `${k} of` }).waitFor();
}

export async function sendMessage(page: Page, text: string): Promise<void> {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
}

export function assistantMessages(page: Page): Locator {
  return page.getByRole('article', { name: 'Assistant message' });
}

/** Waits until no reply is streaming (the Send button is back). */
export async function waitForReplyEnd(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Send', exact: true }).waitFor();
  await page.waitForFunction(() => document.querySelector('[data-streaming="true"]') === null);
}

/** The chain count of every token in the strip under an assistant message. */
export async function stripChains(message: Locator): Promise<number[]> {
  return message.locator('.chain-seg').evaluateAll((segs) => segs.map((s) => Number(s.getAttribute('data-chains'))));
}

/** Waits for the header to name `name`; on failure says what the server and its state were. */
export async function waitForModel(page: Page, name: string, serverOutput: () => string): Promise<void> {
  try {
    await page.getByLabel('Loaded model').filter({ hasText: name }).waitFor();
  } catch (error) {
    const state = await page.evaluate(() => fetch('/api/state').then((r) => r.text())).catch((e: Error) => e.message);
    throw new Error(`${name} never showed as loaded: ${(error as Error).message}\n/api/state: ${state}\ncolm serve said:\n${serverOutput()}`);
  }
}
