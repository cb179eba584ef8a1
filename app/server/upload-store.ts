// Checkpoints dropped on the browser window: the browser has no file paths to give, so the bytes
// are streamed here into <dataDir>/models/<upload id>/<relative path> and loaded from there. A
// folder arrives as several files that share an upload id, with their paths inside the folder.
// The same checkpoint dropped (or picked with Open...) twice is kept once: an upload whose files
// match an earlier upload's byte for byte gives way to it, so the library has one entry.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
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
    this.digests.delete(uploadId);
    await rm(join(this.folder, uploadId), { recursive: true, force: true });
  }

  /** Content digests of finished uploads, by upload id: a second drop is compared without rereading the first. */
  private readonly digests = new Map<string, string>();

  /**
   * An earlier upload with the same files (relative paths, sizes and bytes) as `uploadId`, or null.
   * Sizes are compared first, so only a likely twin is read and hashed.
   */
  async sameUpload(uploadId: string): Promise<string | null> {
    const mine = await this.listing(uploadId);
    if (mine === null) return null;
    const others = await readdir(this.folder, { withFileTypes: true }).catch(() => []);
    for (const other of others) {
      if (!other.isDirectory() || other.name === uploadId) continue;
      const theirs = await this.listing(other.name);
      if (theirs === null || theirs.key !== mine.key) continue;
      if ((await this.digest(other.name, theirs.files)) === (await this.digest(uploadId, mine.files))) return other.name;
    }
    return null;
  }

  /** Files of an upload as sorted relative paths with sizes; null when it is not a folder here. */
  private async listing(uploadId: string): Promise<{ files: string[]; key: string } | null> {
    const root = join(this.folder, uploadId);
    const files: Array<[string, number]> = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
        if (entry.isDirectory()) await walk(join(dir, entry.name), rel);
        else if (entry.isFile()) files.push([rel, (await stat(join(dir, entry.name))).size]);
      }
    };
    try {
      await walk(root, '');
    } catch {
      return null;
    }
    if (files.length === 0) return null;
    files.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return { files: files.map(([rel]) => rel), key: JSON.stringify(files) };
  }

  private async digest(uploadId: string, files: string[]): Promise<string> {
    const known = this.digests.get(uploadId);
    if (known !== undefined) return known;
    const all = createHash('sha256');
    for (const rel of files) {
      const one = createHash('sha256');
      await pipeline(createReadStream(join(this.folder, uploadId, ...rel.split('/'))), one);
      all.update(`${rel}\0${one.digest('hex')}\n`);
    }
    const digest = all.digest('hex');
    this.digests.set(uploadId, digest);
    return digest;
  }
}
