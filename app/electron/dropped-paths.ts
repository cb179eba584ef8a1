// Which checkpoint a drop (or a pick) means, from the files' places on disk and their paths inside
// the drop: one file is itself; the files of a dropped folder mean that folder; loose files picked
// from one folder mean that folder (a folder checkpoint is config.json + weights + tokenizer).
import { basename, dirname, isAbsolute } from 'node:path';

import type { PickedPath } from './colm-api.js';
import { InputError } from '../library/input-error.js';

const segments = (path: string) => path.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');

/** The dropped item a file came from: its absolute path less the part inside the drop. */
function dropRoot({ absolutePath, path }: PickedPath): string {
  const inside = segments(path);
  if (inside.length === 0) throw new InputError(`the dropped file "${absolutePath}" has no name`);
  const onDisk = segments(absolutePath);
  const tail = onDisk.slice(-inside.length);
  if (tail.join('/') !== inside.join('/')) throw new InputError(`"${path}" is not where the drop says it is (${absolutePath})`);
  let root = absolutePath;
  for (let i = 1; i < inside.length; i++) root = dirname(root);
  return root;
}

export function checkpointFromDrop(files: readonly PickedPath[]): { path: string; name: string } {
  if (files.length === 0) throw new InputError('no files to load');
  for (const f of files) {
    if (!f.absolutePath) throw new InputError(`"${f.path}" is not a file on this computer (it has no path on disk)`);
    if (!isAbsolute(f.absolutePath)) throw new InputError(`"${f.absolutePath}" is not an absolute path`);
  }
  const roots = [...new Set(files.map(dropRoot))];
  if (roots.length === 1) return { path: roots[0]!, name: basename(roots[0]!) };
  const folders = new Set(roots.map((r) => dirname(r)));
  const looseFiles = files.every((f) => segments(f.path).length === 1);
  if (looseFiles && folders.size === 1) {
    const folder = [...folders][0]!;
    return { path: folder, name: basename(folder) };
  }
  throw new InputError('these files are not one checkpoint: drop one .safetensors or .gguf file, or one checkpoint folder');
}
