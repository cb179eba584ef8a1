// Electron's security checklist on the window and its contents: the window's web preferences,
// a page that may not navigate, open windows, attach webviews, ask for permissions or download;
// https links go to the user's browser and nothing else does.
import { beforeEach, describe, expect, test, vi } from 'vitest';

import { CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_HEADER } from '../../../app/electron/content-security-policy.js';
import { fileOrigin } from '../../../app/electron/trusted-origin.js';
import { secureSession, secureWebContents } from '../../../app/electron/web-security.js';
import { createMainWindow } from '../../../app/electron/window.js';
import { fakeElectron, FakeSession, FakeWebContents } from './fake-electron.js';

vi.mock('electron', async () => (await import('./fake-electron.js')).fakeElectron);

const origin = fileOrigin('/opt/colm/resources/app.asar/renderer/dist/index.html');

beforeEach(() => {
  fakeElectron.shell.openExternal.mockClear();
});

describe('the window', () => {
  test('is isolated, sandboxed, without Node, with web security, and shows only once painted', () => {
    const window = createMainWindow({ preload: '/app/dist/electron/preload.cjs', devTools: false });
    const prefs = (window as unknown as { options: { webPreferences: Record<string, unknown>; show: boolean } }).options;
    expect(prefs.webPreferences).toMatchObject({
      preload: '/app/dist/electron/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      devTools: false,
    });
    expect(prefs.show).toBe(false);
    window.emit('ready-to-show');
    expect(window.show).toHaveBeenCalledOnce();
  });
});

describe('the page', () => {
  function guarded(): FakeWebContents {
    const contents = new FakeWebContents();
    secureWebContents(contents as never, origin);
    return contents;
  }

  test('may not navigate anywhere; an https link opens in the browser instead', () => {
    const contents = guarded();
    for (const url of ['https://example.com/docs', 'http://example.com/', 'file:///etc/passwd', 'javascript:alert(1)', origin.url + '#again']) {
      const event = { preventDefault: vi.fn() };
      contents.emit('will-navigate', event, url);
      expect(event.preventDefault, url).toHaveBeenCalled();
    }
    expect(fakeElectron.shell.openExternal.mock.calls).toEqual([['https://example.com/docs']]);
  });

  test('window.open is denied; only an https URL reaches the browser', () => {
    const contents = guarded();
    expect(contents.windowOpenHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler!({ url: 'file:///home/user/.ssh/id_rsa' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler!({ url: 'smb://server/share' })).toEqual({ action: 'deny' });
    expect(fakeElectron.shell.openExternal.mock.calls).toEqual([['https://example.com/']]);
  });

  test('no <webview> can be attached, and a redirect away from the app is stopped', () => {
    const contents = guarded();
    const attach = { preventDefault: vi.fn() };
    contents.emit('will-attach-webview', attach);
    expect(attach.preventDefault).toHaveBeenCalled();
    const redirect = { preventDefault: vi.fn() };
    contents.emit('will-redirect', redirect, 'https://elsewhere.example/');
    expect(redirect.preventDefault).toHaveBeenCalled();
  });
});

describe('the session', () => {
  test('denies every permission, blocks downloads, and adds the CSP header', () => {
    const session = new FakeSession();
    secureSession(session as never);
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      const callback = vi.fn();
      session.permissionRequestHandler!(null, permission, callback);
      expect(callback).toHaveBeenCalledWith(false);
      expect(session.permissionCheckHandler!(null, permission)).toBe(false);
    }
    const download = { preventDefault: vi.fn() };
    session.emit('will-download', download);
    expect(download.preventDefault).toHaveBeenCalled();

    expect(session.headersFilter).toEqual({ urls: ['http://*/*', 'https://*/*'] });
    const callback = vi.fn();
    session.headersListener!({ responseHeaders: { 'content-type': ['text/html'] } }, callback);
    expect(callback).toHaveBeenCalledWith({ responseHeaders: { 'content-type': ['text/html'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY_HEADER] } });
  });

  test('the policy allows the app\'s own scripts only: no inline scripts, no eval, no remote hosts', () => {
    const directives = new Map(CONTENT_SECURITY_POLICY.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|https?:|\*/);
  });
});

describe('the app origin', () => {
  test('is exactly the built index.html, whatever its fragment', () => {
    expect(origin.isAppUrl(origin.url)).toBe(true);
    expect(origin.isAppUrl(`${origin.url}#/chat`)).toBe(true);
    expect(origin.isAppUrl('file:///opt/colm/resources/app.asar/renderer/dist/other.html')).toBe(false);
    expect(origin.isAppUrl('file:///tmp/evil/index.html')).toBe(false);
    expect(origin.isAppUrl('https://example.com/')).toBe(false);
    expect(origin.isAppUrl('not a url')).toBe(false);
  });
});
