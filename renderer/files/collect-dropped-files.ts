// The files of a drop, with their paths inside a dropped folder. Chromium exposes folders only
// through webkitGetAsEntry(), which must be called while the drop event is being handled, so the
// entries are taken synchronously before anything is awaited. Drops without entries (synthetic
// DataTransfers, some platforms) fall back to the plain file list.
import type { UploadFile } from '../bridge/types.js';

function readEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

function entryFile(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

async function walk(entry: FileSystemEntry, out: UploadFile[]): Promise<void> {
  if (entry.isFile) {
    out.push({ file: await entryFile(entry as FileSystemFileEntry), path: entry.fullPath.replace(/^\/+/, '') });
    return;
  }
  if (!entry.isDirectory) return;
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries answers in batches until it answers with none.
  for (let batch = await readEntries(reader); batch.length > 0; batch = await readEntries(reader)) {
    for (const child of batch) await walk(child, out);
  }
}

/** A picked file list (an <input type=file>, with or without webkitdirectory). */
export function filesFromList(list: FileList | File[]): UploadFile[] {
  return Array.from(list, (file) => ({ file, path: file.webkitRelativePath || file.name }));
}

export function collectDroppedFiles(data: DataTransfer): Promise<UploadFile[]> {
  const plain = filesFromList(data.files);
  const entries = Array.from(data.items ?? [])
    .filter((item) => item.kind === 'file')
    .map((item) => item.webkitGetAsEntry?.() ?? null);
  if (entries.length === 0 || entries.some((e) => e === null)) return Promise.resolve(plain);
  return (async () => {
    try {
      const out: UploadFile[] = [];
      for (const entry of entries) await walk(entry!, out);
      return out.length > 0 ? out : plain;
    } catch {
      return plain;
    }
  })();
}
