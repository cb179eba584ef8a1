// `stream` and `stream_options.include_usage`: whether the reply streams, and whether a last
// chunk brings the token counts (OpenAI sends usage in a stream only when asked).
import { optionalBoolean, optionalObject } from './fields.js';
import { invalidParam } from './openai-error.js';
import type { JsonObject } from './request-body.js';

export interface StreamRequest {
  stream: boolean;
  includeUsage: boolean;
}

export function parseStreamOptions(body: JsonObject): StreamRequest {
  const stream = optionalBoolean(body, 'stream') ?? false;
  const options = optionalObject(body, 'stream_options');
  let includeUsage = false;
  if (options !== undefined) {
    const value = options.include_usage;
    if (value !== undefined && value !== null && typeof value !== 'boolean') {
      throw invalidParam('stream_options.include_usage', 'stream_options.include_usage must be true or false', 'invalid_type');
    }
    includeUsage = value === true;
  }
  return { stream, includeUsage };
}
