// The renderer's Content-Security-Policy. It needs its own scripts and styles and nothing else:
// no eval, no inline scripts, no plugins, no network beyond its own origin (browser mode's API).
// The built index.html carries it in a meta tag (vite.config.ts), because pages read from
// file:// have no response headers; Electron's main process also sets it as a header on pages
// served over http (the dev server). No imports: the Vite config reads this file too.
const DIRECTIVES = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'", // React writes style attributes (progress bars, chain strips)
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
];

/** For a meta tag: frame-ancestors is only honoured in a header, and would only log a warning. */
export const CONTENT_SECURITY_POLICY = DIRECTIVES.join('; ');

/** For a response header. */
export const CONTENT_SECURITY_POLICY_HEADER = [...DIRECTIVES, "frame-ancestors 'none'"].join('; ');

/** Vite's dev server needs its inline React refresh preamble and its HMR socket; never packaged. */
export const DEV_CONTENT_SECURITY_POLICY_HEADER = CONTENT_SECURITY_POLICY_HEADER.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
  "connect-src 'self'",
  "connect-src 'self' ws://localhost:* ws://127.0.0.1:*",
);
