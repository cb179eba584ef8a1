// The CUDA session keeps a BF16 KV cache only (device-choice.ts, CUDA_KV_TYPES). Another type with
// a CUDA device must be said, never silently replaced: Model.chooseDevice (what the CLI and the
// engine host ask) refuses an explicit CUDA device and keeps auto on the CPU with the reason, and
// Model.createSession refuses the pair before the native session is made. Devices are mocked: no
// GPU needed. Also: `colm perplexity` takes --device like every command that runs a model.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { DeviceUnavailableError } from '../../app/engine/device-choice.js';
import { listDevices, type DeviceList } from '../../app/engine/devices.js';
import { loadModel, type Model } from '../../app/engine/model.js';
import { EngineService } from '../../app/host/engine-service.js';

const fixture = resolve('test/fixtures/models/air4_f32.safetensors');
const corpus = resolve('test/fixtures/text/moby-dick-ch1-4.txt');
const colm = resolve('bin/colm.js');
const devices = listDevices();
const GiB = 2 ** 30;

const h100: DeviceList = {
  cuda: [{ index: 0, name: 'NVIDIA H100', computeCapability: '9.0', totalBytes: 80 * GiB, freeBytes: 70 * GiB, multiprocessors: 132, driverVersion: 13000, runtimeVersion: 13000 }],
  cudaReason: null,
  libraryPath: '/x/libcolm_cuda.so',
  libraryVersion: 'colm_cuda 0.1.0',
  driverVersion: 13000,
};

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [colm, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('Model.chooseDevice and createSession: the KV cache type on CUDA', () => {
  let model: Model;
  beforeAll(async () => {
    model = await loadModel(fixture);
  });
  afterAll(() => model.dispose());

  test('--device cuda with q8_0 is an error naming both ways out; with bf16 it is the GPU', () => {
    const ask = (kvType?: 'q8_0' | 'bf16' | 'f32') => model.chooseDevice({ kind: 'cuda', index: 0 }, { contextSize: 32, kvType, devices: h100 });
    expect(() => ask('q8_0')).toThrow(DeviceUnavailableError);
    expect(() => ask('q8_0')).toThrow('--device cuda:0: the CUDA session keeps a bf16 KV cache only, not q8_0: use --kv-type bf16 with cuda:0, or --device cpu for a q8_0 cache');
    expect(() => ask('f32')).toThrow(/not f32/);
    expect(ask('bf16').device).toBe('cuda:0');
    expect(ask().device).toBe('cuda:0');
  });

  test('auto with another type keeps the CPU and says it is the cache type', () => {
    const c = model.chooseDevice({ kind: 'auto' }, { contextSize: 32, kvType: 'f16', devices: h100 });
    expect(c.device).toBe('cpu');
    expect(c.reason).toBe('cpu: the KV cache type is f16, which runs on the CPU only (cuda:0 keeps bf16: choose --kv-type bf16 for the GPU)');
  });

  test('cpu asks no GPU and takes every type', () => {
    expect(model.chooseDevice({ kind: 'cpu' }, { contextSize: 32, kvType: 'q8_0', devices: h100 })).toMatchObject({ device: 'cpu', reason: 'cpu: chosen with --device cpu' });
  });

  test('createSession refuses a CUDA device with a non-bf16 cache before the engine is asked', () => {
    expect(() => model.createSession({ contextSize: 16, device: 'cuda:0', kvType: 'q8_0' })).toThrow(
      'the CUDA session keeps a bf16 KV cache only, not q8_0: use --kv-type bf16 with cuda:0, or --device cpu for a q8_0 cache',
    );
    const s = model.createSession({ contextSize: 16, device: 'cpu', kvType: 'q8_0' });
    expect(s.kvType).toBe('q8_0');
    s.dispose();
  });
});

describe('the engine host: auto with a non-bf16 cache loads on the CPU, saying why', () => {
  test('q8_0 with auto on this machine is a CPU session with a reason', async () => {
    const engine = new EngineService();
    const info = await engine.load(fixture, { contextSize: 32, kvType: 'q8_0' });
    expect(info).toMatchObject({ device: 'cpu', kvType: 'q8_0' });
    expect(info.deviceReason).toMatch(/^cpu: /);
    await engine.unload();
  });
});

describe('colm perplexity --device', () => {
  const args = ['perplexity', fixture, '--corpus', corpus, '--window', '16', '--max-windows', '2', '--chains', '1', '--json', '--threads', '1'];

  test('cpu runs and says so on stderr', () => {
    const r = cli(...args, '--device', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('device: cpu: chosen with --device cpu');
    expect(JSON.parse(r.stdout).rows).toHaveLength(1);
  });

  test('a bad value is a usage error', () => {
    const r = cli(...args, '--device', 'gpu');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--device must be auto, cpu, cuda or cuda:N, got "gpu"');
  });

  test.skipIf(devices.cuda.length > 0)('cuda without a GPU exits 1 with the reason', () => {
    const r = cli(...args, '--device', 'cuda');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`colm: --device cuda:0: ${devices.cudaReason}\n`);
  });
});
