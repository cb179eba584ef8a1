// A finished generation as an OpenAI reply: finish reason, usage and x_colm. A generation that
// ended for another reason than its own (another model was loaded, the chat window took the
// engine) has no OpenAI finish reason, so it becomes an error rather than a silently short reply.
import type { FinishReason } from '../../host/protocol.js';
import { OpenAiError } from './openai-error.js';
import type { OpenAiFinishReason, Reply } from './openai-types.js';
import type { GenerationOutcome } from './run-generation.js';

export function finishReasonOf(reason: FinishReason): OpenAiFinishReason {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
    case 'context': // the context filled up: the reply was cut for length
      return 'length';
    default:
      throw new OpenAiError(503, 'the generation was interrupted (another model was loaded, or the app started a reply of its own): try again', 'server_error', null, 'generation_interrupted');
  }
}

export function replyOf({ text, tokens, summary }: GenerationOutcome): Reply {
  return {
    text,
    finishReason: finishReasonOf(summary.finishReason),
    usage: {
      prompt_tokens: summary.promptTokens,
      completion_tokens: summary.generatedTokens,
      total_tokens: summary.promptTokens + summary.generatedTokens,
    },
    xColm: {
      chains_per_token: tokens.map((t) => t.chains),
      prefill_ms: round(summary.prefillMs, 3),
      tokens_per_second: round(summary.tokensPerSecond, 2),
      dropped_messages: summary.droppedMessages,
    },
  };
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
