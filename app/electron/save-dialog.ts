// Saving an export where the user says: the save dialog runs in main, so the renderer never
// writes files and never names a path itself.
import { join } from 'node:path';

import { app, dialog, type BrowserWindow } from 'electron';

import type { ExportFormat } from '../library/conversation-types.js';
import { writeFileAtomic } from '../common/atomic-write.js';
import type { ExportResult } from './colm-api.js';

const FILTERS: Record<ExportFormat, Electron.FileFilter> = {
  json: { name: 'CoLM conversation (JSON)', extensions: ['json'] },
  markdown: { name: 'Markdown', extensions: ['md'] },
};

export async function saveWithDialog(window: BrowserWindow | null, fileName: string, text: string, format: ExportFormat): Promise<ExportResult> {
  const options: Electron.SaveDialogOptions = {
    title: 'Export conversation',
    defaultPath: join(app.getPath('documents'), fileName),
    filters: [FILTERS[format]],
  };
  const choice = window ? await dialog.showSaveDialog(window, options) : await dialog.showSaveDialog(options);
  if (choice.canceled || !choice.filePath) return { saved: false };
  await writeFileAtomic(choice.filePath, text);
  return { saved: true, path: choice.filePath };
}
