// Bundles Electron's main process and its preload script to CommonJS in dist/electron, one build
// per entry (`--mode main`, `--mode preload`): a sandboxed preload can require nothing but
// 'electron', so it must be a single file with no shared chunks. Node's built-ins and electron
// stay external; everything from app/ is bundled in. The engine host is not bundled: main starts
// dist/app/host/engine-host.js (from tsc) in a utilityProcess.
import { builtinModules } from 'node:module';

import { defineConfig } from 'vite';

const ENTRIES: Record<string, string> = {
  main: 'app/electron/main.ts',
  preload: 'app/electron/preload.ts',
};

export default defineConfig(({ mode }) => {
  const entry = ENTRIES[mode];
  if (!entry) throw new Error(`build with --mode ${Object.keys(ENTRIES).join(' or --mode ')}`);
  return {
    publicDir: false,
    logLevel: 'warn',
    build: {
      ssr: entry, // a Node target: no browser shims for node: modules
      outDir: 'dist/electron',
      emptyOutDir: false, // the two builds share the folder
      target: 'node22', // Electron 45's Node
      sourcemap: true,
      minify: false,
      rolldownOptions: {
        external: ['electron', ...builtinModules, ...builtinModules.map((m) => `node:${m}`)],
        output: { format: 'cjs', entryFileNames: `${mode}.cjs`, codeSplitting: false },
      },
    },
    ssr: { noExternal: true },
  };
});
