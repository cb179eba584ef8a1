// Builds the renderer (renderer/) into renderer/dist, which `colm serve` (and later Electron)
// serves. Relative asset URLs keep the build loadable from file:// as well as from the server.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
});
