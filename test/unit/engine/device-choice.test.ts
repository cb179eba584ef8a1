// --device parsing, the VRAM plan per chain count, and the device choice with its reason, on
// mocked device lists (no GPU needed: this is the logic every machine runs).
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

import { readCheckpoint } from '../../../app/checkpoint/index.js';
import {
  chooseDevice,
  CUDA_KV_TYPES,
  CUDA_RESERVE_BYTES,
  CUDA_UNVERIFIED_WARNING,
  DeviceUnavailableError,
  kvTypeProblem,
  parseDevice,
  planVram,
  type VramPlan,
} from '../../../app/engine/device-choice.js';
import { deviceListOf, type DeviceList } from '../../../app/engine/devices.js';

const GiB = 2 ** 30;

function gpu(index: number, name: string, freeGiB: number, totalGiB: number) {
  return {
    index,
    name,
    computeCapability: '8.9',
    totalBytes: totalGiB * GiB,
    freeBytes: freeGiB * GiB,
    multiprocessors: 46,
    driverVersion: 13000,
    runtimeVersion: 13000,
  };
}

function list(cuda: ReturnType<typeof gpu>[], reason: string | null = null): DeviceList {
  return { cuda, cudaReason: cuda.length ? null : reason, libraryPath: '/x/libcolm_cuda.so', libraryVersion: 'colm_cuda 0.1.0', driverVersion: 13000 };
}

function plan(totalGiB: number, chains = 2): VramPlan[] {
  return Array.from({ length: chains }, (_, i) => {
    const total = (totalGiB * GiB * (i + 1)) / chains;
    return { chains: i + 1, weightBytes: total / 2, kvBytes: total / 4, workspaceBytes: total / 4, totalBytes: total };
  });
}

describe('parseDevice', () => {
  test('auto, cpu, cuda and cuda:N', () => {
    expect(parseDevice('auto')).toEqual({ kind: 'auto' });
    expect(parseDevice('cpu')).toEqual({ kind: 'cpu' });
    expect(parseDevice('cuda')).toEqual({ kind: 'cuda', index: 0 });
    expect(parseDevice('cuda:3')).toEqual({ kind: 'cuda', index: 3 });
    expect(parseDevice(' CUDA:1 ')).toEqual({ kind: 'cuda', index: 1 });
  });
  test.each(['gpu', 'cuda:', 'cuda:-1', 'cuda:x', 'metal', '', 'cuda:12345'])('"%s" is refused naming the choices', (bad) => {
    expect(() => parseDevice(bad)).toThrow(/--device must be auto, cpu, cuda or cuda:N/);
  });
});

