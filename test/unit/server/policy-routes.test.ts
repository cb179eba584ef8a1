// The chain policy over HTTP: the state carries it, Auto and a pinned count are set with checked
// bodies, rules come back with every problem (or applied), and a simulated script can be replayed
// (404 where the machine is real). No engine work is needed: the host is never started.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { HostClient } from '../../../app/host/host-client.js';
import type { PolicyDriver } from '../../../app/host/policy-driver.js';
import { startChainPolicy } from '../../../app/host/policy-setup.js';
import { startServer, type RunningServer } from '../../../app/server/server.js';
import { sseEvents, startTestServer, type TestServer } from './server-helpers.js';

async function post(url: string, body: unknown) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}

describe('with a simulated machine', () => {
  let dir: string;
  let host: HostClient;
  let policy: PolicyDriver;
  let server: RunningServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'colm-policy-routes-'));
    const timeline = join(dir, 'ac.json');
    writeFileSync(timeline, JSON.stringify({ timeline: [{ at: 0, power: 'ac', battery: 0.9, gpuOthers: 0.05 }] }));
    host = new HostClient();
    policy = await startChainPolicy({ host, simulateFile: timeline });
    server = await startServer({ port: 0, dataDir: dir, rendererDir: dir, hostClient: host, version: 'test', policy });
  });

  afterAll(async () => {
    policy?.stop();
    await server?.close();
    await host?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the state carries the policy: its choice, reason, Auto, rules, history and the script', async () => {
    await expect.poll(async () => ((await (await fetch(`${server.url}/api/state`)).json()) as any).policy.reason).toBe('1/1 chains: on AC, GPU free');
    const { policy: view } = (await (await fetch(`${server.url}/api/state`)).json()) as any;
    expect(view).toMatchObject({ chains: 1, chainCount: 1, auto: true, simulated: { file: 'ac.json' }, rules: { dwellMs: 10_000 } });
    expect(view.history.at(-1)).toMatchObject({ chains: 1, power: 'ac', battery: 0.9, gpuOthers: 0.05, thermal: null });
  });

  test('Auto off and on, and a pinned count, with checked bodies', async () => {
    expect(await post(`${server.url}/api/policy/auto`, { auto: 'yes' })).toMatchObject({ status: 400, json: { error: { message: 'auto must be true or false' } } });
    expect(await post(`${server.url}/api/policy/manual`, { chains: 0 })).toMatchObject({ status: 400, json: { error: { message: expect.stringMatching(/chains must be between 1 and 64/) } } });
    expect(await post(`${server.url}/api/policy/manual`, { chains: 1.5 })).toMatchObject({ status: 400 });
    expect(await post(`${server.url}/api/policy/auto`, { auto: false })).toMatchObject({ status: 200, json: { auto: false, reason: '1/1 chains: manual' } });
    expect(await post(`${server.url}/api/policy/auto`, { auto: true })).toMatchObject({ status: 200, json: { auto: true } });
    expect(await post(`${server.url}/api/policy/manual`, { chains: 1 })).toMatchObject({ status: 200, json: { auto: false, chains: 1 } });
    await post(`${server.url}/api/policy/auto`, { auto: true });
  });

  test('rules: every problem comes back for the editor; good rules are applied and shown', async () => {
    const bad = await post(`${server.url}/api/policy/rules`, { rules: { gpuBusy: { enterAbove: 70 }, dwel: 1 } });
    expect(bad.status).toBe(200);
    expect(bad.json).toEqual({
      ok: false,
      errors: [expect.stringMatching(/^dwel: unknown setting/), expect.stringMatching(/^gpuBusy\.enterAbove: must be a share from 0 to 1 \(70% is 0\.7\)/)],
    });
    const good = await post(`${server.url}/api/policy/rules`, { rules: { dwellMs: 0 } });
    expect(good.json).toMatchObject({ ok: true, rules: { dwellMs: 0, lowBattery: { enterBelow: 0.3 } } });
    expect(((await (await fetch(`${server.url}/api/state`)).json()) as any).policy.rules.dwellMs).toBe(0);
    expect(await post(`${server.url}/api/policy/rules`, { dwellMs: 0 })).toMatchObject({ status: 400, json: { error: { message: expect.stringMatching(/rules must be given/) } } });
  });

  test('the script replays from its start on request', async () => {
    expect(await post(`${server.url}/api/policy/simulation/restart`, {})).toMatchObject({ status: 200, json: { simulated: { file: 'ac.json' } } });
  });

  test('each snapshot is pushed to the windows with the new point of the chart', async () => {
    const abort = new AbortController();
    const response = await fetch(`${server.url}/api/events`, { signal: abort.signal });
    const reader = response.body!.getReader();
    let text = '';
    const started = Date.now();
    // The first event is the state at once; a snapshot (every 2 s) pushes another.
    while (sseEvents(text).length < 2 && Date.now() - started < 5000) text += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    const states = sseEvents(text).filter((e) => e.type === 'state') as any[];
    expect(states.length).toBeGreaterThanOrEqual(2);
    expect(states[1].state.policy.history.length).toBeGreaterThanOrEqual(states[0].state.policy.history.length);
  });
});

describe('with no simulation (a test server: a policy that reads nothing)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  test('the policy is there, with no limits; there is no script to replay', async () => {
    const state = (await (await fetch(`${t.server.url}/api/state`)).json()) as any;
    expect(state.policy).toMatchObject({ reason: '1/1 chains: no limits', auto: true, simulated: null });
    const r = await post(`${t.server.url}/api/policy/simulation/restart`, {});
    expect(r).toMatchObject({ status: 404, json: { error: { name: 'NotFound', message: expect.stringMatching(/--simulate-power/) } } });
  });
});
