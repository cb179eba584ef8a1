// The OpenAI-compatible API through the official `openai` client, against a server in this
// process with the 4-chain CoLM-Air fixture on the real engine: replies whole and streamed,
// usage that matches the tokenizer, the chains extension, stop strings, seeds, and requests the
// server refuses while it goes on serving.
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { CompletionCreateParamsNonStreaming } from 'openai/resources/completions';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { loadModel, type Model } from '../../app/engine/model.js';
import type { ChainSetting } from '../../app/host/protocol.js';
import type { XColm } from '../../app/server/v1/openai-types.js';
import { FIXTURE_MODEL, FIXTURE_MODEL_ID, rawRequest, startApiTestServer, type ApiTestServer } from '../unit/server/v1/api-test-server.js';

const API_KEY = 'test-key';
let t: ApiTestServer;
let client: OpenAI;
let model: Model; // the same checkpoint in this process, to count prompt tokens independently
let autoChoice: ChainSetting = 4; // what "auto" means, as a chain policy would set it

beforeAll(async () => {
  [t, model] = await Promise.all([
    startApiTestServer({ loadModel: true, openAi: { apiKey: API_KEY, autoChains: { resolve: () => autoChoice } } }),
    loadModel(FIXTURE_MODEL),
  ]);
  client = new OpenAI({ baseURL: t.baseURL, apiKey: API_KEY, maxRetries: 0 });
});
afterAll(async () => {
  model?.dispose();
  await t?.close();
});

const xColmOf = (value: unknown): XColm => (value as { x_colm: XColm }).x_colm;
const messages: ChatCompletionMessageParam[] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Hello there' },
];

/** Extension fields ride along in the body; the client's types do not know them. */
function chat(extra: Record<string, unknown>) {
  return client.chat.completions.create({ model: FIXTURE_MODEL_ID, messages, ...extra } as ChatCompletionCreateParamsNonStreaming);
}
function complete(extra: Record<string, unknown>) {
  return client.completions.create({ model: FIXTURE_MODEL_ID, prompt: 'Once upon a time', ...extra } as CompletionCreateParamsNonStreaming);
}

describe('models', () => {
  test('GET /v1/models lists the loaded model by file name with what each chain count is', async () => {
    const list = await client.models.list();
    expect(list.data).toHaveLength(1);
    const m = list.data[0]!;
    expect(m).toMatchObject({ id: FIXTURE_MODEL_ID, object: 'model', owned_by: 'colm-desktop' });
    expect((m as unknown as { x_colm: unknown }).x_colm).toEqual({
      chains: 4,
      kv_sharing: true,
      chain_ratios: model.config.chains,
      context_length: 256,
      parameters: { '1': model.parameterCounts[0], '2': model.parameterCounts[1], '3': model.parameterCounts[2], '4': model.parameterCounts[3] },
      // Where the session runs and why (the CUDA backend is not verified yet, so auto keeps the CPU).
      device: 'cpu',
      device_reason: expect.stringMatching(/^cpu: ./),
    });
    expect((await client.models.retrieve(FIXTURE_MODEL_ID)).id).toBe(FIXTURE_MODEL_ID);
  });
});

