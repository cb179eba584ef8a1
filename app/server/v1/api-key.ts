// The optional bearer key of the API (`colm serve --api-key KEY` or COLM_API_KEY). Keys are
// compared through their hashes in constant time, so the answer's timing tells nothing about them.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import { OpenAiError } from './openai-error.js';

const digest = (text: string) => createHash('sha256').update(text).digest();

export function checkApiKey(req: IncomingMessage, key: string | null): void {
  if (key === null) return;
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (match && timingSafeEqual(digest(match[1]!), digest(key))) return;
  const message = match ? 'the API key is not valid' : 'this server needs an API key: send "Authorization: Bearer KEY"';
  throw new OpenAiError(401, message, 'invalid_request_error', null, 'invalid_api_key', { 'www-authenticate': 'Bearer' });
}

/** The key to require: the option, else COLM_API_KEY, else none. An empty key is no key. */
export function resolveApiKey(option: string | null | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  const key = option ?? env.COLM_API_KEY ?? '';
  return key === '' ? null : key;
}
