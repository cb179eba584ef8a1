// Crash-safe file replacement: write a temporary file beside the target, fsync it, rename it over
// the target (atomic on one file system), then fsync the folder so the rename itself is durable.
// A process killed at any point leaves either the old file or the new one, never half of one.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import type { FileHandle } from 'node:fs/promises';

/** `mode` applies to a new file: conversations and settings pass 0o600 (private to the user). */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  await replaceFileAtomic(path, (file) => file.writeFile(data), mode);
}

/**
 * The same for writers that stream into the file (a checkpoint): `write` fills the temporary
 * file; if it throws, the temporary file is removed and the target is untouched.
 */
export async function replaceFileAtomic(path: string, write: (file: FileHandle) => Promise<void>, mode = 0o644): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await open(temp, 'wx', mode);
    try {
      await write(file);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncFolder(dirname(path));
}

async function syncFolder(folder: string): Promise<void> {
  // Not every platform can open a folder for fsync (Windows cannot); the rename is done either way.
  try {
    const dir = await open(folder, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    /* best effort */
  }
}
