// Fields of OpenAI's API this server cannot honour. Ignoring them would return something other
// than what was asked (one choice instead of two, no log-probabilities, no tool calls), so a
// request that turns one on is refused with a 400 that names it. Their "off" values are accepted,
// because many clients send every field with its default.
import { invalidParam } from './openai-error.js';
import type { JsonObject } from './request-body.js';

function isOff(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

const REFUSED: Record<string, string> = {
  logprobs: 'log-probabilities are not supported',
  top_logprobs: 'log-probabilities are not supported',
  tools: 'tool calls are not supported',
  functions: 'function calls are not supported',
  logit_bias: 'logit_bias is not supported',
  echo: 'echo is not supported',
  suffix: 'suffix (insertion) is not supported',
  audio: 'audio output is not supported',
};

export function refuseUnsupported(body: JsonObject): void {
  if (body.n !== undefined && body.n !== null && body.n !== 1) {
    throw invalidParam('n', `n must be 1: this server makes one choice per request (got ${JSON.stringify(body.n)}); send several requests instead`, 'unsupported_value');
  }
  if (body.best_of !== undefined && body.best_of !== null && body.best_of !== 1) {
    throw invalidParam('best_of', 'best_of must be 1: this server makes one choice per request', 'unsupported_value');
  }
  for (const [key, why] of Object.entries(REFUSED)) {
    if (!isOff(body[key])) throw invalidParam(key, `${key}: ${why} by this server`, 'unsupported_parameter');
  }
  const format = body.response_format as { type?: unknown } | null | undefined;
  if (format !== undefined && format !== null && format.type !== 'text') {
    throw invalidParam('response_format', 'response_format: only { "type": "text" } is supported by this server', 'unsupported_value');
  }
}
