// The models the user has loaded, most recent first, kept in <dataDir>/library.json (written
// atomically). An entry is what the library panel shows without loading the model again: name,
// size, chains, parameters per chain count, Air or plain. Removing an entry forgets it; the file
// itself is the user's and stays (a face may delete copies it made itself).
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import type { ModelInfo } from '../host/protocol.js';
import { writeFileAtomic } from '../common/atomic-write.js';
import type { LibraryEntry } from './library-types.js';

export type { LibraryEntry } from './library-types.js';

const MAX_ENTRIES = 50;

export function libraryId(path: string): string {
  return createHash('sha256').update(path).digest('hex').slice(0, 16);
}

export function entryOf(model: ModelInfo, now = Date.now()): LibraryEntry {
  return {
    id: libraryId(model.path),
    path: model.path,
    name: model.name,
    bytes: model.mappedBytes,
    modelType: model.modelType,
    kvSharing: model.kvSharing,
    chainRatios: [...model.chainRatios],
    chainCount: model.chainCount,
    parameters: model.subModels.map((s) => s.parameters),
    lastLoadedAt: now,
  };
}

function isEntry(value: unknown): value is LibraryEntry {
  const e = value as Partial<LibraryEntry> | null;
  return (
    typeof e === 'object' && e !== null &&
    typeof e.id === 'string' && typeof e.path === 'string' && typeof e.name === 'string' &&
    typeof e.bytes === 'number' && typeof e.chainCount === 'number' && Array.isArray(e.parameters) &&
    Array.isArray(e.chainRatios) && typeof e.kvSharing === 'boolean' && typeof e.lastLoadedAt === 'number'
  );
}

export class ModelLibrary {
  readonly file: string;
  /** Writes one after another, so two quick loads cannot interleave read-modify-write. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(dataDir: string) {
    this.file = join(dataDir, 'library.json');
  }

  async list(): Promise<LibraryEntry[]> {
    await this.queue.catch(() => undefined);
    return this.read();
  }

  /** Puts `model` first (replacing an older entry for the same path). */
  record(model: ModelInfo): Promise<LibraryEntry> {
    return this.change((entries) => {
      const entry = entryOf(model);
      return { entries: [entry, ...entries.filter((e) => e.path !== entry.path)].slice(0, MAX_ENTRIES), result: entry };
    });
  }

  /** Forgets the entry with `id`; answers it, or null if there was none. */
  remove(id: string): Promise<LibraryEntry | null> {
    return this.change((entries) => {
      const found = entries.find((e) => e.id === id) ?? null;
      return { entries: entries.filter((e) => e.id !== id), result: found };
    });
  }

  private change<R>(edit: (entries: LibraryEntry[]) => { entries: LibraryEntry[]; result: R }): Promise<R> {
    const run = this.queue.catch(() => undefined).then(async () => {
      const { entries, result } = edit(await this.read());
      await mkdir(dirname(this.file), { recursive: true });
      await writeFileAtomic(this.file, JSON.stringify({ version: 1, models: entries }, null, 1), 0o600);
      return result;
    });
    this.queue = run;
    return run;
  }

  /** A missing or damaged file is an empty library: the list is a convenience, never a blocker. */
  private async read(): Promise<LibraryEntry[]> {
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as { models?: unknown };
      return Array.isArray(parsed.models) ? parsed.models.filter(isEntry) : [];
    } catch {
      return [];
    }
  }
}
