// The shapes each IPC message must have. The renderer is treated as untrusted: whatever arrives
// is checked field by field (app/library/validate.ts) before main acts on it.
import type { ChatTurn, GenerationSettings } from '../host/protocol.js';
import type { ExportFormat } from '../library/conversation-types.js';
import { InputError } from '../library/input-error.js';
import { expectId, expectObject, expectOneOf, expectPath, expectString, parseChatTurns, parseLoadOptions, parseSettings, type LoadOptions } from '../library/validate.js';
import type { BatteryReport, PickedPath } from './colm-api.js';

const MAX_FILES = 1000;
const FORMATS: readonly ExportFormat[] = ['json', 'markdown'];

/** Exactly `count` arguments: a stray extra one means the caller is not our preload. */
export function expectArgs(args: readonly unknown[], count: number): void {
  if (args.length !== count) throw new InputError(`expected ${count} argument${count === 1 ? '' : 's'}, got ${args.length}`);
}

export function parseLoadPath(value: unknown): { loadId: string; path: string; options: LoadOptions } {
  const o = expectObject(value, 'the request');
  return { loadId: expectId(o.loadId, 'loadId'), path: expectPath(o.path, 'path'), options: parseLoadOptions(o.options) };
}

export function parseLoadPaths(value: unknown): { loadId: string; files: PickedPath[]; options: LoadOptions } {
  const o = expectObject(value, 'the request');
  if (!Array.isArray(o.files)) throw new InputError('files must be an array');
  if (o.files.length > MAX_FILES) throw new InputError(`files holds more than ${MAX_FILES} entries`);
  const files = o.files.map((f, i) => {
    const file = expectObject(f, `files[${i}]`);
    const absolutePath = expectString(file.absolutePath, `files[${i}].absolutePath`, 4096);
    if (absolutePath.includes('\0')) throw new InputError(`files[${i}].absolutePath may not contain NUL`);
    return { absolutePath, path: expectPath(file.path, `files[${i}].path`) };
  });
  return { loadId: expectId(o.loadId, 'loadId'), files, options: parseLoadOptions(o.options) };
}

export function parseChat(value: unknown): { chatId: string; messages: ChatTurn[]; settings: GenerationSettings } {
  const o = expectObject(value, 'the request');
  return { chatId: expectId(o.chatId, 'chatId'), messages: parseChatTurns(o.messages), settings: parseSettings(o.settings) };
}

export function parseExport(value: unknown): { id: string; format: ExportFormat } {
  const o = expectObject(value, 'the request');
  return { id: expectId(o.id, 'id'), format: expectOneOf(o.format, 'format', FORMATS) };
}

/** A battery reading from the page: null (no BatteryManager), or a level 0..1 and charging. */
export function parseBattery(value: unknown): BatteryReport {
  if (value === null) return null;
  const o = expectObject(value, 'battery');
  const level = o.level;
  if (typeof level !== 'number' || !Number.isFinite(level) || level < 0 || level > 1) throw new InputError('battery.level must be a number from 0 to 1');
  if (typeof o.charging !== 'boolean') throw new InputError('battery.charging must be true or false');
  return { level, charging: o.charging };
}