describe('chooseDevice', () => {
  test('cpu is cpu, whatever the GPUs', () => {
    const c = chooseDevice({ kind: 'cpu' }, list([gpu(0, 'NVIDIA RTX 4070', 7.1, 8)]), plan(1));
    expect(c).toMatchObject({ device: 'cpu', reason: 'cpu: chosen with --device cpu', warning: null });
  });

  test('auto without a usable GPU keeps the CPU and says why', () => {
    for (const reason of [
      'the CUDA backend was not built (no libcolm_cuda.so at /x; build with the CUDA toolkit installed)',
      'no NVIDIA driver: libcuda.so.1 was not found',
      'driver too old: it supports CUDA 12.4, this build needs a CUDA 13 driver (NVIDIA driver 580 or newer); update the driver or use --device cpu',
      'the NVIDIA driver reports no CUDA device',
    ]) {
      const c = chooseDevice({ kind: 'auto' }, list([], reason), plan(1), { cudaVerified: true });
      expect(c.device).toBe('cpu');
      expect(c.reason).toBe(`cpu: ${reason}`);
    }
  });

  test('auto picks the GPU that fits, with its name and free memory', () => {
    const c = chooseDevice({ kind: 'auto' }, list([gpu(0, 'NVIDIA RTX 4070', 7.1, 8)]), plan(4), { cudaVerified: true });
    expect(c).toMatchObject({ device: 'cuda:0', reason: 'cuda:0 (NVIDIA RTX 4070, 7.1 of 8.0 GiB free)', warning: null });
    expect(c.plan?.chains).toBe(2); // the backend loads every chain: the full model's plan
  });

  test('auto prefers the GPU with the most free memory', () => {
    const c = chooseDevice({ kind: 'auto' }, list([gpu(0, 'A', 3, 8), gpu(1, 'B', 20, 24)]), plan(4), { cudaVerified: true });
    expect(c.device).toBe('cuda:1');
  });

  test('auto falls back to the CPU when the model does not fit, naming both sizes', () => {
    const c = chooseDevice({ kind: 'auto' }, list([gpu(0, 'NVIDIA RTX 4070', 7.9, 8)]), plan(9.2), { cudaVerified: true });
    expect(c).toMatchObject({ device: 'cpu', reason: 'cpu: the model needs 9.2 GiB, cuda:0 has 7.9 GiB free' });
  });

  test('until the backend is verified, auto keeps the CPU and names the way to try the GPU', () => {
    const c = chooseDevice({ kind: 'auto' }, list([gpu(0, 'NVIDIA H100', 70, 80)]), plan(4), { cudaVerified: false });
    expect(c.device).toBe('cpu');
    expect(c.reason).toMatch(/not yet verified on a GPU \(--device cuda:0 runs it anyway\)/);
  });

  test('--device cuda runs an unverified backend with the one-line warning', () => {
    const c = chooseDevice({ kind: 'cuda', index: 0 }, list([gpu(0, 'NVIDIA H100', 70, 80)]), plan(4), { cudaVerified: false });
    expect(c).toMatchObject({ device: 'cuda:0', warning: CUDA_UNVERIFIED_WARNING });
    expect(CUDA_UNVERIFIED_WARNING).toBe('CUDA backend: not yet verified on a GPU by the test suite');
  });

  test('--device cuda that cannot work is an error with the reason', () => {
    expect(() => chooseDevice({ kind: 'cuda', index: 0 }, list([], 'no NVIDIA driver: libcuda.so.1 was not found'), plan(1))).toThrow(
      new DeviceUnavailableError('--device cuda:0: no NVIDIA driver: libcuda.so.1 was not found'),
    );
    expect(() => chooseDevice({ kind: 'cuda', index: 2 }, list([gpu(0, 'A', 7, 8)]), plan(1))).toThrow(
      '--device cuda:2: there is no CUDA device 2 (this machine has 1)',
    );
    expect(() => chooseDevice({ kind: 'cuda', index: 0 }, list([gpu(0, 'A', 7.9, 8)]), plan(9.2))).toThrow(
      /--device cuda:0: the model needs 9\.2 GiB, cuda:0 has 7\.9 GiB free \(try --context N/,
    );
  });

  test('deviceListOf keeps the reason only when there is no device', () => {
    const probe = { available: false, reason: 'no NVIDIA driver: libcuda.so.1 was not found', libraryLoaded: true, libraryPath: '/p', libraryVersion: 'v', driverVersion: 0, devices: [] };
    expect(deviceListOf(probe).cudaReason).toBe('no NVIDIA driver: libcuda.so.1 was not found');
    expect(deviceListOf({ ...probe, available: true, reason: null, devices: [gpu(0, 'A', 1, 2)] }).cudaReason).toBeNull();
  });
});

describe('the KV cache type on CUDA: bf16 only, said rather than silently replaced', () => {
  const h100 = () => list([gpu(0, 'NVIDIA H100', 70, 80)]);

  test('the CPU takes every type; CUDA takes bf16 only', () => {
    expect(CUDA_KV_TYPES).toEqual(['bf16']);
    for (const t of ['f32', 'bf16', 'f16', 'q8_0'] as const) expect(kvTypeProblem('cpu', t)).toBeNull();
    expect(kvTypeProblem('cuda:0', 'bf16')).toBeNull();
    expect(kvTypeProblem('cuda:0')).toBeNull(); // absent: the default, bf16
    expect(kvTypeProblem('cuda:1', 'q8_0')).toBe(
      'the CUDA session keeps a bf16 KV cache only, not q8_0: use --kv-type bf16 with cuda:1, or --device cpu for a q8_0 cache',
    );
  });

  test.each(['f32', 'f16', 'q8_0'] as const)('--device cuda with --kv-type %s is an error naming both ways out', (kvType) => {
    for (const verified of [true, false]) {
      expect(() => chooseDevice({ kind: 'cuda', index: 0 }, h100(), plan(4), { cudaVerified: verified, kvType })).toThrow(DeviceUnavailableError);
      expect(() => chooseDevice({ kind: 'cuda', index: 0 }, h100(), plan(4), { cudaVerified: verified, kvType })).toThrow(
        `--device cuda:0: the CUDA session keeps a bf16 KV cache only, not ${kvType}: use --kv-type bf16 with cuda:0, or --device cpu for a ${kvType} cache`,
      );
    }
  });

  test('--device cuda with bf16 (given or the default) runs on the GPU', () => {
    expect(chooseDevice({ kind: 'cuda', index: 0 }, h100(), plan(4), { cudaVerified: true, kvType: 'bf16' }).device).toBe('cuda:0');
    expect(chooseDevice({ kind: 'cuda', index: 0 }, h100(), plan(4), { cudaVerified: true }).device).toBe('cuda:0');
  });

  test.each(['f32', 'f16', 'q8_0'] as const)('auto with --kv-type %s picks the CPU and says it is the cache type', (kvType) => {
    const c = chooseDevice({ kind: 'auto' }, h100(), plan(4), { cudaVerified: true, kvType });
    expect(c).toMatchObject({ device: 'cpu', plan: null, warning: null });
    expect(c.reason).toBe(`cpu: the KV cache type is ${kvType}, which runs on the CPU only (cuda:0 keeps bf16: choose --kv-type bf16 for the GPU)`);
    // Unverified: the cache type is the reason that still holds once the backend is verified, and
    // the "runs it anyway" hint would be wrong for this type.
    const unverified = chooseDevice({ kind: 'auto' }, h100(), plan(4), { cudaVerified: false, kvType });
    expect(unverified.device).toBe('cpu');
    expect(unverified.reason).toMatch(/KV cache type is/);
  });

  test('auto keeps its other reasons first: no GPU, or a model that does not fit', () => {
    expect(chooseDevice({ kind: 'auto' }, list([], 'no NVIDIA driver: libcuda.so.1 was not found'), plan(1), { cudaVerified: true, kvType: 'q8_0' }).reason).toBe(
      'cpu: no NVIDIA driver: libcuda.so.1 was not found',
    );
    expect(chooseDevice({ kind: 'auto' }, list([gpu(0, 'A', 7.9, 8)]), plan(9.2), { cudaVerified: true, kvType: 'f32' }).reason).toBe(
      'cpu: the model needs 9.2 GiB, cuda:0 has 7.9 GiB free',
    );
  });

  test('--device cpu with any type is the CPU', () => {
    expect(chooseDevice({ kind: 'cpu' }, h100(), plan(4), { kvType: 'q8_0' }).device).toBe('cpu');
  });
});

describe('planVram', () => {
  test('per-chain F32 checkpoint: chains 1..n hold every stored byte, KV cache in BF16', async () => {
    const p = await readCheckpoint(resolve('test/fixtures/models/air4_f32.safetensors'));
    const ctx = 64;
    const plans = planVram(p, ctx);
    const c = p.config;
    expect(plans.map((x) => x.chains)).toEqual([1, 2, 3, 4]);
    const stored = p.tensors.reduce((a, t) => a + t.byteLength, 0);
    expect(plans[3]!.weightBytes).toBe(stored);
    for (let k = 1; k < 4; k++) expect(plans[k]!.weightBytes).toBeGreaterThan(plans[k - 1]!.weightBytes);
    const kv = 2 * c.numHiddenLayers * ctx * c.numKeyValueHeads * c.headDim * 2;
    for (const x of plans) {
      expect(x.kvBytes).toBe(kv); // Air: every k reads the same cache
      expect(x.workspaceBytes).toBeGreaterThan(CUDA_RESERVE_BYTES);
      expect(x.totalBytes).toBe(x.weightBytes + x.kvBytes + x.workspaceBytes);
    }
  });

  test('a whole (masked) chain linear counts only its blocks, not the structural zeros', async () => {
    const p = await readCheckpoint(resolve('test/fixtures/models/whole_sharded'));
    const plans = planVram(p, 16);
    const stored = p.tensors.reduce((a, t) => a + t.byteLength, 0);
    expect(plans.at(-1)!.weightBytes).toBeLessThan(stored);
    // q_proj of layer 0 whole [64, 64] F32 with chains {2,1,1}: blocks 32x32, 16x48, 16x64.
    const q = p.tensors.find((t) => t.name === 'model.layers.0.self_attn.q_proj.weight')!;
    expect(q.shape).toEqual([64, 64]);
    const single = planVram({ ...p, tensors: [q] }, 16);
    expect(single.map((x) => x.weightBytes)).toEqual([32 * 32 * 4, (32 * 32 + 16 * 48) * 4, (32 * 32 + 16 * 48 + 16 * 64) * 4]);
  });

  test('the KV cache grows with the context', async () => {
    const p = await readCheckpoint(resolve('test/fixtures/models/air4_f32.safetensors'));
    expect(planVram(p, 128)[0]!.kvBytes).toBe(2 * planVram(p, 64)[0]!.kvBytes);
  });
});
