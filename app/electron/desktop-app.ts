// The desktop app, put together once Electron is ready: the engine host in a utilityProcess,
// the stores under the data folder, the window and its IPC, power events for the chain policy,
// and the default model loaded in the background so the window shows its progress.
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';

import { app, ipcMain, session, type BrowserWindow } from 'electron';

import { defaultModelPath } from '../cli/default-model.js';
import { AppController } from '../host/app-controller.js';
import { HostClient } from '../host/host-client.js';
import { startChainPolicy } from '../host/policy-setup.js';
import { ConversationStore } from '../library/conversation-store.js';
import { ModelLibrary } from '../library/model-library.js';
import { ElectronPowerProbe } from '../policy/probes/electron-power.js';
import { appPaths, unpackedPath, type AppPaths } from './app-paths.js';
import { sendEvent } from './chat-relay.js';
import { utilityProcessHost } from './engine-process.js';
import { registerIpcHandlers } from './ipc-handlers.js';
import { watchPower, type PowerEvents } from './power-events.js';
import { saveWithDialog } from './save-dialog.js';
import { devServerOrigin, fileOrigin, type AppOrigin } from './trusted-origin.js';
import { CONTENT_SECURITY_POLICY_HEADER, DEV_CONTENT_SECURITY_POLICY_HEADER } from './content-security-policy.js';
import { secureSession, secureWebContents } from './web-security.js';
import { createMainWindow } from './window.js';

export interface DesktopApp {
  window: BrowserWindow;
  controller: AppController;
  /** powerMonitor's changes, for the chain policy to consume. */
  power: PowerEvents;
  paths: AppPaths;
}

/** The app's page: the built renderer, or a dev server while developing (never when packaged). */
function pageOrigin(paths: AppPaths): AppOrigin {
  const devUrl = process.env.COLM_DEV_SERVER_URL;
  if (devUrl && !app.isPackaged) return devServerOrigin(devUrl);
  if (!existsSync(paths.rendererIndex)) throw new Error(`the user interface is not built (no ${paths.rendererIndex}): run npm run build`);
  return fileOrigin(paths.rendererIndex);
}

/** The shipped model, or the smallest fixture in a checkout; null when there is neither. */
function startupModel(root: string): string | null {
  try {
    // The weights are memory-mapped by native code, so they must come from outside the asar.
    return unpackedPath(defaultModelPath(root));
  } catch {
    return null;
  }
}

export async function startDesktopApp(): Promise<DesktopApp> {
  const paths = appPaths();
  const origin = pageOrigin(paths);
  secureSession(session.defaultSession, origin.url.startsWith('file:') ? CONTENT_SECURITY_POLICY_HEADER : DEV_CONTENT_SECURITY_POLICY_HEADER);
  app.on('web-contents-created', (_event, contents) => secureWebContents(contents, origin));

  const host = new HostClient({ entry: paths.hostEntry, env: { COLM_ADDON_PATH: paths.addon }, spawn: utilityProcessHost });
  const library = new ModelLibrary(paths.dataDir);
  // powerMonitor speaks first for the chain policy (and at once on a change), the page's
  // navigator.getBattery() gives the level; /sys, pmset and nvidia-smi fill in the rest.
  const power = watchPower();
  const electronPower = new ElectronPowerProbe();
  electronPower.update(power.current);
  power.on((change) => electronPower.update(change));
  const policy = await startChainPolicy({
    host,
    electron: electronPower,
    rulesFile: join(paths.dataDir, 'policy-rules.json'),
    warn: (message) => console.warn(message),
  });
  const controller = new AppController(host, app.getVersion(), {
    onLoaded: (model) => library.record(model).then(() => undefined, () => undefined),
    policy,
  });

  const icon = join(paths.root, 'build', 'icon.png');
  const window = createMainWindow({ preload: paths.preload, icon: existsSync(icon) ? icon : undefined, devTools: !app.isPackaged });
  // The engine's state and crashes reach the window as they happen (the UI shows a notice and
  // the restart; the conversation lives in the renderer and on disk, so nothing is lost).
  const unsubscribe = controller.subscribe((event) => sendEvent(window.webContents, event));
  const unregister = registerIpcHandlers(ipcMain, {
    controller,
    conversations: new ConversationStore(paths.dataDir),
    library,
    origin,
    window: () => (window.isDestroyed() ? null : window),
    saveFile: (fileName, text, format) => saveWithDialog(window.isDestroyed() ? null : window, fileName, text, format),
    onBattery: (battery) => electronPower.update({ battery }),
  });
  window.on('closed', () => {
    unsubscribe();
    unregister();
  });
  app.on('before-quit', () => {
    policy.stop();
    power.dispose();
    void host.dispose();
  });

  // The engine starts while the page loads; the page shows "engine starting" until it is up.
  const hostStarted = host.start();
  hostStarted.catch(() => undefined); // awaited below: an early failure is not unhandled
  await window.loadURL(origin.url);
  await hostStarted;
  const model = startupModel(paths.root);
  if (model) {
    controller.load(model, basename(model)).catch((error: Error) => {
      console.error(`colm: could not load ${model}: ${error.message.split('\n')[0]}`);
    });
  }
  return { window, controller, power, paths };
}
