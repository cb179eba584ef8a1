// Chat messages, completion prompts and the OpenAI features this server refuses by name.
import { describe, expect, test } from 'vitest';

import { parseChatMessages } from '../../../../app/server/v1/chat-messages.js';
import { parseCompletionPrompt } from '../../../../app/server/v1/completion-prompt.js';
import { OpenAiError } from '../../../../app/server/v1/openai-error.js';
import { refuseUnsupported } from '../../../../app/server/v1/unsupported-params.js';

function paramOf(run: () => unknown): string | null {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(OpenAiError);
    expect((error as OpenAiError).status).toBe(400);
    return (error as OpenAiError).param;
  }
  throw new Error('accepted');
}

describe('chat messages', () => {
  test('strings and text parts; developer is system; an assistant without content is empty', () => {
    expect(
      parseChatMessages([
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }], name: 'ann' },
        { role: 'assistant', content: null },
        { role: 'user', content: 'go on' },
      ]),
    ).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'a\nb' },
      { role: 'assistant', content: '' },
      { role: 'user', content: 'go on' },
    ]);
  });

  test.each([
    [undefined, 'messages'],
    [[], 'messages'],
    ['hi', 'messages'],
    [[5], 'messages[0]'],
    [[{ role: 'robot', content: 'x' }], 'messages[0].role'],
    [[{ role: 'tool', content: 'x', tool_call_id: 'a' }], 'messages[0].role'],
    [[{ role: 'user', content: 5 }], 'messages[0].content'],
    [[{ role: 'user', content: null }], 'messages[0].content'],
    [[{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }], 'messages[0].content[0].type'],
    [[{ role: 'assistant', content: null, tool_calls: [{ id: 'a' }] }], 'messages[0].tool_calls'],
  ])('%j is refused, naming %s', (messages, param) => {
    expect(paramOf(() => parseChatMessages(messages))).toBe(param);
  });
});

describe('completion prompts', () => {
  test('a string, or an array of one string', () => {
    expect(parseCompletionPrompt('Once')).toBe('Once');
    expect(parseCompletionPrompt(['Once'])).toBe('Once');
    expect(parseCompletionPrompt('')).toBe('');
  });

  test.each([[['a', 'b']], [[1, 2, 3]], [[[1, 2]]], [undefined], [5], [[]]])('%j is refused', (prompt) => {
    expect(paramOf(() => parseCompletionPrompt(prompt))).toBe('prompt');
  });

  test('a batch is refused with a message that says what to do instead', () => {
    expect(() => parseCompletionPrompt(['a', 'b'])).toThrow(/batches are not supported, send one request per prompt/);
  });
});

describe('unsupported features', () => {
  test('their off values are accepted, as clients send every field', () => {
    expect(() =>
      refuseUnsupported({ n: 1, best_of: 1, logprobs: false, top_logprobs: 0, tools: [], logit_bias: {}, echo: false, suffix: null, response_format: { type: 'text' } }),
    ).not.toThrow();
  });

  test.each([
    [{ n: 2 }, 'n'],
    [{ n: 0 }, 'n'],
    [{ best_of: 3 }, 'best_of'],
    [{ logprobs: true }, 'logprobs'],
    [{ logprobs: 5 }, 'logprobs'],
    [{ tools: [{ type: 'function' }] }, 'tools'],
    [{ logit_bias: { '50256': -100 } }, 'logit_bias'],
    [{ echo: true }, 'echo'],
    [{ suffix: 'end' }, 'suffix'],
    [{ response_format: { type: 'json_object' } }, 'response_format'],
  ])('%j is refused, naming %s', (body, param) => {
    expect(paramOf(() => refuseUnsupported(body))).toBe(param);
  });
});
