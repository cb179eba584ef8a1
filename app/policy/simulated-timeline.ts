// The scripted machine for tests and demos (`colm serve --simulate-power FILE.json`):
//   {"timeline": [{"at": 0, "power": "ac", "battery": 0.9, "gpuOthers": 0.1},
//                 {"at": 5, "power": "battery", "battery": 0.28}], "loop": false}
// `at` is in seconds from the start. Each entry sets the fields it names; a value holds until a
// later entry changes it. null makes a signal unavailable from then on (a probe that went away).
// With "loop": true the last entry's `at` is the length of one cycle: on reaching it the script
// starts again from the first entry (so give the last entry only an `at`, like {"at": 60}).
import { readFile } from 'node:fs/promises';

import type { ThermalState } from './signals.js';

export interface TimelineEntry {
  at: number; // seconds
  power?: 'ac' | 'battery' | null;
  battery?: number | null; // 0..1
  charging?: boolean | null; // when never given: charging while on AC
  gpuOthers?: number | null; // 0..1
  gpuUtilisation?: number | null; // 0..1
  gpuTemperature?: number | null; // degrees Celsius
  thermal?: ThermalState | null;
  cpuLoad?: number | null; // 0..1
  cpuSpeedLimit?: number | null; // percent
}

export interface Timeline {
  entries: TimelineEntry[];
  loop: boolean;
  source: string; // the file name, for messages
}

export class TimelineError extends Error {
  override name = 'TimelineError';
}

type FieldName = Exclude<keyof TimelineEntry, 'at'>;

const SHARE = { test: (v: unknown) => typeof v === 'number' && v >= 0 && v <= 1, want: 'a number from 0 to 1 (a share: 28% is 0.28)' };
const FIELDS: Record<FieldName, { test: (v: unknown) => boolean; want: string }> = {
  power: { test: (v) => v === 'ac' || v === 'battery', want: '"ac" or "battery"' },
  battery: SHARE,
  charging: { test: (v) => typeof v === 'boolean', want: 'true or false' },
  gpuOthers: SHARE,
  gpuUtilisation: SHARE,
  gpuTemperature: { test: (v) => typeof v === 'number' && v >= -50 && v <= 150, want: 'degrees Celsius from -50 to 150' },
  thermal: { test: (v) => v === 'nominal' || v === 'fair' || v === 'serious' || v === 'critical', want: '"nominal", "fair", "serious" or "critical"' },
  cpuLoad: SHARE,
  cpuSpeedLimit: { test: (v) => typeof v === 'number' && v >= 0 && v <= 100, want: 'a percentage from 0 to 100' },
};

export const TIMELINE_FIELDS = Object.keys(FIELDS) as FieldName[];

export async function loadTimeline(path: string): Promise<Timeline> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new TimelineError(`${path}: cannot read: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TimelineError(`${path}: not valid JSON: ${(error as Error).message}`);
  }
  return parseTimeline(json, path);
}

/** Checks a parsed script; the first problem throws a TimelineError naming the entry and field. */
export function parseTimeline(json: unknown, source = 'timeline'): Timeline {
  const fail = (where: string, message: string): never => {
    throw new TimelineError(`${source}: ${where} ${message}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('the file', 'must be an object like {"timeline": [...]}');
  const root = json as Record<string, unknown>;
  for (const key of Object.keys(root)) if (key !== 'timeline' && key !== 'loop') fail(`"${key}"`, 'is not a setting (known: timeline, loop)');
  if (!Array.isArray(root.timeline) || root.timeline.length === 0) fail('"timeline"', 'must be a non-empty array of entries');
  if (root.loop !== undefined && typeof root.loop !== 'boolean') fail('"loop"', 'must be true or false');

  const entries: TimelineEntry[] = [];
  (root.timeline as unknown[]).forEach((raw, i) => {
    const where = `timeline[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(where, 'must be an object like {"at": 0, "power": "ac"}');
    const entry = raw as Record<string, unknown>;
    const at = entry.at;
    if (typeof at !== 'number' || !Number.isFinite(at) || at < 0) fail(`${where}.at`, `must be a number of seconds, 0 or more; got ${show(at)}`);
    const previous = entries[i - 1];
    if (previous && (at as number) <= previous.at) fail(`${where}.at`, `must be later than timeline[${i - 1}].at (${previous.at}); got ${show(at)}`);
    for (const [key, value] of Object.entries(entry)) {
      if (key === 'at') continue;
      const field = FIELDS[key as FieldName];
      if (!field) fail(`${where}.${key}`, `is not a signal (known: at, ${TIMELINE_FIELDS.join(', ')})`);
      if (value !== null && !field!.test(value)) fail(`${where}.${key}`, `must be ${field!.want}, or null for unavailable; got ${show(value)}`);
    }
    entries.push(entry as unknown as TimelineEntry);
  });

  const loop = root.loop === true;
  if (loop && entries.length < 2) fail('"loop"', 'needs at least two entries: the last one\'s "at" is the length of a cycle');
  return { entries, loop, source };
}

/** The script's values at `seconds` from the start; a field absent from the result was never set. */
export function valuesAt(timeline: Timeline, seconds: number): Partial<Omit<TimelineEntry, 'at'>> {
  const cycle = timeline.entries[timeline.entries.length - 1]!.at;
  const t = timeline.loop ? seconds % cycle : seconds;
  const values: Partial<Record<FieldName, unknown>> = {};
  for (const entry of timeline.entries) {
    if (entry.at > t) break;
    for (const key of TIMELINE_FIELDS) if (key in entry) values[key] = entry[key];
  }
  return values as Partial<Omit<TimelineEntry, 'at'>>;
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}
