// Errors as OpenAI's API reports them: a status and { error: { message, type, param, code } }.
// OpenAI clients read `message` and dispatch on the status (the official client throws
// BadRequestError for 400, RateLimitError for 429, ...), so every failure on /v1 answers this way.
import type { IncomingMessage, ServerResponse } from 'node:http';

import { HttpError, sendJson } from '../http-io.js';

export type OpenAiErrorType = 'invalid_request_error' | 'rate_limit_error' | 'server_error';

export interface OpenAiErrorBody {
  error: { message: string; type: OpenAiErrorType; param: string | null; code: string | null };
}

export class OpenAiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: OpenAiErrorType = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'OpenAiError';
  }

  get body(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** A 400 about one request field. */
export function invalidParam(param: string, message: string, code = 'invalid_value'): OpenAiError {
  return new OpenAiError(400, message, 'invalid_request_error', param, code);
}

// The shared server code throws HttpErrors named after what went wrong; these are their codes.
const HTTP_ERROR_CODES: Record<string, string> = {
  BadRequest: 'invalid_request',
  PayloadTooLarge: 'request_too_large',
  UnsupportedMediaType: 'unsupported_media_type',
  Forbidden: 'forbidden',
  NotFound: 'unknown_url',
  MethodNotAllowed: 'method_not_allowed',
};

/** Any thrown value as an OpenAiError: client mistakes keep their 4xx, the engine's failures are 5xx. */
export function toOpenAiError(error: unknown): OpenAiError {
  if (error instanceof OpenAiError) return error;
  if (error instanceof HttpError) {
    const type = error.status >= 500 ? 'server_error' : 'invalid_request_error';
    return new OpenAiError(error.status, error.message, type, null, HTTP_ERROR_CODES[error.name] ?? null);
  }
  const name = error instanceof Error ? error.name : 'Error';
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
  // The engine refuses a prompt longer than the context with a RangeError that says so.
  if (name === 'RangeError' && /context/.test(message)) return new OpenAiError(400, message, 'invalid_request_error', null, 'context_length_exceeded');
  if (name === 'HostCrashedError') return new OpenAiError(503, message, 'server_error', null, 'engine_unavailable');
  return new OpenAiError(500, message, 'server_error', null, null);
}

/** Answers with the error, unless an answer has already begun (then the connection just ends). */
export function sendOpenAiError(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  // Drain what the client still sends so that it reads our answer instead of a reset.
  req.resume();
  if (res.headersSent) {
    res.end();
    return;
  }
  const e = toOpenAiError(error);
  for (const [name, value] of Object.entries(e.headers)) res.setHeader(name, value);
  // A body refused half-way (too large) leaves the connection mid-request: close it rather than
  // let the client send its next request into the rest of this one.
  if (!req.complete) res.setHeader('connection', 'close');
  sendJson(res, e.status, e.body);
}
