// Checks of untrusted input shared by every face: HTTP bodies in browser mode, IPC arguments in
// Electron. Each failure is an InputError that names the field and what it must be, so the UI
// (or a script) can say exactly what was wrong.
import { deviceRequestText, parseDevice } from '../engine/device-choice.js';
import { KV_TYPES, type KvType } from '../engine/kv-type.js';
import type { ChatRole, ChatTurn, GenerationSettings, TokenInfo } from '../host/protocol.js';
import type { Conversation, StoredMessage } from './conversation-types.js';
import { DEFAULT_SETTINGS } from './default-settings.js';
import { InputError } from './input-error.js';

type Json = Record<string, unknown>;

const ROLES: readonly ChatRole[] = ['system', 'user', 'assistant'];
const MAX_TEXT = 1_000_000;
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

function bad(message: string): never {
  throw new InputError(message);
}

export function expectObject(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(`${what} must be a JSON object`);
  return value as Json;
}

export function expectString(value: unknown, what: string, maxLength = MAX_TEXT): string {
  if (typeof value !== 'string') bad(`${what} must be a string`);
  if (value.length > maxLength) bad(`${what} is longer than ${maxLength} characters`);
  return value;
}

export function expectId(value: unknown, what: string): string {
  const id = expectString(value, what, 64);
  if (!ID_PATTERN.test(id)) bad(`${what} must be 1 to 64 letters, digits, "-" or "_"`);
  return id;
}

export function expectNumber(value: unknown, what: string, min: number, max: number, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) bad(`${what} must be a number`);
  if (integer && !Number.isInteger(value)) bad(`${what} must be an integer`);
  if (value < min || value > max) bad(`${what} must be between ${min} and ${max}, got ${value}`);
  return value;
}

export function expectOneOf<T extends string>(value: unknown, what: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) bad(`${what} must be one of ${allowed.join(', ')}`);
  return value as T;
}

function expectRole(value: unknown, what: string): ChatRole {
  return expectOneOf(value, what, ROLES);
}

/** A file system path from the other side: text, not empty, no NUL (which would cut it short in C). */
export function expectPath(value: unknown, what: string): string {
  const path = expectString(value, what, 4096).trim();
  if (!path) bad(`${what} must not be empty`);
  if (path.includes('\0')) bad(`${what} may not contain NUL`);
  return path;
}

/** Settings may be partial; missing fields take the defaults. */
export function parseSettings(value: unknown): GenerationSettings {
  if (value === undefined) return { ...DEFAULT_SETTINGS };
  const o = expectObject(value, 'settings');
  const s: GenerationSettings = { ...DEFAULT_SETTINGS };
  if (o.chains !== undefined) s.chains = o.chains === 'auto' ? 'auto' : expectNumber(o.chains, 'settings.chains', 1, 1024, true);
  // null: the user set none; the model's generation_config.json, else the app, decides.
  if (o.temperature !== undefined) s.temperature = o.temperature === null ? null : expectNumber(o.temperature, 'settings.temperature', 0, 100);
  if (o.topK !== undefined) s.topK = o.topK === null ? null : expectNumber(o.topK, 'settings.topK', 0, 1_000_000, true);
  if (o.topP !== undefined) s.topP = o.topP === null ? null : expectNumber(o.topP, 'settings.topP', 0, 1);
  if (o.minP !== undefined) s.minP = expectNumber(o.minP, 'settings.minP', 0, 1);
  if (o.repeatPenalty !== undefined) s.repeatPenalty = o.repeatPenalty === null ? null : expectNumber(o.repeatPenalty, 'settings.repeatPenalty', 0.01, 100);
  if (o.seed !== undefined) s.seed = o.seed === null ? null : expectNumber(o.seed, 'settings.seed', 0, 2 ** 32 - 1, true);
  if (o.maxTokens !== undefined) s.maxTokens = expectNumber(o.maxTokens, 'settings.maxTokens', 1, 1 << 20, true);
  return s;
}

export interface LoadOptions {
  contextSize?: number; // tokens; absent: the model's default
  threads?: number; // absent or 0: the engine picks
  kvType?: KvType; // the KV cache's element type; absent: bf16
  device?: string; // 'auto' | 'cpu' | 'cuda:N' (app/engine/device-choice.ts); absent: the face's default, else auto
}

