// The per-model queue: one runs, a bounded number wait in arrival order, the rest get a 429 at
// once, and a request whose client leaves gives its place up.
import { describe, expect, test } from 'vitest';

import { GenerationQueue } from '../../../../app/server/v1/generation-queue.js';
import { ModelQueues } from '../../../../app/server/v1/model-queues.js';
import { OpenAiError } from '../../../../app/server/v1/openai-error.js';

const live = () => new AbortController().signal;

describe('GenerationQueue', () => {
  test('admits up to the running limit at once, then queues in arrival order', async () => {
    const queue = new GenerationQueue('m', { running: 1, waiting: 2 });
    const first = await queue.acquire(live());
    const order: string[] = [];
    const second = queue.acquire(live()).then((release) => (order.push('second'), release));
    const third = queue.acquire(live()).then((release) => (order.push('third'), release));
    expect(queue.snapshot()).toEqual({ running: 1, waiting: 2, max_running: 1, max_waiting: 2 });
    first();
    (await second)();
    (await third)();
    expect(order).toEqual(['second', 'third']);
    expect(queue.idle).toBe(true);
  });

  test('past the waiting limit a request is refused at once with a 429 naming the model', async () => {
    const queue = new GenerationQueue('air4.safetensors', { running: 1, waiting: 1 });
    const release = await queue.acquire(live());
    const waiting = queue.acquire(live());
    const refused = await queue.acquire(live()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAiError);
    const e = refused as OpenAiError;
    expect(e.status).toBe(429);
    expect(e.body.error).toMatchObject({ type: 'rate_limit_error', code: 'queue_full' });
    expect(e.message).toMatch(/air4\.safetensors/);
    expect(e.headers['retry-after']).toBe('1');
    release();
    (await waiting)();
  });

  test('a waiter whose signal aborts leaves the queue, and the next one moves up', async () => {
    const queue = new GenerationQueue('m', { running: 1, waiting: 4 });
    const release = await queue.acquire(live());
    const leaving = new AbortController();
    const gone = queue.acquire(leaving.signal).catch((e: Error) => e.name);
    const staying = queue.acquire(live());
    leaving.abort();
    expect(await gone).toBe('AbortError');
    expect(queue.waiting).toBe(1);
    release();
    (await staying)();
    expect(queue.idle).toBe(true);
  });

  test('releasing twice frees one place only', async () => {
    const queue = new GenerationQueue('m', { running: 1, waiting: 0 });
    const release = await queue.acquire(live());
    release();
    release();
    const again = await queue.acquire(live());
    await expect(queue.acquire(live())).rejects.toMatchObject({ status: 429 });
    again();
  });

  test('an already aborted signal never takes a place', async () => {
    const queue = new GenerationQueue('m');
    const aborted = AbortSignal.abort();
    await expect(queue.acquire(aborted)).rejects.toMatchObject({ name: 'AbortError' });
    expect(queue.idle).toBe(true);
  });
});

describe('ModelQueues', () => {
  test('one queue per model; idle queues of other models are dropped', async () => {
    const queues = new ModelQueues({ running: 1, waiting: 3 });
    const a = queues.for('a');
    expect(queues.for('a')).toBe(a);
    const release = await a.acquire(live());
    queues.for('b'); // a is busy: kept
    expect(queues.snapshot('a').running).toBe(1);
    release();
    queues.for('b'); // a is idle now: dropped
    expect(queues.snapshot('a')).toEqual({ running: 0, waiting: 0, max_running: 1, max_waiting: 3 });
    expect(queues.for('a')).not.toBe(a);
    expect(queues.snapshot(null).max_waiting).toBe(3);
  });
});
