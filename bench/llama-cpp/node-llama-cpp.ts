// Loads node-llama-cpp from bench/llama-cpp/node_modules, where `npm i --prefix bench/llama-cpp`
// puts it. It is not a dependency of the app, so it is imported by absolute path at run time and
// typed here by the few members the benchmark uses (the app's build never sees the package).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface LlamaSequence {
  clearHistory(): Promise<void>;
  evaluate(tokens: number[], options?: { temperature?: number }): AsyncGenerator<number, void, void | number>;
  controlledEvaluate(
    input: Array<number | [number, { generateNext?: { probabilities?: boolean; token?: boolean; options?: Record<string, unknown> } }]>,
  ): Promise<Array<undefined | { next: { token?: number | null; probabilities?: Map<number, number> } }>>;
}

export interface LlamaContext {
  getSequence(): LlamaSequence;
  dispose(): Promise<void>;
}

export interface LlamaModel {
  createContext(options: {
    contextSize: number;
    batchSize: number;
    sequences: number;
    threads: { ideal: number; min: number };
  }): Promise<LlamaContext>;
  dispose(): Promise<void>;
}

export interface Llama {
  readonly llamaCppRelease: { repo: string; release: string };
  readonly buildType: string;
  readonly gpu: string | false;
  loadModel(options: { modelPath: string; gpuLayers: number }): Promise<LlamaModel>;
  dispose(): Promise<void>;
}

interface NodeLlamaCpp {
  getLlama(options: Record<string, unknown>): Promise<Llama>;
}

/** The repository root: the first folder up that holds bench/llama-cpp/package.json. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'bench', 'llama-cpp', 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** bench/llama-cpp in the source tree, whether this file runs from dist/ or from the sources. */
export const benchDir = join(findRoot(), 'bench', 'llama-cpp');

/** The package's entry file, as Node resolves it from bench/llama-cpp. */
function packageEntry(): string {
  try {
    return createRequire(join(benchDir, 'package.json')).resolve('node-llama-cpp');
  } catch {
    throw new Error(`node-llama-cpp is not installed in ${benchDir}: run npm i --prefix bench/llama-cpp`);
  }
}

export function nodeLlamaCppVersion(): string {
  // The package's exports hide package.json; its entry is dist/index.js.
  const manifest = join(dirname(packageEntry()), '..', 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/**
 * A CPU-only llama.cpp from the prebuilt binary that came with the npm package (@node-llama-cpp/*):
 * `build: 'never'` and `skipDownload` make a missing binary an error instead of a download of
 * llama.cpp's sources and a local build, which this machine (npm registry only) cannot do anyway.
 */
export async function getCpuLlama(): Promise<Llama> {
  const lib = (await import(pathToFileURL(packageEntry()).href)) as NodeLlamaCpp;
  return lib.getLlama({
    gpu: false,
    build: 'never',
    skipDownload: true,
    progressLogs: false,
    logLevel: 'error',
    // 0: no cap, so a context's `threads` is the exact count used (the default caps at the core count).
    maxThreads: 0,
  });
}