describe('chat completions', () => {
  test('a whole reply with usage that matches the tokenizer, and x_colm', async () => {
    const reply = await chat({ max_tokens: 20, seed: 7, temperature: 0.8 });
    const choice = reply.choices[0]!;
    expect(reply.object).toBe('chat.completion');
    expect(reply.id).toMatch(/^chatcmpl-/);
    expect(choice.message.role).toBe('assistant');
    expect(typeof choice.message.content).toBe('string');
    const usage = reply.usage!;
    expect(usage.prompt_tokens).toBe(model.chatPrompt(messages as never).tokens.length);
    const x = xColmOf(reply);
    expect(usage.completion_tokens).toBe(x.chains_per_token.length);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    if (choice.finish_reason === 'length') expect(usage.completion_tokens).toBe(20);
    else expect(choice.finish_reason).toBe('stop');
    expect(x.prefill_ms).toBeGreaterThan(0);
    expect(x.dropped_messages).toBe(0);
  });

  test('the same request streamed gives the same text in chunks, then usage and x_colm last', async () => {
    const whole = await chat({ max_tokens: 30, seed: 3, temperature: 0.9 });
    const stream = await client.chat.completions.create({
      model: FIXTURE_MODEL_ID,
      messages,
      max_tokens: 30,
      seed: 3,
      temperature: 0.9,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(whole.choices[0]!.message.content);
    const finishes = chunks.filter((c) => c.choices[0]?.finish_reason);
    expect(finishes.map((c) => c.choices[0]!.finish_reason)).toEqual([whole.choices[0]!.finish_reason]);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(whole.usage);
    expect(xColmOf(last).chains_per_token).toEqual(xColmOf(whole).chains_per_token);
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  test('without include_usage no usage is streamed and x_colm rides on the finish chunk', async () => {
    const stream = await client.chat.completions.create({ model: FIXTURE_MODEL_ID, messages, max_tokens: 8, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    expect(last.choices[0]!.finish_reason).not.toBeNull();
    expect(chunks.some((c) => 'usage' in c)).toBe(false);
    expect(xColmOf(last).chains_per_token.length).toBeGreaterThan(0);
  });
});

describe('completions', () => {
  test('plain text continued, prompt tokens as the tokenizer counts them, 16 tokens by default', async () => {
    const reply = await complete({ temperature: 1, seed: 1 });
    expect(reply.object).toBe('text_completion');
    expect(reply.usage!.prompt_tokens).toBe(model.tokenizer.encode('Once upon a time', { addSpecialTokens: true }).length);
    expect(reply.usage!.completion_tokens).toBe(16); // this seed runs past 16 tokens
    expect(reply.choices[0]!.finish_reason).toBe('length');
    expect(xColmOf(reply).chains_per_token).toHaveLength(16);
  });

  test('streamed, the same text in text_completion chunks', async () => {
    const whole = await complete({ temperature: 1, seed: 4, max_tokens: 24 });
    const stream = await client.completions.create({ model: FIXTURE_MODEL_ID, prompt: ['Once upon a time'], temperature: 1, seed: 4, max_tokens: 24, stream: true });
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('text_completion');
      text += chunk.choices[0]?.text ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe(whole.choices[0]!.text);
    expect(finish).toBe(whole.choices[0]!.finish_reason);
  });
});

describe('extensions and sampling', () => {
  test('chains sets the chain count of every token; "auto" is whatever the policy says', async () => {
    for (const chains of [1, 3]) {
      const reply = await complete({ chains, max_tokens: 10, temperature: 1, seed: 1 });
      expect(new Set(xColmOf(reply).chains_per_token)).toEqual(new Set([chains]));
    }
    autoChoice = 4;
    expect(new Set(xColmOf(await complete({ chains: 'auto', max_tokens: 10, seed: 1 })).chains_per_token)).toEqual(new Set([4]));
    autoChoice = 2;
    expect(new Set(xColmOf(await complete({ max_tokens: 10, seed: 1 })).chains_per_token)).toEqual(new Set([2]));
    autoChoice = 4;
  });

  test('a stop string ends the reply before it, whole and streamed', async () => {
    const free = (await complete({ temperature: 0, max_tokens: 40 })).choices[0]!.text;
    // A stop string taken from the middle of the reply greedy decoding gives anyway.
    let at = Math.floor(free.length / 2);
    while (at < free.length - 3 && free.slice(at, at + 3).includes('\uFFFD')) at++;
    const stop = free.slice(at, at + 3);
    expect(stop).toHaveLength(3);
    const expected = free.slice(0, free.indexOf(stop));
    const stopped = await complete({ temperature: 0, max_tokens: 40, stop: [stop, 'never-in-this-text'] });
    expect(stopped.choices[0]!.text).toBe(expected);
    expect(stopped.choices[0]!.finish_reason).toBe('stop');
    const stream = await client.completions.create({ model: FIXTURE_MODEL_ID, prompt: 'Once upon a time', temperature: 0, max_tokens: 40, stop, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe(expected);
  });

  test('the same seed gives the same reply; another seed another', async () => {
    const text = async (seed: number) => (await complete({ temperature: 1, top_k: 0, min_p: 0, seed, max_tokens: 24 })).choices[0]!.text;
    const a = await text(11);
    expect(await text(11)).toBe(a);
    expect(await text(12)).not.toBe(a);
  });

  test('a huge max_tokens is clamped to the context: the reply ends when the context is full', async () => {
    const reply = await complete({ max_tokens: 1_000_000_000, temperature: 1, seed: 1 });
    // The last token is sampled from the last position's logits and needs no position itself.
    expect(reply.usage!.total_tokens).toBe(256 + 1);
    expect(reply.choices[0]!.finish_reason).toBe('length');
  });
});

describe('refused requests', () => {
  test.each([
    ['n = 2', { n: 2 }, 'n'],
    ['a temperature that is text', { temperature: 'hot' }, 'temperature'],
    ['messages that are not an array', { messages: 'hi' }, 'messages'],
    ['a negative max_tokens', { max_tokens: -1 }, 'max_tokens'],
    ['more chains than the model has', { chains: 9 }, 'chains'],
    ['an image', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:,' } }] }] }, 'messages[0].content[0].type'],
  ])('%s: 400 naming the field', async (_what, extra, param) => {
    const error = await chat(extra).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe(param);
  });

  test('a batch of prompts: 400 that says to send one per request', async () => {
    const error = await complete({ prompt: ['a', 'b'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toMatch(/one request per prompt/);
  });

  test('an unknown model: 404 model_not_found that names the loaded one', async () => {
    const error = await client.chat.completions.create({ model: 'gpt-4o', messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    expect((error as Error).message).toMatch(FIXTURE_MODEL_ID);
  });

  test('a prompt longer than the context: 400 context_length_exceeded, streamed or not', async () => {
    const prompt = 'word '.repeat(400);
    for (const stream of [false, true]) {
      const error = await client.completions.create({ model: FIXTURE_MODEL_ID, prompt, stream }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('context_length_exceeded');
    }
  });

  test('malformed JSON is a 400, and the server goes on serving', async () => {
    const r = await rawRequest(`${t.baseURL}/chat/completions`, {
      method: 'POST',
      body: '{"model": "air4_f32.safetensors", "messages": [',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
    });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json', param: null });
    const reply = await chat({ max_tokens: 4 });
    expect(reply.choices).toHaveLength(1);
  });
});
