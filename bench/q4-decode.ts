// Decode and prefill tokens/s of one model file per row, best of 3 rounds (a shared machine's
// fastest round is its least disturbed), and the engine memory it holds: the 4-bit comparison in
// docs/BENCHMARKS.md ("Q4_0 / Q4_K weights"). A benchmark, never a test.
//   node dist/bench/q4-decode.js --threads 1,2 MODEL...
import { parseArgs } from 'node:util';

import { loadModel } from '../app/engine/model.js';
import { measureRates } from './measure.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { threads: { type: 'string', default: '1,2' } } });

async function main(): Promise<void> {
  const threads = values.threads!.split(',').map(Number);
  for (const path of positionals) {
    const t0 = performance.now();
    const model = await loadModel(path);
    const loadMs = performance.now() - t0;
    const dtypes = model.dtypes.join('/');
    for (const th of threads) {
      let decode = 0;
      let prefill = 0;
      for (let round = 0; round < 3; round++) {
        const r = await measureRates(model, { threads: th, chains: model.chainCount, decodeTokens: 24, prefillTokens: 64 });
        decode = Math.max(decode, r.decodeTokensPerSecond);
        prefill = Math.max(prefill, r.prefillTokensPerSecond);
      }
      process.stdout.write(`${path.split('/').pop()}\t${dtypes}\tthreads ${th}\tdecode ${decode.toFixed(1)} tok/s\tprefill ${prefill.toFixed(1)} tok/s\tload ${loadMs.toFixed(0)} ms\n`);
    }
    model.dispose();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`q4-decode: ${(e as Error).message}\n`);
  process.exit(1);
});
