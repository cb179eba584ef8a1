// The nvidia-smi probe on recorded output: one and two GPUs, our own process on the GPU or not,
// [N/A] fields, a missing binary, malformed text.
import { describe, expect, test } from 'vitest';

import { NvidiaSmiProbe, parseAppRows, parseGpuRows } from '../../../app/policy/probes/nvidia-smi.js';
import { known, unavailable, type EngineLoad, type Reading } from '../../../app/policy/signals.js';
import { fakeRunner, missingBinary, type Answer } from './fake-runner.js';

const GPU0 = 'GPU-8f3c1a2b-0000-1111-2222-333344445555';
const GPU1 = 'GPU-11112222-3333-4444-5555-666677778888';
const OUR_PID = 4242;

function probe(gpus: Answer | undefined, apps: Answer | undefined, options: { engine?: Reading<EngineLoad>; gpuIndex?: number } = {}) {
  const run = fakeRunner((_c, args) => (args[0]!.startsWith('--query-gpu') ? gpus : apps));
  return {
    run,
    probe: new NvidiaSmiProbe({
      run,
      ourPids: () => [OUR_PID],
      gpuIndex: options.gpuIndex,
      engineLoad: options.engine ? () => options.engine! : undefined,
    }),
  };
}

describe('NvidiaSmiProbe', () => {
  test('asks for exactly the documented columns', async () => {
    const { run, probe: p } = probe(`0, ${GPU0}, 35, 1024, 81559, 45\n`, '');
    await p.read();
    expect(run.calls).toEqual([
      'nvidia-smi --query-gpu=index,uuid,utilization.gpu,memory.used,memory.total,temperature.gpu,memory.free,name --format=csv,noheader,nounits',
      'nvidia-smi --query-compute-apps=gpu_uuid,pid,used_memory --format=csv,noheader,nounits',
    ]);
  });

  test('we are not on the GPU: all of its load is others\'', async () => {
    const { probe: p } = probe(`0, ${GPU0}, 35, 1024, 81559, 45\n`, `${GPU0}, 999, 900\n`);
    expect(await p.read()).toEqual({
      gpuUtilisation: known(0.35),
      gpuOthers: known(0.35),
      gpuMemory: known({ usedMiB: 1024, totalMiB: 81559, freeMiB: 80535, oursMiB: 0, othersMiB: 1024 }),
      gpuDevice: known({ index: 0, name: null, modelOnGpu: false }),
      gpuTemperature: known(45),
    });
  });

  test('our decode is taken out of the utilisation using the engine\'s own report', async () => {
    const { probe: p } = probe(`0, ${GPU0}, 90, 9000, 81559, 70\n`, `${GPU0}, ${OUR_PID}, 6000\n${GPU0}, 999, 2000\n`, {
      engine: known({ cpuShare: 0.05, gpuShare: 0.5 }),
    });
    const r = await p.read();
    expect(r.gpuOthers?.available && r.gpuOthers.value).toBeCloseTo(0.4, 10);
    expect(r.gpuMemory).toEqual(known({ usedMiB: 9000, totalMiB: 81559, freeMiB: 72559, oursMiB: 6000, othersMiB: 3000 }));
  });

  test('our share larger than the total never goes negative', async () => {
    const { probe: p } = probe(`0, ${GPU0}, 30, 1, 2, 3\n`, '', { engine: known({ cpuShare: 0, gpuShare: 0.8 }) });
    expect((await p.read()).gpuOthers).toEqual(known(0));
  });

  test('on the GPU without a report of our share: others\' use is unavailable, not our own load', async () => {
    const { probe: p } = probe(`0, ${GPU0}, 95, 6000, 81559, 70\n`, `${GPU0}, ${OUR_PID}, 5000\n`);
    const r = await p.read();
    expect(r.gpuUtilisation).toEqual(known(0.95));
    expect(r.gpuOthers).toMatchObject({ available: false, reason: expect.stringContaining('our engine is on this GPU') });
  });

  test('with two GPUs, processes on the other device do not count', async () => {
    const gpus = `0, ${GPU0}, 10, 500, 24000, 40\n1, ${GPU1}, 80, 20000, 24000, 75\n`;
    const apps = `${GPU1}, ${OUR_PID}, 19000\n`;
    const first = await probe(gpus, apps).probe.read();
    expect(first.gpuOthers).toEqual(known(0.1));
    expect(first.gpuMemory).toEqual(known({ usedMiB: 500, totalMiB: 24000, freeMiB: 23500, oursMiB: 0, othersMiB: 500 }));
    const second = await probe(gpus, apps, { gpuIndex: 1 }).probe.read();
    expect(second.gpuOthers).toMatchObject({ available: false });
    expect(second.gpuMemory).toEqual(known({ usedMiB: 20000, totalMiB: 24000, freeMiB: 4000, oursMiB: 19000, othersMiB: 1000 }));
    const none = await probe(gpus, apps, { gpuIndex: 3 }).probe.read();
    expect(none.gpuUtilisation).toEqual(unavailable('nvidia-smi lists no GPU 3'));
  });

  test('[N/A] fields are unavailable one by one (Windows WDDM, some laptops)', async () => {
    const { probe: p } = probe(`0, ${GPU0}, [N/A], 3000, 8192, [N/A]\n`, `${GPU0}, ${OUR_PID}, [N/A]\n`, { engine: known({ cpuShare: 0, gpuShare: 0.2 }) });
    const r = await p.read();
    expect(r.gpuUtilisation).toMatchObject({ available: false });
    expect(r.gpuOthers).toMatchObject({ available: false });
    expect(r.gpuTemperature).toMatchObject({ available: false });
    expect(r.gpuMemory).toEqual(known({ usedMiB: 3000, totalMiB: 8192, freeMiB: 5192, oursMiB: null, othersMiB: null }));
  });

  test('a failing process list leaves the device figures standing', async () => {
    const { probe: p } = probe(`0, ${GPU0}, 50, 3000, 8192, 60\n`, new Error('Command failed'), { engine: known({ cpuShare: 0, gpuShare: 0.1 }) });
    const r = await p.read();
    expect(r.gpuOthers?.available && r.gpuOthers.value).toBeCloseTo(0.4, 10);
    expect(r.gpuMemory).toEqual(known({ usedMiB: 3000, totalMiB: 8192, freeMiB: 5192, oursMiB: null, othersMiB: null }));
    const blind = await probe(`0, ${GPU0}, 50, 3000, 8192, 60\n`, new Error('Command failed')).probe.read();
    expect(blind.gpuOthers).toMatchObject({ available: false, reason: expect.stringContaining('no process list') });
  });

  test('no nvidia-smi (no NVIDIA GPU): every GPU signal unavailable', async () => {
    const r = await probe(undefined, undefined).probe.read();
    for (const name of ['gpuUtilisation', 'gpuOthers', 'gpuMemory', 'gpuDevice', 'gpuTemperature'] as const) {
      expect(r[name]).toEqual({ available: false, reason: 'nvidia-smi not found' });
    }
  });

  test('a driver failure keeps nvidia-smi\'s own words', async () => {
    const failure = new Error("Command failed: nvidia-smi: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.");
    const r = await probe(failure, undefined).probe.read();
    expect(r.gpuUtilisation).toMatchObject({ available: false, reason: expect.stringContaining("couldn't communicate") });
  });

  test('malformed output is unavailable', async () => {
    const r = await probe('garbage output here\n', '').probe.read();
    expect(r.gpuUtilisation).toMatchObject({ available: false, reason: 'cannot parse nvidia-smi output: garbage output here' });
  });
});

