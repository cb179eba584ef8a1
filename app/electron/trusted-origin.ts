// Which URLs are the app's own: the built renderer's index.html (file://) or, in development, the
// Vite dev server's origin. IPC answers only frames showing one of these; anything else (a page
// navigated to by mistake, an injected iframe) is a foreign sender.
import { pathToFileURL } from 'node:url';

export interface AppOrigin {
  /** What the window loads. */
  url: string;
  isAppUrl(url: string): boolean;
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** The built renderer: exactly this file, whatever its query or fragment. */
export function fileOrigin(indexHtml: string): AppOrigin {
  const own = pathToFileURL(indexHtml);
  return {
    url: own.href,
    isAppUrl: (url) => {
      const u = parse(url);
      return u !== null && u.protocol === 'file:' && u.host === own.host && u.pathname === own.pathname;
    },
  };
}

/** A dev server on loopback (npm run dev:renderer): any page of its origin. */
export function devServerOrigin(devUrl: string): AppOrigin {
  const own = parse(devUrl);
  if (!own || (own.protocol !== 'http:' && own.protocol !== 'https:') || !['localhost', '127.0.0.1', '[::1]'].includes(own.hostname)) {
    throw new Error(`COLM_DEV_SERVER_URL must be an http URL on this computer (localhost), got "${devUrl}"`);
  }
  return {
    url: own.href,
    isAppUrl: (url) => parse(url)?.origin === own.origin,
  };
}
