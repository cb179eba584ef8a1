// Electron's main process entry (bundled to dist/electron/main.cjs). One instance, one window;
// every renderer sandboxed. The work is in desktop-app.ts; this file only starts and stops it.
import { app, dialog } from 'electron';

import { startDesktopApp } from './desktop-app.js';

app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  // A second launch focuses the first window instead of starting a second engine.
  app.quit();
} else {
  app
    .whenReady()
    .then(async () => {
      const desktop = await startDesktopApp();
      app.on('second-instance', () => {
        if (desktop.window.isDestroyed()) return;
        if (desktop.window.isMinimized()) desktop.window.restore();
        desktop.window.focus();
      });
    })
    .catch((error: Error) => {
      dialog.showErrorBox('CoLM Desktop could not start', error.message);
      app.exit(1);
    });
  app.on('window-all-closed', () => app.quit());
}
