// Where the desktop app's pieces are, in a checkout (npm start) and packaged (app.asar). Files
// that native code opens (the addon, the model weights it maps) cannot be read from inside the
// asar archive: electron-builder unpacks them to app.asar.unpacked, and these paths point there.
import { homedir } from 'node:os';
import { join } from 'node:path';

import { app } from 'electron';

export interface AppPaths {
  root: string; // the folder (or asar archive) holding package.json
  rendererIndex: string;
  preload: string;
  hostEntry: string;
  addon: string;
  /** Conversations, the model library, dropped models: shared with `colm serve`. */
  dataDir: string;
}

/** The same path inside app.asar.unpacked, for files native code opens; unchanged outside an asar. */
export function unpackedPath(path: string): string {
  return path.replace(/\.asar(?=$|[\\/])/, '.asar.unpacked');
}

export function appPaths(env: NodeJS.ProcessEnv = process.env): AppPaths {
  const root = app.getAppPath();
  return {
    root,
    rendererIndex: join(root, 'renderer', 'dist', 'index.html'),
    preload: join(root, 'dist', 'electron', 'preload.cjs'),
    hostEntry: join(root, 'dist', 'app', 'host', 'engine-host.js'),
    addon: join(unpackedPath(root), 'build', 'native', 'Release', 'colm.node'),
    dataDir: env.COLM_DATA_DIR || join(homedir(), '.colm-desktop'),
  };
}
