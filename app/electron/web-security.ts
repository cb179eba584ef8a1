// Electron's security checklist, applied to the session and to every web contents: a strict
// Content-Security-Policy, no permissions, no downloads, no navigation away from the app, no new
// windows, no <webview>. Links to https pages open in the user's browser, nothing else does.
import { shell, type Session, type WebContents } from 'electron';

import { CONTENT_SECURITY_POLICY_HEADER } from './content-security-policy.js';
import type { AppOrigin } from './trusted-origin.js';

/** https links (say, in a reply's markdown) go to the user's browser; every other scheme is dropped. */
export function openExternally(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return;
  }
  if (parsed.protocol === 'https:') void shell.openExternal(parsed.href);
}

/** `policy`: the Content-Security-Policy header for pages served over http (the dev server). */
export function secureSession(session: Session, policy = CONTENT_SECURITY_POLICY_HEADER): void {
  // Only pages served over http(s) have headers to carry it; the app itself is read from file://.
  session.webRequest.onHeadersReceived({ urls: ['http://*/*', 'https://*/*'] }, (details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] } });
  });
  // Camera, microphone, notifications, geolocation, ...: a local chat app needs none of them.
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  // Exports are written by main after a save dialog; nothing downloads on its own.
  session.on('will-download', (event) => event.preventDefault());
}

export function secureWebContents(contents: WebContents, origin: AppOrigin): void {
  contents.on('will-navigate', (event, url) => {
    // A link clicked in a reply, or a file dropped outside the drop handler: stay on the app.
    event.preventDefault();
    if (!origin.isAppUrl(url)) openExternally(url);
  });
  contents.on('will-redirect', (event, url) => {
    if (!origin.isAppUrl(url)) event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    openExternally(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}
