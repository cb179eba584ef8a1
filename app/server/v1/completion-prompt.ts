// The `prompt` of /v1/completions: a string, or an array holding one string. OpenAI also takes
// batches (several strings) and token ids; a batch is refused rather than half-answered, so a
// client learns to send one request per prompt.
import { describeValue } from './fields.js';
import { invalidParam } from './openai-error.js';

export function parseCompletionPrompt(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    if (value.length === 1 && typeof value[0] === 'string') return value[0];
    if (value.length > 1 && value.every((p) => typeof p === 'string')) {
      throw invalidParam('prompt', `prompt holds ${value.length} prompts: batches are not supported, send one request per prompt`, 'unsupported_value');
    }
    if (value.length > 0 && value.every((p) => typeof p === 'number' || Array.isArray(p))) {
      throw invalidParam('prompt', 'prompt as token ids is not supported: send the text', 'unsupported_value');
    }
  }
  const what = value === undefined ? 'nothing' : describeValue(value);
  throw invalidParam('prompt', `prompt must be a string (or an array of one string), got ${what}`, value === undefined ? 'missing_required_parameter' : 'invalid_type');
}
