// /v1/chat/completions replies: a "chat.completion" object, or "chat.completion.chunk"s whose
// first delta names the assistant's role. With stream_options.include_usage every chunk carries
// usage: null and a last chunk with no choices carries the numbers, as OpenAI does.
import type { ReplyFormat, ReplyMeta } from './openai-types.js';

function chunk(meta: ReplyMeta, choice: object | null, withUsage: boolean): object {
  return {
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    choices: choice ? [choice] : [],
    ...(withUsage ? { usage: null } : {}),
  };
}

export const CHAT_FORMAT: ReplyFormat = {
  idPrefix: 'chatcmpl',
  whole: (meta, reply) => ({
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message: { role: 'assistant', content: reply.text, refusal: null }, logprobs: null, finish_reason: reply.finishReason }],
    usage: reply.usage,
    x_colm: reply.xColm,
  }),
  opening: (meta, withUsage) => chunk(meta, { index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }, withUsage),
  piece: (meta, text, withUsage) => chunk(meta, { index: 0, delta: { content: text }, logprobs: null, finish_reason: null }, withUsage),
  closing: (meta, finishReason, withUsage) => chunk(meta, { index: 0, delta: {}, logprobs: null, finish_reason: finishReason }, withUsage),
  usageChunk: (meta, usage) => ({ ...chunk(meta, null, false), usage }),
};
