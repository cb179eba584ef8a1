// FORMAT.md "Tokenizer and generation", on every path a reply takes: Session.generate, the engine
// host (the app's chat), /v1/completions and /v1/chat/completions (whole and streamed) and
// `colm run`. Scripted models with real tokenizers say exactly which tokens come next, so the
// text can be checked against the rule: the text of generated tokens g after prompt p is
// decode(p + g) minus decode(p), SentencePiece spaces kept, no U+FFFD in any piece; generation
// stops at any eos id of config, generation_config and tokenizer; generation_config's sampling
// values apply where the user set none.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { loadModel, type Model } from '../../app/engine/model.js';
import { HostClient } from '../../app/host/host-client.js';
import type { GenerationSettings } from '../../app/host/protocol.js';
import { startServer, type RunningServer } from '../../app/server/server.js';
import { byteTokens, chainOf, idOf, realTokenizer, writeScriptedModel } from './scripted-model.js';

const scratch = mkdtempSync(join(tmpdir(), 'colm-gentext-'));
const colm = resolve('bin/colm.js');

const llama2 = realTokenizer('llama2');
const llama3 = realTokenizer('llama3');

// Llama 2 style (byte-fallback SentencePiece): "Once upon" + " a time", an emoji and a CJK
// character in single bytes, "!", then </s> (the tokenizer's eos).
const L2_PROMPT = 'Once upon';
const L2_REPLY = [idOf(llama2, '▁a'), idOf(llama2, '▁time'), ...byteTokens(llama2, '😀中'), idOf(llama2, '!')];
const L2_EXPECTED = ' a time😀中!';
const L2_PATH = join(scratch, 'llama2-style.safetensors');

// Llama 3 Instruct style (byte-level BPE): <|eot_id|> is named only by generation_config.json.
// The chat reply is "Hi" + 😀 in single bytes, then <|eot_id|>; the text completion is " a time"
// + 中 then <|eot_id|>. Tokens scripted after <|eot_id|> show a run past the end of the turn.
const EOT = idOf(llama3, '<|eot_id|>');
const L3_AFTER_EOT = [idOf(llama3, 'ĠSHOULD'), idOf(llama3, 'ĠNOT'), idOf(llama3, 'ĠBE'), idOf(llama3, 'ĠHERE')];
const L3_CHAT_REPLY = [idOf(llama3, 'Hi'), ...byteTokens(llama3, '😀')];
const L3_CHAT_EXPECTED = 'Hi😀';
const L3_TEXT_REPLY = [idOf(llama3, 'Ġa'), idOf(llama3, 'Ġtime'), ...byteTokens(llama3, '中')];
const L3_TEXT_EXPECTED = ' a time中';
const L3_PATH = join(scratch, 'llama3-instruct-style.safetensors');

// Two equally likely next tokens after "Once upon": greedy always takes the lower id, temperature
// 1 takes either. generation_config says temperature 0.
const COIN_PATH = join(scratch, 'coin.safetensors');
// /v1 requests name the model by its file name.
const [L2_NAME, L3_NAME, COIN_NAME] = ['llama2-style.safetensors', 'llama3-instruct-style.safetensors', 'coin.safetensors'];

let l2: Model;
let l3: Model;
let l3ChatPrompt: number[];

function lastOf(ids: readonly number[]): number {
  return ids[ids.length - 1]!;
}

beforeAll(async () => {
  const l2Prompt = llama2.tokenizer.encode(L2_PROMPT, { addSpecialTokens: true });
  await writeScriptedModel(L2_PATH, { tokenizer: llama2, script: chainOf([lastOf(l2Prompt), ...L2_REPLY, 2]) });

  // The chat prompt ends with the assistant header's "\n\n": its successor is the reply.
  const l3TextPrompt = llama3.tokenizer.encode(L2_PROMPT, { addSpecialTokens: true });
  const probe = join(scratch, 'probe.safetensors');
  await writeScriptedModel(probe, { tokenizer: llama3, script: [] });
  const probeModel = await loadModel(probe);
  l3ChatPrompt = probeModel.chatPrompt([{ role: 'user', content: 'Hello' }]).tokens;
  probeModel.dispose();
  await writeScriptedModel(L3_PATH, {
    tokenizer: llama3,
    script: [...chainOf([lastOf(l3ChatPrompt), ...L3_CHAT_REPLY, EOT, ...L3_AFTER_EOT]), ...chainOf([lastOf(l3TextPrompt), ...L3_TEXT_REPLY, EOT])],
    configEos: idOf(llama3, '<|end_of_text|>'),
    generationConfig: { bos_token_id: 128000, eos_token_id: [idOf(llama3, '<|end_of_text|>'), EOT], do_sample: true, temperature: 0.6, top_p: 0.9 },
  });

  const a = idOf(llama2, '▁a');
  const the = idOf(llama2, '▁the');
  await writeCoin(lastOf(l2Prompt), a, the);
  [l2, l3] = await Promise.all([loadModel(L2_PATH), loadModel(L3_PATH)]);
});