describe('parsers', () => {
  test('GPU rows reject wrong shapes and non-numbers, accept [Not Supported]', () => {
    expect(parseGpuRows('')).toBeUndefined();
    expect(parseGpuRows(`0, ${GPU0}, 35, 1024, 81559\n`)).toBeUndefined();
    expect(parseGpuRows(`0, ${GPU0}, abc, 1024, 81559, 45\n`)).toBeUndefined();
    expect(parseGpuRows(`0, ${GPU0}, 35, 1024, 81559, [Not Supported]\r\n`)).toEqual([
      { index: 0, uuid: GPU0, utilisation: 0.35, usedMiB: 1024, totalMiB: 81559, celsius: undefined, freeMiB: undefined, name: null },
    ]);
    // The eight-column shape: memory.free, then the name (which may hold a comma).
    expect(parseGpuRows(`0, ${GPU0}, 35, 1024, 81559, 45, 80020, NVIDIA H100 80GB HBM3\n1, ${GPU1}, 0, 0, 8192, 30, [N/A], Quadro, Mobile\n`)).toEqual([
      { index: 0, uuid: GPU0, utilisation: 0.35, usedMiB: 1024, totalMiB: 81559, celsius: 45, freeMiB: 80020, name: 'NVIDIA H100 80GB HBM3' },
      { index: 1, uuid: GPU1, utilisation: 0, usedMiB: 0, totalMiB: 8192, celsius: 30, freeMiB: undefined, name: 'Quadro, Mobile' },
    ]);
    expect(parseGpuRows(`0, ${GPU0}, 35, 1024, 81559, 45, 80020\n`)).toBeUndefined(); // seven: neither shape
    expect(parseGpuRows(`0, ${GPU0}, 35, 1024, 81559, 45, lots, NVIDIA\n`)).toBeUndefined();
  });

  test('app rows: none, the "no processes" line, and malformed', () => {
    expect(parseAppRows('')).toEqual([]);
    expect(parseAppRows('No running processes found\n')).toEqual([]);
    expect(parseAppRows(`${GPU0}, 12, 512\n`)).toEqual([{ uuid: GPU0, pid: 12, usedMiB: 512 }]);
    expect(parseAppRows(`${GPU0}, twelve, 512\n`)).toBeUndefined();
  });
});

test('the real probe on this machine answers without throwing, whatever it has', async () => {
  const r = await new NvidiaSmiProbe().read();
  expect(Object.keys(r).sort()).toEqual(['gpuDevice', 'gpuMemory', 'gpuOthers', 'gpuTemperature', 'gpuUtilisation']);
});

