// Checks of the chain policy's commands as they arrive from a window (HTTP body or IPC argument).
// The rules themselves are checked by the policy's parseRules, whose problems are answers for
// the rules editor, not input errors; here only the envelope is checked.
import { InputError } from './input-error.js';
import { expectNumber } from './validate.js';

export function expectBoolean(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new InputError(`${what} must be true or false`);
  return value;
}

/** A chain count to pin: a whole number from 1 to the loaded model's n (64 while none is loaded). */
export function expectChainCount(value: unknown, what: string, chainCount: number | null): number {
  return expectNumber(value, chainCount === null ? what : `${what} (this model has ${chainCount} chains)`, 1, chainCount ?? 64, true);
}
