// The objects the two endpoints write, whole and as chunks, and how a finished generation
// becomes finish_reason, usage and x_colm.
import { describe, expect, test } from 'vitest';

import type { GenerationSummary } from '../../../../app/host/protocol.js';
import { CHAT_FORMAT } from '../../../../app/server/v1/chat-format.js';
import type { Reply } from '../../../../app/server/v1/openai-types.js';
import { replyOf } from '../../../../app/server/v1/reply.js';
import { TEXT_FORMAT } from '../../../../app/server/v1/text-format.js';

const meta = { id: 'x-1', created: 1700000000, model: 'm.safetensors' };
const summary: GenerationSummary = {
  finishReason: 'context',
  promptTokens: 10,
  droppedMessages: 1,
  generatedTokens: 3,
  tokensPerSecond: 123.456,
  prefillMs: 4.56789,
  contextUsed: 13,
  contextSize: 13,
};
const tokens = [
  { chains: 4, text: 'a' },
  { chains: 2, text: 'b' },
  { chains: 2, text: 'c' },
];

describe('replyOf', () => {
  test('usage, x_colm and a context that filled up as finish_reason "length"', () => {
    expect(replyOf({ text: 'abc', tokens, summary })).toEqual({
      text: 'abc',
      finishReason: 'length',
      usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 },
      xColm: { chains_per_token: [4, 2, 2], prefill_ms: 4.568, tokens_per_second: 123.46, dropped_messages: 1 },
    });
    expect(replyOf({ text: '', tokens: [], summary: { ...summary, finishReason: 'stop' } }).finishReason).toBe('stop');
  });

  test('a generation stopped from elsewhere is an error, not a short reply', () => {
    expect(() => replyOf({ text: '', tokens: [], summary: { ...summary, finishReason: 'abort' } })).toThrow(/interrupted/);
  });
});

const reply: Reply = replyOf({ text: 'abc', tokens, summary: { ...summary, finishReason: 'stop' } });

describe('chat format', () => {
  test('a whole chat.completion', () => {
    expect(CHAT_FORMAT.whole(meta, reply)).toEqual({
      id: 'x-1',
      object: 'chat.completion',
      created: 1700000000,
      model: 'm.safetensors',
      choices: [{ index: 0, message: { role: 'assistant', content: 'abc', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: reply.usage,
      x_colm: reply.xColm,
    });
  });

  test('chunks: the role first, then content, then the finish; usage: null on each only when asked', () => {
    expect(CHAT_FORMAT.opening(meta, false)).toMatchObject({ object: 'chat.completion.chunk', choices: [{ delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    expect(CHAT_FORMAT.piece(meta, 'ab', false)).not.toHaveProperty('usage');
    expect(CHAT_FORMAT.piece(meta, 'ab', true)).toMatchObject({ choices: [{ delta: { content: 'ab' } }], usage: null });
    expect(CHAT_FORMAT.closing(meta, 'length', false)).toMatchObject({ choices: [{ delta: {}, finish_reason: 'length' }] });
    expect(CHAT_FORMAT.usageChunk(meta, reply.usage)).toMatchObject({ choices: [], usage: reply.usage });
  });
});

describe('text format', () => {
  test('a whole text_completion and its chunks', () => {
    expect(TEXT_FORMAT.whole(meta, reply)).toMatchObject({
      object: 'text_completion',
      choices: [{ index: 0, text: 'abc', logprobs: null, finish_reason: 'stop' }],
      usage: reply.usage,
      x_colm: reply.xColm,
    });
    expect(TEXT_FORMAT.opening(meta, true)).toBeNull();
    expect(TEXT_FORMAT.piece(meta, 'ab', false)).toMatchObject({ object: 'text_completion', choices: [{ text: 'ab', finish_reason: null }] });
    expect(TEXT_FORMAT.closing(meta, 'stop', true)).toMatchObject({ choices: [{ text: '', finish_reason: 'stop' }], usage: null });
  });
});
