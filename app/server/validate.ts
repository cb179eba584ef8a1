// The shared input checks (app/library/validate.ts) as the server needs them: a broken rule is an
// HttpError 400 that names the field, answered as { error } while the server goes on.
import type { ChatRequestBody, Conversation } from './api-types.js';
import type { GenerationSettings } from '../host/protocol.js';
import { InputError } from '../library/input-error.js';
import * as checks from '../library/validate.js';
import { HttpError } from './http-io.js';

export type { LoadOptions } from '../library/validate.js';

/** `check` with its InputErrors turned into HttpError 400s. */
export function asHttp<A extends unknown[], R>(check: (...args: A) => R): (...args: A) => R {
  return (...args) => {
    try {
      return check(...args);
    } catch (error) {
      if (error instanceof InputError) throw new HttpError(400, error.message);
      throw error;
    }
  };
}

export const expectObject: (value: unknown, what: string) => Record<string, unknown> = asHttp(checks.expectObject);
export const expectString: (value: unknown, what: string, maxLength?: number) => string = asHttp(checks.expectString);
export const expectId: (value: unknown, what: string) => string = asHttp(checks.expectId);
export const expectNumber: (value: unknown, what: string, min: number, max: number, integer?: boolean) => number = asHttp(checks.expectNumber);
export const expectPath: (value: unknown, what: string) => string = asHttp(checks.expectPath);
export const parseSettings: (value: unknown) => GenerationSettings = asHttp(checks.parseSettings);
export const parseLoadOptions: (value: unknown) => checks.LoadOptions = asHttp(checks.parseLoadOptions);
export const parseChatRequest: (value: unknown) => ChatRequestBody = asHttp(checks.parseChatRequest);
export const parseConversation: (value: unknown, id: string) => Conversation = asHttp(checks.parseConversation);