test('missingBinary is what a machine without NVIDIA looks like', async () => {
  const r = await new NvidiaSmiProbe({ run: fakeRunner(missingBinary) }).read();
  expect(r.gpuTemperature).toEqual(unavailable('nvidia-smi not found'));
});

// The GPU the rules watch follows the loaded session: cuda:N is that GPU (others' use and free
// memory of the GPU we share); the CPU (or no model) is GPU `gpuIndex`, marked modelOnGpu: false.
describe('the GPU our session runs on', () => {
  const HOST_PID = 4343; // the engine host: ours too
  const gpus = [
    `0, ${GPU0}, 20, 3000, 24564, 41, 21300, NVIDIA GeForce RTX 4090`,
    `1, ${GPU1}, 85, 7000, 8188, 77, 1100, NVIDIA GeForce RTX 3070`,
  ].join('\n');
  const apps = [`${GPU1}, ${HOST_PID}, 4000`, `${GPU1}, ${OUR_PID}, 200`, `${GPU1}, 777, 2500`, `${GPU0}, 888, 2900`].join('\n');

  function follow(device: () => string | null | undefined, engine?: Reading<EngineLoad>, gpuText: Answer = gpus, appsText: Answer = apps) {
    const run = fakeRunner((_c, args) => (args[0]!.startsWith('--query-gpu') ? gpuText : appsText));
    return new NvidiaSmiProbe({ run, device, ourPids: () => [OUR_PID, HOST_PID], engineLoad: engine ? () => engine : undefined });
  }

  test('on cuda:1: others\' use of GPU 1 (our share out), its free memory, and ours from both our pids', async () => {
    const r = await follow(() => 'cuda:1', known({ cpuShare: 0.02, gpuShare: 0.6 })).read();
    expect(r.gpuDevice).toEqual(known({ index: 1, name: 'NVIDIA GeForce RTX 3070', modelOnGpu: true }));
    expect(r.gpuUtilisation).toEqual(known(0.85));
    expect(r.gpuOthers?.available && r.gpuOthers.value).toBeCloseTo(0.25, 10);
    expect(r.gpuMemory).toEqual(known({ usedMiB: 7000, totalMiB: 8188, freeMiB: 1100, oursMiB: 4200, othersMiB: 2800 }));
    expect(r.gpuTemperature).toEqual(known(77));
  });

  test('on the CPU (or nothing loaded): GPU 0, all of its load others\', marked as not ours', async () => {
    for (const device of ['cpu', null, undefined]) {
      const r = await follow(() => device, known({ cpuShare: 0.3, gpuShare: 0 })).read();
      expect(r.gpuDevice).toEqual(known({ index: 0, name: 'NVIDIA GeForce RTX 4090', modelOnGpu: false }));
      expect(r.gpuOthers).toEqual(known(0.2));
      expect(r.gpuMemory).toEqual(known({ usedMiB: 3000, totalMiB: 24564, freeMiB: 21300, oursMiB: 0, othersMiB: 3000 }));
    }
  });

  test('a new load on another device is followed at the next read', async () => {
    let device = 'cpu';
    const p = follow(() => device, known({ cpuShare: 0, gpuShare: 0 }));
    expect((await p.read()).gpuDevice).toMatchObject({ value: { index: 0, modelOnGpu: false } });
    device = 'cuda:1';
    expect((await p.read()).gpuDevice).toMatchObject({ value: { index: 1, modelOnGpu: true } });
  });

  test('a GPU nvidia-smi does not list: every GPU signal unavailable, naming it', async () => {
    const r = await follow(() => 'cuda:3').read();
    for (const name of ['gpuUtilisation', 'gpuOthers', 'gpuMemory', 'gpuDevice', 'gpuTemperature'] as const) {
      expect(r[name]).toEqual(unavailable('nvidia-smi lists no GPU 3 (the model runs on cuda:3)'));
    }
  });

  test.each([
    ['empty output', ''],
    ['a header line', 'index, uuid, utilization.gpu [%], memory.used [MiB], memory.total [MiB], temperature.gpu, memory.free [MiB], name'],
    ['a cut-off line', `0, ${GPU0}, 20, 3000`],
    ['an error text on stdout', 'No devices were found'],
  ])('%s is "unavailable", never a throw', async (_what, text) => {
    const r = await follow(() => 'cuda:0', undefined, text).read();
    expect(r.gpuDevice).toMatchObject({ available: false });
    expect(r.gpuOthers).toMatchObject({ available: false, reason: expect.stringMatching(/^cannot parse nvidia-smi output: /) });
  });

  test('a malformed process list keeps the device figures; ours and others\' memory are then unknown', async () => {
    const r = await follow(() => 'cuda:1', known({ cpuShare: 0, gpuShare: 0.5 }), gpus, 'what, is, this\n').read();
    expect(r.gpuOthers?.available && r.gpuOthers.value).toBeCloseTo(0.35, 10);
    expect(r.gpuMemory).toEqual(known({ usedMiB: 7000, totalMiB: 8188, freeMiB: 1100, oursMiB: null, othersMiB: null }));
  });
});