async function writeCoin(after: number, first: number, second: number): Promise<void> {
  // Both successors of `after`, with equal logits.
  expect(first).toBeLessThan(second); // greedy breaks the tie toward the lower id
  // A loop: after either answer comes `after` again, so one reply flips the coin many times.
  await writeScriptedModel(COIN_PATH, {
    tokenizer: llama2,
    script: [[after, first], [first, after], [second, after]],
    ties: [[after, second]],
    generationConfig: { temperature: 0 },
  });
}

afterAll(() => {
  l2?.dispose();
  l3?.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

function textAfter(model: Model, prompt: number[], reply: number[]): string {
  const all = model.tokenizer.decode([...prompt, ...reply], { skipSpecialTokens: true });
  const before = model.tokenizer.decode(prompt, { skipSpecialTokens: true });
  expect(all.startsWith(before)).toBe(true);
  return all.slice(before.length);
}

const noReplacement = (pieces: string[]) => pieces.forEach((p) => expect(p, JSON.stringify(pieces)).not.toContain('\uFFFD'));

describe('Session.generate', () => {
  test('a SentencePiece reply keeps the space of its first word; bytes of one character never show apart', async () => {
    const prompt = l2.tokenizer.encode(L2_PROMPT, { addSpecialTokens: true });
    expect(textAfter(l2, prompt, L2_REPLY)).toBe(L2_EXPECTED);
    const session = l2.createSession({ contextSize: 64 });
    const pieces: string[] = [];
    const ids: number[] = [];
    for await (const t of session.generate(prompt, { temperature: 0, maxTokens: 40 })) {
      pieces.push(t.text);
      if (t.token >= 0) ids.push(t.token);
    }
    expect(ids).toEqual(L2_REPLY);
    expect(session.finishReason).toBe('stop'); // </s>, the tokenizer's eos
    expect(pieces.join('')).toBe(L2_EXPECTED);
    noReplacement(pieces);
    session.dispose();
  });

  test('stop ids are the union of config, generation_config and tokenizer eos: <|eot_id|> ends the turn', async () => {
    expect(l3.stopTokenIds).toEqual(expect.arrayContaining([idOf(llama3, '<|end_of_text|>'), EOT]));
    const session = l3.createSession({ contextSize: 256 });
    const pieces: string[] = [];
    const ids: number[] = [];
    for await (const t of session.generate(l3ChatPrompt, { temperature: 0, maxTokens: 20 })) {
      pieces.push(t.text);
      if (t.token >= 0) ids.push(t.token);
    }
    expect(ids).toEqual(L3_CHAT_REPLY);
    expect(session.finishReason).toBe('stop');
    expect(pieces.join('')).toBe(L3_CHAT_EXPECTED);
    noReplacement(pieces);
    // chatPrompt's stop ids (used by colm chat and the app) carry it too.
    expect(l3.chatPrompt([{ role: 'user', content: 'Hello' }]).stopTokens).toContain(EOT);
    session.dispose();
  });

  test("generation_config's sampling values are the model's defaults", () => {
    expect(l3.samplingDefaults).toEqual({ temperature: 0.6, topK: null, topP: 0.9, repeatPenalty: null });
    expect(l2.samplingDefaults).toEqual({ temperature: null, topK: null, topP: null, repeatPenalty: null });
  });
});

const SETTINGS: GenerationSettings = { chains: 1, temperature: 0, topK: null, topP: null, minP: 0, repeatPenalty: null, seed: 1, maxTokens: 40 };

describe('through the engine host and the server', () => {
  let host: HostClient;
  let server: RunningServer;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'colm-gentext-data-'));
    host = new HostClient({ env: {} });
    server = await startServer({ port: 0, dataDir, rendererDir: dataDir, hostClient: host, version: 'test', openAi: {} });
    await host.start();
  });
  afterAll(async () => {
    await server?.close();
    await host?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function hostText(stream: AsyncIterable<{ text: string; tokens: Array<{ text: string }> }>): Promise<string[]> {
    const pieces: string[] = [];
    for await (const batch of stream) {
      for (const t of batch.tokens) pieces.push(t.text);
      noReplacement([batch.text]);
    }
    return pieces;
  }

  async function post(path: string, body: Record<string, unknown>): Promise<Response> {
    return fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  async function sseDeltas(response: Response, pick: (chunk: Record<string, unknown>) => string | undefined): Promise<string[]> {
    const text = await response.text();
    const deltas: string[] = [];
    for (const line of text.split('\n')) {
      if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
      const piece = pick(JSON.parse(line.slice(6)));
      if (piece !== undefined && piece !== '') deltas.push(piece);
    }
    return deltas;
  }

  const completionText = (c: Record<string, unknown>) => (c.choices as Array<{ text?: string }>)[0]?.text;
  const chatDelta = (c: Record<string, unknown>) => (c.choices as Array<{ delta?: { content?: string } }>)[0]?.delta?.content;

  test('Llama 2 style: the host, /v1/completions whole and streamed keep " a time" and whole characters', async () => {
    await server.controller.load(L2_PATH, L2_NAME);
    const stream = host.complete(L2_PROMPT, SETTINGS);
    const pieces = await hostText(stream);
    expect(pieces.join('')).toBe(L2_EXPECTED);
    expect((await stream.result).finishReason).toBe('stop');

    const whole = (await (await post('/v1/completions', { model: L2_NAME, prompt: L2_PROMPT, max_tokens: 40, temperature: 0 })).json()) as Record<string, unknown>;
    expect(completionText(whole)).toBe(L2_EXPECTED);
    const deltas = await sseDeltas(await post('/v1/completions', { model: L2_NAME, prompt: L2_PROMPT, max_tokens: 40, temperature: 0, stream: true }), completionText);
    expect(deltas.join('')).toBe(L2_EXPECTED);
    noReplacement(deltas);
  });

  test('Llama 3 Instruct style: the app chat and /v1/chat/completions end at <|eot_id|>, whole and streamed', async () => {
    await server.controller.load(L3_PATH, L3_NAME);
    const info = host.currentModel!;
    expect(info.samplingDefaults).toEqual({ temperature: 0.6, topK: null, topP: 0.9, repeatPenalty: null });

    const stream = host.generate([{ role: 'user', content: 'Hello' }], SETTINGS);
    const pieces = await hostText(stream);
    expect(pieces.join('')).toBe(L3_CHAT_EXPECTED);
    const summary = await stream.result;
    expect(summary).toMatchObject({ finishReason: 'stop', generatedTokens: L3_CHAT_REPLY.length }); // the stop token is not output

    const messages = [{ role: 'user', content: 'Hello' }];
    const whole = (await (await post('/v1/chat/completions', { model: L3_NAME, messages, temperature: 0 })).json()) as {
      choices: Array<{ message: { content: string }; finish_reason: string }>;
    };
    expect(whole.choices[0]).toMatchObject({ message: { content: L3_CHAT_EXPECTED }, finish_reason: 'stop' });
    const deltas = await sseDeltas(await post('/v1/chat/completions', { model: L3_NAME, messages, temperature: 0, stream: true }), chatDelta);
    expect(deltas.join('')).toBe(L3_CHAT_EXPECTED);
    noReplacement(deltas);

    // Plain text: " a time" + an emoji in single bytes, ended by <|eot_id|> too.
    const text = (await (await post('/v1/completions', { model: L3_NAME, prompt: L2_PROMPT, max_tokens: 40 })).json()) as Record<string, unknown>;
    expect(completionText(text)).toBe(L3_TEXT_EXPECTED);
    expect((text.choices as Array<{ finish_reason: string }>)[0]!.finish_reason).toBe('stop');
  });

  test("generation_config's temperature is the default of requests that set none; a request's own wins", async () => {
    await server.controller.load(COIN_PATH, COIN_NAME);
    const first = async (extra: Record<string, unknown>) => {
      const answers = new Set<string>();
      for (let seed = 1; seed <= 16; seed++) {
        const r = (await (await post('/v1/completions', { model: COIN_NAME, prompt: L2_PROMPT, max_tokens: 1, seed, ...extra })).json()) as Record<string, unknown>;
        answers.add(completionText(r)!);
      }
      return answers;
    };
    expect(await first({})).toEqual(new Set([' a'])); // generation_config: temperature 0
    expect((await first({ temperature: 1 })).size).toBe(2); // the user's temperature
    // The app's settings: null is "not set".
    const seen = new Set<string>();
    for (let seed = 1; seed <= 8; seed++) seen.add((await hostText(host.complete(L2_PROMPT, { ...SETTINGS, temperature: null, seed, maxTokens: 1 }))).join(''));
    expect(seen).toEqual(new Set([' a']));
  });
});

describe('colm run', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [colm, 'run', ...args], { encoding: 'utf8', timeout: 60_000 });

  test('prints " a time" and whole characters for a Llama 2 style model', () => {
    const r = run(L2_PATH, L2_PROMPT, '--temperature', '0', '--max-tokens', '40');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(L2_EXPECTED);
    expect(r.stderr).toMatch(/stopped by stop/);
  });

  test('--chat stops at <|eot_id|>, which only generation_config names', () => {
    const r = run(L3_PATH, 'Hello', '--chat', '--temperature', '0', '--max-tokens', '40');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(L3_CHAT_EXPECTED);
    expect(r.stderr).toMatch(/stopped by stop/);
  });

  test("without --temperature, generation_config's temperature applies; with it, the user's", () => {
    // 24 tokens: 12 coin flips. No repetition penalty, which would push greedy off the repeated word.
    const reply = (...extra: string[]) => run(COIN_PATH, L2_PROMPT, '--max-tokens', '24', '--seed', '5', '--repeat-penalty', '1', ...extra).stdout;
    expect(reply()).toBe(' a upon'.repeat(12));
    expect(reply('--temperature', '1')).toMatch(/ the upon/);
  });
});
