// Typed reading of request fields. A field left out or sent as null is "not given" (clients send
// null for unset options); anything else of the wrong type or range is a 400 naming the field.
import { invalidParam } from './openai-error.js';
import type { JsonObject } from './request-body.js';

/** A short rendering of a bad value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '...' : value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

export function given(body: JsonObject, key: string): boolean {
  return body[key] !== undefined && body[key] !== null;
}

export function optionalNumber(body: JsonObject, key: string, min: number, max: number): number | undefined {
  if (!given(body, key)) return undefined;
  const value = body[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidParam(key, `${key} must be a number, got ${describeValue(value)}`, 'invalid_type');
  if (value < min || value > max) throw invalidParam(key, `${key} must be between ${min} and ${max}, got ${value}`);
  return value;
}

export function optionalInteger(body: JsonObject, key: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (!given(body, key)) return undefined;
  const value = body[key];
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidParam(key, `${key} must be an integer, got ${describeValue(value)}`, 'invalid_type');
  if (value < min || value > max) throw invalidParam(key, `${key} must be between ${min} and ${max}, got ${value}`);
  return value;
}

export function optionalBoolean(body: JsonObject, key: string): boolean | undefined {
  if (!given(body, key)) return undefined;
  const value = body[key];
  if (typeof value !== 'boolean') throw invalidParam(key, `${key} must be true or false, got ${describeValue(value)}`, 'invalid_type');
  return value;
}

export function requiredString(body: JsonObject, key: string, maxLength: number): string {
  const value = body[key];
  if (typeof value !== 'string') throw invalidParam(key, `${key} must be a string, got ${value === undefined ? 'nothing' : describeValue(value)}`, value === undefined ? 'missing_required_parameter' : 'invalid_type');
  if (value.length > maxLength) throw invalidParam(key, `${key} is longer than ${maxLength} characters`);
  return value;
}

export function optionalObject(body: JsonObject, key: string): JsonObject | undefined {
  if (!given(body, key)) return undefined;
  const value = body[key];
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidParam(key, `${key} must be an object, got ${describeValue(value)}`, 'invalid_type');
  return value as JsonObject;
}

