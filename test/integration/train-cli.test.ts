// `colm train` as a user runs it (the built CLI): usage errors, a small run whose checkpoint
// `colm info` reads, and Ctrl-C, which saves a checkpoint that --resume continues.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

const colm = resolve('bin/colm.js');
const scratch = mkdtempSync(join(tmpdir(), 'colm-train-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const config = join(scratch, 'model.json');
writeFileSync(
  config,
  JSON.stringify({
    model_type: 'colm', hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, vocab_size: 300,
    num_attention_heads: 4, num_key_value_heads: 2, head_dim: 8, chains: [1, 1], bos_token_id: 296, eos_token_id: 297,
  }),
);
const tokenizer = resolve('test/fixtures/models/llama_gqa/tokenizer.json');
const corpus = resolve('README.md');

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [colm, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('colm train', () => {
  test('usage errors exit 2 and name what is missing', () => {
    let r = run('train');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out/);
    r = run('train', '--config', config, '--out', join(scratch, 'x'), '--steps', '2');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--corpus/);
    r = run('train', '--config', config, '--tokenizer', tokenizer, '--corpus', corpus, '--steps', 'many', '--out', join(scratch, 'x'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--steps must be an integer/);
  });

  test('bad input exits 1 with one line naming the file', () => {
    const r = run('train', '--config', join(scratch, 'missing.json'), '--tokenizer', tokenizer, '--corpus', corpus, '--steps', '2', '--out', join(scratch, 'y'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/missing\.json/);
  });

  test('a small run writes a checkpoint that colm info reads', () => {
    const out = join(scratch, 'run');
    const r = run('train', '--config', config, '--tokenizer', tokenizer, '--corpus', corpus, '--steps', '4', '--batch', '2', '--seq-len', '16', '--out', out, '--threads', '1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/trained \d+ parameters to step 4/);
    expect(r.stderr).toMatch(/held-out loss k1 [\d.]+ k2 [\d.]+/);
    const info = run('info', join(out, 'model.safetensors'));
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/chains\s+\{1, 1\}/);
  });

  test('Ctrl-C saves a checkpoint and exits 130; --resume continues from it', async () => {
    const out = join(scratch, 'stopped');
    const child = spawn(process.execPath, [colm, 'train', '--config', config, '--tokenizer', tokenizer, '--corpus', corpus, '--steps', '1000000', '--batch', '2', '--seq-len', '16', '--out', out, '--threads', '1']);
    let stderr = '';
    let interrupted = false; // one Ctrl-C: a second one would end the process at once
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/^training \d+ parameters/m.test(stderr) && !interrupted) {
        interrupted = true;
        setTimeout(() => child.kill('SIGINT'), 200);
      }
    });
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/stopped: saved .*model\.safetensors .* at step \d+/);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
    const step = Number(/at step (\d+)/.exec(stderr.split('stopped:')[1]!)![1]);
    const r = run('train', '--resume', out, '--steps', String(step + 2));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`to step ${step + 2}`));
  });
});
