// Checkpoints dropped on the browser window: the browser has no file paths to give, so the bytes
// are streamed here into <dataDir>/models/<upload id>/<relative path> and loaded from there. A
// folder arrives as several files that share an upload id, with their paths inside the folder.
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { dirname, join } from 'node:path';

import { HttpError } from './http-io.js';

const MAX_DEPTH = 8;

/** A browser-supplied relative path as safe segments: no "..", no absolute paths, no drive letters. */
export function safeRelativePath(path: string): string[] {
  const segments = path.replace(/\\/g, '/').split('/').filter((s) => s !== '' && s !== '.');
  const bad = (why: string): never => {
    throw new HttpError(400, `upload path "${path.slice(0, 200)}" ${why}`);
  };
  if (segments.length === 0) bad('is empty');
  if (segments.length > MAX_DEPTH) bad(`is deeper than ${MAX_DEPTH} folders`);
  for (const s of segments) {
    if (s === '..') bad('may not contain ".."');
    if (s.length > 255) bad('has a name longer than 255 characters');
    if (/[\0:]/.test(s)) bad('may not contain NUL or ":"');
  }
  return segments;
}

export class UploadStore {
  readonly folder: string;

  constructor(dataDir: string) {
    this.folder = join(dataDir, 'models');
  }

  folderOf(uploadId: string): string {
    return join(this.folder, uploadId);
  }

  /** Streams one file of an upload to disk; returns its size. A failed write leaves no partial file. */
  async receive(uploadId: string, relativePath: string, body: Readable): Promise<number> {
    const target = join(this.folder, uploadId, ...safeRelativePath(relativePath));
    await mkdir(dirname(target), { recursive: true });
    try {
      await pipeline(body, createWriteStream(target, { mode: 0o600 }));
    } catch (error) {
      await rm(target, { force: true });
      throw error;
    }
    return (await stat(target)).size;
  }

  /**
   * What to load from an upload: its one file, the one folder everything sits in (a dropped
   * folder), or the upload folder itself (loose files of a folder checkpoint).
   */
  async checkpointPath(uploadId: string): Promise<string> {
    const root = join(this.folder, uploadId);
    const entries = await readdir(root, { withFileTypes: true }).catch(() => {
      throw new HttpError(404, `no files were uploaded under "${uploadId}"`, 'NotFound');
    });
    if (entries.length === 1) return join(root, entries[0]!.name);
    return root;
  }

  async remove(uploadId: string): Promise<void> {
    await rm(join(this.folder, uploadId), { recursive: true, force: true });
  }
}
