// The JSON body of an API request. Bodies are small (a conversation), so anything over 1 MiB is
// refused before it is read to the end; a JSON content type is required, because a page on
// another site cannot send one without a CORS preflight, which this server never grants.
import type { IncomingMessage } from 'node:http';

import { readBody, requireContentType } from '../http-io.js';
import { OpenAiError } from './openai-error.js';

export const MAX_API_BODY_BYTES = 2 ** 20;

export type JsonObject = Record<string, unknown>;

export async function readRequestObject(req: IncomingMessage, limit = MAX_API_BODY_BYTES): Promise<JsonObject> {
  requireContentType(req, 'application/json');
  const text = (await readBody(req, limit)).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new OpenAiError(400, `the request body is not valid JSON: ${(error as Error).message}`, 'invalid_request_error', null, 'invalid_json');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OpenAiError(400, 'the request body must be a JSON object', 'invalid_request_error', null, 'invalid_json');
  }
  return value as JsonObject;
}
