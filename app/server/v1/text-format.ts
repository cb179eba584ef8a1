// /v1/completions replies: "text_completion" objects, whole or as chunks of the same shape.
import type { ReplyFormat, ReplyMeta } from './openai-types.js';

function completion(meta: ReplyMeta, choice: object | null, withUsage: boolean): object {
  return {
    id: meta.id,
    object: 'text_completion',
    created: meta.created,
    model: meta.model,
    choices: choice ? [choice] : [],
    ...(withUsage ? { usage: null } : {}),
  };
}

export const TEXT_FORMAT: ReplyFormat = {
  idPrefix: 'cmpl',
  whole: (meta, reply) => ({
    ...completion(meta, { index: 0, text: reply.text, logprobs: null, finish_reason: reply.finishReason }, false),
    usage: reply.usage,
    x_colm: reply.xColm,
  }),
  opening: () => null,
  piece: (meta, text, withUsage) => completion(meta, { index: 0, text, logprobs: null, finish_reason: null }, withUsage),
  closing: (meta, finishReason, withUsage) => completion(meta, { index: 0, text: '', logprobs: null, finish_reason: finishReason }, withUsage),
  usageChunk: (meta, usage) => ({ ...completion(meta, null, false), usage }),
};