/** How a model is loaded: its session's context and thread count. null and absent both mean "default". */
export function parseLoadOptions(value: unknown): LoadOptions {
  if (value === undefined || value === null) return {};
  const o = expectObject(value, 'options');
  const options: LoadOptions = {};
  if (o.contextSize !== undefined && o.contextSize !== null) options.contextSize = expectNumber(o.contextSize, 'options.contextSize', 16, 1 << 20, true);
  if (o.threads !== undefined && o.threads !== null) options.threads = expectNumber(o.threads, 'options.threads', 0, 1024, true);
  if (o.kvType !== undefined && o.kvType !== null) options.kvType = expectOneOf(o.kvType, 'options.kvType', KV_TYPES);
  if (o.device !== undefined && o.device !== null) options.device = expectDevice(o.device, 'options.device');
  return options;
}

/** 'auto', 'cpu', 'cuda' or 'cuda:N', in its one spelling ('cuda' is 'cuda:0'). */
export function expectDevice(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length > 16) bad(`${what} must be "auto", "cpu" or "cuda:N"`);
  try {
    return deviceRequestText(parseDevice(value));
  } catch {
    return bad(`${what} must be "auto", "cpu" or "cuda:N", got ${JSON.stringify(value)}`);
  }
}

export function parseChatTurns(value: unknown): ChatTurn[] {
  if (!Array.isArray(value) || value.length === 0) bad('messages must be a non-empty array');
  const messages: ChatTurn[] = value.map((m, i) => {
    const msg = expectObject(m, `messages[${i}]`);
    return { role: expectRole(msg.role, `messages[${i}].role`), content: expectString(msg.content, `messages[${i}].content`) };
  });
  if (messages[messages.length - 1]!.role !== 'user') bad('the last message must be the user\'s');
  return messages;
}

export function parseChatRequest(value: unknown): { messages: ChatTurn[]; settings: GenerationSettings } {
  const o = expectObject(value, 'the request body');
  return { messages: parseChatTurns(o.messages), settings: parseSettings(o.settings) };
}

function parseTokens(value: unknown, what: string): TokenInfo[] {
  if (!Array.isArray(value)) bad(`${what} must be an array`);
  return value.map((t, i) => {
    const o = expectObject(t, `${what}[${i}]`);
    return { chains: expectNumber(o.chains, `${what}[${i}].chains`, 0, 1024, true), text: expectString(o.text, `${what}[${i}].text`) };
  });
}

function parseMessage(value: unknown, what: string): StoredMessage {
  const o = expectObject(value, what);
  const message: StoredMessage = {
    id: expectId(o.id, `${what}.id`),
    role: expectRole(o.role, `${what}.role`),
    content: expectString(o.content, `${what}.content`),
  };
  if (o.tokens !== undefined) message.tokens = parseTokens(o.tokens, `${what}.tokens`);
  // Stats are for display only: kept as given once they are an object.
  if (o.stats !== undefined) message.stats = expectObject(o.stats, `${what}.stats`) as unknown as StoredMessage['stats'];
  if (o.error !== undefined) message.error = expectString(o.error, `${what}.error`, 10_000);
  return message;
}

/** A whole conversation; `id` (already checked) wins over any id inside, which must match if present. */
export function parseConversation(value: unknown, id: string): Conversation {
  const o = expectObject(value, 'the conversation');
  if (o.id !== undefined && o.id !== id) bad(`the conversation's id "${String(o.id)}" does not match the URL's "${id}"`);
  if (!Array.isArray(o.messages)) bad('messages must be an array');
  const now = Date.now();
  return {
    id,
    title: expectString(o.title ?? 'New chat', 'title', 500),
    createdAt: o.createdAt === undefined ? now : expectNumber(o.createdAt, 'createdAt', 0, 1e15, true),
    updatedAt: o.updatedAt === undefined ? now : expectNumber(o.updatedAt, 'updatedAt', 0, 1e15, true),
    messages: o.messages.map((m, i) => parseMessage(m, `messages[${i}]`)),
  };
}
