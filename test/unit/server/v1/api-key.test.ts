// The bearer key: where it comes from, and what a request without it (or with another) gets.
import type { IncomingMessage } from 'node:http';
import { describe, expect, test } from 'vitest';

import { checkApiKey, resolveApiKey } from '../../../../app/server/v1/api-key.js';
import { OpenAiError } from '../../../../app/server/v1/openai-error.js';

const withAuth = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;

describe('API key', () => {
  test('the option wins over COLM_API_KEY; an empty key is no key', () => {
    expect(resolveApiKey('a', { COLM_API_KEY: 'b' })).toBe('a');
    expect(resolveApiKey(undefined, { COLM_API_KEY: 'b' })).toBe('b');
    expect(resolveApiKey(undefined, {})).toBeNull();
    expect(resolveApiKey('', { COLM_API_KEY: 'b' })).toBeNull();
  });

  test('no key set: every request passes', () => {
    expect(() => checkApiKey(withAuth(), null)).not.toThrow();
  });

  test('the right key passes, in any case of "Bearer"', () => {
    expect(() => checkApiKey(withAuth('Bearer s3cret'), 's3cret')).not.toThrow();
    expect(() => checkApiKey(withAuth('bearer s3cret'), 's3cret')).not.toThrow();
  });

  test.each([[undefined, /needs an API key/], ['Bearer nope', /not valid/], ['Basic czNjcmV0', /needs an API key/], ['Bearer s3cret2', /not valid/]])(
    '%s is a 401 invalid_api_key',
    (header, message) => {
      let error: unknown;
      try {
        checkApiKey(withAuth(header), 's3cret');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(OpenAiError);
      const e = error as OpenAiError;
      expect(e.status).toBe(401);
      expect(e.body.error).toMatchObject({ code: 'invalid_api_key', type: 'invalid_request_error' });
      expect(e.message).toMatch(message);
      expect(e.headers['www-authenticate']).toBe('Bearer');
    },
  );
});
