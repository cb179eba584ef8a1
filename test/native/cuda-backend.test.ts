// The CUDA backend through the addon. Host side (every machine): the library loads beside the
// addon or its absence is a reason, a CPU session says "cpu", a CUDA session without a device
// is an Error with the reason, and the CLI's --device behaves. Device side (a machine with an
// NVIDIA GPU): a CUDA session against the CPU on a golden fixture; skipped elsewhere, saying why.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { listDevices } from '../../app/engine/devices.js';
import { EngineService } from '../../app/host/engine-service.js';
import { loadModel, type Model } from '../../app/engine/model.js';
import { loadAddon } from '../../app/engine/native.js';

const devices = listDevices();
const gpu = devices.cuda.length > 0;
const noGpuWhy = `no usable NVIDIA GPU on this machine: ${devices.cudaReason}`;
const fixture = resolve('test/fixtures/models/air4_f32.safetensors');
const colm = resolve('bin/colm.js');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [colm, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('CUDA backend, host side', () => {
  let model: Model;
  beforeAll(async () => {
    model = await loadModel(fixture);
  });
  afterAll(() => model.dispose());

  test('the device list has devices or a one-line reason', () => {
    if (gpu) {
      expect(devices.cudaReason).toBeNull();
      expect(devices.cuda[0]!.totalBytes).toBeGreaterThan(0);
    } else {
      expect(devices.cudaReason).toMatch(/./);
      expect(devices.cudaReason).not.toMatch(/\n/);
    }
  });

  test('a library that is not there is "not built"; a file that is no library "could not be loaded"', () => {
    expect(listDevices('/nonexistent/libcolm_cuda.so').cudaReason).toMatch(/^the CUDA backend was not built \(no /);
    expect(listDevices(fixture).cudaReason).toMatch(/^the CUDA backend library could not be loaded: /);
  });

  test('the library, when built, loads and reports its version', () => {
    const probe = loadAddon().cudaDevices!();
    if (!probe.libraryLoaded) {
      expect(probe.reason).toMatch(/not built/);
      return;
    }
    expect(probe.libraryVersion).toMatch(/^colm_cuda \d+\.\d+\.\d+ \(CUDA runtime \d+\.\d+\)$/);
  });

  test('a CPU session runs on "cpu"', async () => {
    const s = model.createSession({ contextSize: 16 });
    expect(s.device).toBe('cpu');
    expect((await s.evaluate([1, 2, 3], { chains: 2 }))!.length).toBe(model.config.vocabSize);
    s.dispose();
  });

  test.skipIf(gpu)('a CUDA session without a device is an Error naming the reason', () => {
    expect(() => model.createSession({ contextSize: 16, device: 'cuda:0' })).toThrow(`cuda:0 is not available: ${devices.cudaReason}`);
  });

  test('a device name the addon does not know is a TypeError', () => {
    const addon = loadAddon();
    const native = (model as unknown as { native: unknown }).native;
    expect(() => new addon.Session(native as never, { device: 'metal' })).toThrow(/options.device must be "cpu" or "cuda:N"/);
  });
});

// A fake libcuda.so.1 (native/tests/cuda/fake_libcuda.cpp, built with the CUDA backend) that
// claims an old driver: the backend refuses with "driver too old" before touching the runtime.
const fakeDriver = resolve('build/native/fake-driver');
const addonPath = resolve('build/native/Release/colm.node');
describe('CUDA backend, driver checks with a fake libcuda', () => {
  const probeWith = (version: string) => {
    const r = spawnSync(process.execPath, ['-e', `console.log(JSON.stringify(require(${JSON.stringify(addonPath)}).cudaDevices()))`], {
      encoding: 'utf8',
      env: { ...process.env, LD_LIBRARY_PATH: fakeDriver, COLM_FAKE_CUDA_DRIVER_VERSION: version },
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { available: boolean; reason: string; driverVersion: number };
  };
  const built = existsSync(fakeDriver) && devices.libraryVersion !== null;
  const why = built ? '' : ' (skipped: the CUDA backend was not built here, so neither was the fake driver)';
  test.skipIf(!built || process.platform !== 'linux')(`a CUDA 12.4 driver is "driver too old"${why}`, () => {
    const p = probeWith('12040');
    expect(p.available).toBe(false);
    expect(p.driverVersion).toBe(12040);
    expect(p.reason).toMatch(/^driver too old: it supports CUDA 12\.4, this build needs a CUDA 13 driver \(NVIDIA driver 580 or newer\)/);
  });
});

// The GPU check program itself (scripts/gpu-check.sh runs it on a GPU): here it builds every
// fixture and synthetic model and runs them on the CPU, so a GPU session starts from a program
// that is known to run; without a GPU it exits 2 naming why.
const check = resolve('build/native/colm_cuda_check');
describe('colm_cuda_check', () => {
  test.skipIf(!existsSync(check))('--dry-run builds every model and runs it on the CPU', () => {
    const r = spawnSync(check, ['--dry-run', '--root', resolve('.')], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/23 checks, 0 failed/);
  });
  test.skipIf(!existsSync(check) || gpu)('without a GPU it exits 2 with the reason', () => {
    const r = spawnSync(check, ['--root', resolve('.')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^no usable GPU: /m);
    // The same reason as the addon's, unless the library is missing (each names where it looked).
    if (devices.libraryVersion !== null) expect(r.stdout).toContain(`no usable GPU: ${devices.cudaReason}`);
  });
});

describe('the engine host (colm serve --device, the app)', () => {
  test('a load names its device and why; an explicit CUDA device that cannot run fails the load', async () => {
    const engine = new EngineService();
    const info = await engine.load(fixture, { contextSize: 32 });
    expect(info.device).toBe('cpu');
    expect(info.deviceReason).toMatch(/^cpu: /);
    if (!gpu) {
      await expect(engine.load(fixture, { contextSize: 32, device: 'cuda' })).rejects.toThrow(`--device cuda:0: ${devices.cudaReason}`);
      expect(engine.modelInfo?.device).toBe('cpu'); // the previous model stays loaded
    }
    await expect(engine.load(fixture, { device: 'gpu' })).rejects.toThrow(/--device must be auto, cpu, cuda or cuda:N/);
    await engine.unload();
  });
});

describe('colm --device', () => {
  test('a bad value is a usage error (exit 2)', () => {
    const r = cli('logits', fixture, '--tokens', '1,2', '--chains', '1', '--device', 'gpu');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--device must be auto, cpu, cuda or cuda:N, got "gpu"');
  });

  test('cpu runs and says so', () => {
    const r = cli('logits', fixture, '--tokens', '1,2', '--chains', '1', '--device', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('device: cpu: chosen with --device cpu');
  });

  test.skipIf(gpu)('cuda without a GPU exits 1 with the reason; auto uses the CPU and says why', () => {
    let r = cli('logits', fixture, '--tokens', '1,2', '--chains', '1', '--device', 'cuda');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`colm: --device cuda:0: ${devices.cudaReason}\n`);
    r = cli('logits', fixture, '--tokens', '1,2', '--chains', '1', '--device', 'auto');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(`device: cpu: ${devices.cudaReason}\n`);
  });

  test('colm info lists the devices and the GPU memory plan per chain count', () => {
    const r = cli('info', fixture, '--context', '64');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^cpu {9}always/m);
    expect(r.stdout).toMatch(gpu ? /^cuda:0 / : /^cuda {8}none: /m);
    expect(r.stdout).toMatch(/^device {6}/m);
    expect(r.stdout).toContain('GPU memory plan at 64 tokens');
    for (const k of [1, 2, 3, 4]) expect(r.stdout).toMatch(new RegExp(`^ {5}${k} `, 'm'));
    const j = JSON.parse(cli('info', fixture, '--context', '64', '--json').stdout);
    expect(j.devices.vramPlan).toHaveLength(4);
    expect(j.devices.choice.device).toBe('cpu'); // auto keeps the CPU until the backend is verified
  });
});

describe('CUDA backend on a GPU', () => {
  test.skipIf(!gpu)(`a CUDA session matches the CPU on ${fixture} (${gpu ? 'GPU present' : noGpuWhy})`, async () => {
    const model = await loadModel(fixture);
    const tokens = [210, 85, 181, 299, 115, 205, 265, 3, 0, 41, 202, 222];
    for (let k = 1; k <= model.chainCount; k++) {
      const cpu = model.createSession({ contextSize: 32 });
      const cuda = model.createSession({ contextSize: 32, device: 'cuda:0' });
      expect(cuda.device).toBe('cuda:0');
      const a = (await cpu.evaluate(tokens, { chains: k, logits: 'all' }))!;
      const b = (await cuda.evaluate(tokens, { chains: k, logits: 'all' }))!;
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < a.length; i++) {
        worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
        scale = Math.max(scale, Math.abs(a[i]!));
      }
      expect(worst).toBeLessThanOrEqual(2e-2 * Math.max(1, scale)); // BF16 KV cache on the GPU
      cpu.dispose();
      cuda.dispose();
    }
    model.dispose();
  });
  if (!gpu) test(`device tests skipped: ${noGpuWhy}`, () => {});
});
