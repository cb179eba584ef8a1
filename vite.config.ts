// Builds the renderer (renderer/) into renderer/dist, which `colm serve` and the Electron app
// both load. Relative asset URLs keep the build loadable from file:// as well as from the server.
// The build carries the renderer's Content-Security-Policy in a meta tag: a page read from
// file:// (the desktop app) has no response headers to carry it. The dev server goes without
// (its inline React refresh preamble would be refused).
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

import { CONTENT_SECURITY_POLICY } from './app/electron/content-security-policy.js';

function contentSecurityPolicy(): Plugin {
  return {
    name: 'colm-content-security-policy',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' }],
  };
}

export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react(), contentSecurityPolicy()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
});
