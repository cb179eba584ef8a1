// `colm serve` as a user runs it (spawned from the build, the key from COLM_API_KEY), driven
// through the official `openai` client: a client that leaves mid-stream or while queued frees
// the engine at once, and 32 streaming clients at a time for a few seconds get replies or 429s,
// never another error, while the processes' memory stays flat. The host waits a few ms per
// token (COLM_HOST_TOKEN_DELAY_MS) so that the tiny model's replies last long enough to overlap.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { FIXTURE_MODEL, FIXTURE_MODEL_ID } from '../unit/server/v1/api-test-server.js';

const API_KEY = 'load-test-key';
const TOKEN_DELAY_MS = 4;
const onLinux = process.platform === 'linux'; // memory is read from /proc

interface Serve {
  url: string;
  child: ChildProcess;
  dataDir: string;
}

async function startServe(): Promise<Serve> {
  const dataDir = mkdtempSync(join(tmpdir(), 'colm-openai-load-'));
  const args = [resolve('bin/colm.js'), 'serve', FIXTURE_MODEL, '--port', '0', '--data-dir', dataDir, '--max-queue', '16'];
  const env = { ...process.env, COLM_API_KEY: API_KEY, COLM_HOST_TOKEN_DELAY_MS: String(TOKEN_DELAY_MS) };
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`colm serve printed no address:\n${output}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /CoLM Desktop is running at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        done(match[1]!);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => fail(new Error(`colm serve exited with ${code}:\n${output}`)));
  });
  return { url, child, dataDir };
}

interface Health {
  model: string | null;
  queue: { running: number; waiting: number };
}

async function health(url: string): Promise<Health> {
  return (await (await fetch(`${url}/health`)).json()) as Health;
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resident memory of a process in MiB, from /proc. */
function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

function childPids(parent: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent;
      } catch {
        return false;
      }
    })
    .map(Number);
}

let serve: Serve;
let client: OpenAI;
beforeAll(async () => {
  serve = await startServe();
  client = new OpenAI({ baseURL: `${serve.url}/v1`, apiKey: API_KEY, maxRetries: 0 });
  await until(() => health(serve.url), (h) => h.model === FIXTURE_MODEL_ID, 30_000);
});
afterAll(async () => {
  if (serve?.child.exitCode === null) {
    await new Promise<void>((done) => {
      serve.child.once('exit', () => done());
      serve.child.kill('SIGTERM');
    });
  }
  if (serve) rmSync(serve.dataDir, { recursive: true, force: true });
});

// A completion that, with this seed, runs the full 200 tokens: about a second at the host's pace.
const LONG = { model: FIXTURE_MODEL_ID, prompt: 'Once upon a time', max_tokens: 200, temperature: 1, seed: 1 };

describe('colm serve with COLM_API_KEY', () => {
  test('the key from the environment is required', async () => {
    const keyless = new OpenAI({ baseURL: `${serve.url}/v1`, apiKey: 'not-it', maxRetries: 0 });
    await expect(keyless.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    expect((await client.models.list()).data.map((m) => m.id)).toEqual([FIXTURE_MODEL_ID]);
  });

  test('a client that disconnects mid-stream stops its generation at once', async () => {
    const started = performance.now();
    const whole = await client.completions.create(LONG);
    const fullMs = performance.now() - started;
    expect(whole.usage!.completion_tokens).toBe(200); // the precondition: left alone, it runs long

    const abort = new AbortController();
    const stream = await client.completions.create({ ...LONG, stream: true }, { signal: abort.signal });
    for await (const chunk of stream) {
      if (chunk.choices[0]?.text) break; // the first text, then leave
    }
    abort.abort();
    const left = performance.now();
    const idle = await until(() => health(serve.url), (h) => h.queue.running === 0, 5_000);
    const freedMs = performance.now() - left;
    console.log(`server disconnect: engine free ${freedMs.toFixed(1)} ms after the client left (whole reply: ${fullMs.toFixed(0)} ms)`);
    expect(idle.queue).toMatchObject({ running: 0, waiting: 0 });
    expect(freedMs).toBeLessThan(fullMs / 3);

    // The engine is free for the next request right away.
    const next = performance.now();
    const reply = await client.completions.create({ ...LONG, max_tokens: 4 });
    expect(reply.usage!.completion_tokens).toBeGreaterThan(0);
    expect(performance.now() - next).toBeLessThan(fullMs / 3);
  });

  test('a client that leaves while queued gives its place up', async () => {
    const first = new AbortController();
    const running = client.completions.create({ ...LONG, stream: true }, { signal: first.signal });
    await until(() => health(serve.url), (h) => h.queue.running === 1, 2_000);
    const second = new AbortController();
    const queued = client.completions.create(LONG, { signal: second.signal }).catch((e: Error) => e);
    expect((await until(() => health(serve.url), (h) => h.queue.waiting === 1, 2_000)).queue.waiting).toBe(1);
    second.abort();
    expect(await queued).toBeInstanceOf(OpenAI.APIUserAbortError);
    expect((await until(() => health(serve.url), (h) => h.queue.waiting === 0, 2_000)).queue).toMatchObject({ running: 1, waiting: 0 });
    first.abort();
    await running.catch(() => undefined);
    expect((await until(() => health(serve.url), (h) => h.queue.running === 0, 2_000)).queue.running).toBe(0);
  });

  test('32 streaming clients at a time for 3 s: replies or 429, no other error, flat memory', async () => {
    type Outcome = 'ok' | 'rate-limited' | string;
    const oneClient = async (i: number): Promise<Outcome> => {
      try {
        const stream = await client.chat.completions.create({
          model: FIXTURE_MODEL_ID,
          messages: [{ role: 'user', content: `Client ${i} says hello` }],
          max_tokens: 8,
          stream: true,
          stream_options: { include_usage: true },
        });
        let finished = false;
        let usage = false;
        for await (const chunk of stream) {
          if (chunk.choices[0]?.finish_reason) finished = true;
          if (chunk.usage) usage = true;
        }
        return finished && usage ? 'ok' : 'incomplete stream';
      } catch (error) {
        if (error instanceof OpenAI.RateLimitError) return 'rate-limited';
        return String(error);
      }
    };
    const wave = async (): Promise<Outcome[]> => Promise.all(Array.from({ length: 32 }, (_, i) => oneClient(i)));

    const hostPid = childPids(serve.child.pid!)[0]!;
    await wave(); // warm up: first allocations, JIT
    const before = onLinux ? { server: rssMiB(serve.child.pid!), host: rssMiB(hostPid) } : null;

    const outcomes: Outcome[] = [];
    let waves = 0;
    const start = performance.now();
    while (performance.now() - start < 3_000) {
      outcomes.push(...(await wave()));
      waves++;
    }
    const seconds = (performance.now() - start) / 1000;
    const after = onLinux ? { server: rssMiB(serve.child.pid!), host: rssMiB(hostPid) } : null;

    const ok = outcomes.filter((o) => o === 'ok').length;
    const limited = outcomes.filter((o) => o === 'rate-limited').length;
    const other = outcomes.filter((o) => o !== 'ok' && o !== 'rate-limited');
    console.log(
      `server load: ${waves} waves of 32 in ${seconds.toFixed(1)} s: ${ok} replies, ${limited} 429s, ${other.length} other; ` +
        `RSS server ${before?.server.toFixed(1)} -> ${after?.server.toFixed(1)} MiB, engine host ${before?.host.toFixed(1)} -> ${after?.host.toFixed(1)} MiB`,
    );
    expect(other).toEqual([]);
    expect(limited).toBeGreaterThan(0); // the queue limit was reached...
    expect(ok).toBeGreaterThanOrEqual(17 * waves); // ...but never before 1 running + 16 waiting
    expect(await health(serve.url)).toMatchObject({ queue: { running: 0, waiting: 0 } });
    if (before && after) {
      expect(after.server - before.server).toBeLessThan(32);
      expect(after.host - before.host).toBeLessThan(32);
    }
  });
});
