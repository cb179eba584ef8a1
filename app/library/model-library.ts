// The models the user has loaded, most recent first, kept in <dataDir>/library.json (written
// atomically). An entry is what the library panel shows without loading the model again: name,
// size, family, weight type, context length, file kind, chains, parameters per chain count, Air or
// plain. One file is one entry however it was reached (a symlink, a relative path, a second drop):
// entries are keyed by the real path. Removing an entry forgets it; the file itself is the user's
// and stays (a face may delete copies it made itself).
import { createHash } from 'node:crypto';
import { mkdir, readFile, realpath } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

import type { ModelInfo } from '../host/protocol.js';
import { writeFileAtomic } from '../common/atomic-write.js';
import type { FileKind, LibraryEntry } from './library-types.js';

export type { FileKind, LibraryEntry } from './library-types.js';

const MAX_ENTRIES = 50;

export function libraryId(path: string): string {
  return createHash('sha256').update(path).digest('hex').slice(0, 16);
}

/** The path with every symlink and relative part resolved; as given (made absolute) when it is gone. */
export async function realPathOf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return resolve(path);
  }
}

/** What kind of thing a checkpoint is, from how it was read (ModelInfo.packaging) and its name. */
export function fileKindOf(packaging: string, path: string): FileKind {
  if (packaging === 'gguf' || /\.gguf$/i.test(path)) return 'gguf';
  if (packaging === 'single-file') return 'safetensors';
  return 'folder';
}

export function entryOf(model: ModelInfo, now = Date.now(), path = model.path): LibraryEntry {
  return {
    id: libraryId(path),
    path,
    name: model.name,
    bytes: model.mappedBytes,
    modelType: model.modelType,
    weightType: model.weightType,
    contextLength: model.contextLength,
    fileKind: fileKindOf(model.packaging, path),
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

  /** Puts `model` first, replacing any entry for the same file (by real path). */
  async record(model: ModelInfo): Promise<LibraryEntry> {
    const path = await realPathOf(model.path);
    return this.change(async (entries) => {
      const entry = entryOf(model, Date.now(), path);
      // Entries written before paths were resolved may name the same file another way.
      const others: LibraryEntry[] = [];
      for (const e of entries) {
        if (e.id !== entry.id && e.path !== path && (await realPathOf(e.path)) !== path) others.push(e);
      }
      return { entries: [entry, ...others].slice(0, MAX_ENTRIES), result: entry };
    });
  }

  /** Forgets the entry with `id`; answers it, or null if there was none. */
  remove(id: string): Promise<LibraryEntry | null> {
    return this.change((entries) => {
      const found = entries.find((e) => e.id === id) ?? null;
      return { entries: entries.filter((e) => e.id !== id), result: found };
    });
  }

  private change<R>(edit: (entries: LibraryEntry[]) => { entries: LibraryEntry[]; result: R } | Promise<{ entries: LibraryEntry[]; result: R }>): Promise<R> {
    const run = this.queue.catch(() => undefined).then(async () => {
      const { entries, result } = await edit(await this.read());
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
