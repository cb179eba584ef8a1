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
      'nvidia-smi --query-gpu=index,uuid,utilization.gpu,memory.used,memory.total,temperature.gpu --format=csv,noheader,nounits',
      'nvidia-smi --query-compute-apps=gpu_uuid,pid,used_memory --format=csv,noheader,nounits',
    ]);
  });

  test('we are not on the GPU: all of its load is others\'', async () => {
    const { probe: p } = probe(`0, ${GPU0}, 35, 1024, 81559, 45\n`, `${GPU0}, 999, 900\n`);
    expect(await p.read()).toEqual({
      gpuUtilisation: known(0.35),
      gpuOthers: known(0.35),
      gpuMemory: known({ usedMiB: 1024, totalMiB: 81559, oursMiB: 0, othersMiB: 1024 }),
      gpuTemperature: known(45),
    });
  });

  test('our decode is taken out of the utilisation using the engine\'s own report', async () => {
    const { probe: p } = probe(`0, ${GPU0}, 90, 9000, 81559, 70\n`, `${GPU0}, ${OUR_PID}, 6000\n${GPU0}, 999, 2000\n`, {
      engine: known({ cpuShare: 0.05, gpuShare: 0.5 }),
    });
    const r = await p.read();
    expect(r.gpuOthers?.available && r.gpuOthers.value).toBeCloseTo(0.4, 10);
    expect(r.gpuMemory).toEqual(known({ usedMiB: 9000, totalMiB: 81559, oursMiB: 6000, othersMiB: 3000 }));
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
    expect(first.gpuMemory).toEqual(known({ usedMiB: 500, totalMiB: 24000, oursMiB: 0, othersMiB: 500 }));
    const second = await probe(gpus, apps, { gpuIndex: 1 }).probe.read();
    expect(second.gpuOthers).toMatchObject({ available: false });
    expect(second.gpuMemory).toEqual(known({ usedMiB: 20000, totalMiB: 24000, oursMiB: 19000, othersMiB: 1000 }));
    const none = await probe(gpus, apps, { gpuIndex: 3 }).probe.read();
    expect(none.gpuUtilisation).toEqual(unavailable('nvidia-smi lists no GPU 3'));
  });

  test('[N/A] fields are unavailable one by one (Windows WDDM, some laptops)', async () => {
    const { probe: p } = probe(`0, ${GPU0}, [N/A], 3000, 8192, [N/A]\n`, `${GPU0}, ${OUR_PID}, [N/A]\n`, { engine: known({ cpuShare: 0, gpuShare: 0.2 }) });
    const r = await p.read();
    expect(r.gpuUtilisation).toMatchObject({ available: false });
    expect(r.gpuOthers).toMatchObject({ available: false });
    expect(r.gpuTemperature).toMatchObject({ available: false });
    expect(r.gpuMemory).toEqual(known({ usedMiB: 3000, totalMiB: 8192, oursMiB: null, othersMiB: null }));
  });

  test('a failing process list leaves the device figures standing', async () => {
    const { probe: p } = probe(`0, ${GPU0}, 50, 3000, 8192, 60\n`, new Error('Command failed'), { engine: known({ cpuShare: 0, gpuShare: 0.1 }) });
    const r = await p.read();
    expect(r.gpuOthers?.available && r.gpuOthers.value).toBeCloseTo(0.4, 10);
    expect(r.gpuMemory).toEqual(known({ usedMiB: 3000, totalMiB: 8192, oursMiB: null, othersMiB: null }));
    const blind = await probe(`0, ${GPU0}, 50, 3000, 8192, 60\n`, new Error('Command failed')).probe.read();
    expect(blind.gpuOthers).toMatchObject({ available: false, reason: expect.stringContaining('no process list') });
  });

  test('no nvidia-smi (no NVIDIA GPU): every GPU signal unavailable', async () => {
    const r = await probe(undefined, undefined).probe.read();
    for (const name of ['gpuUtilisation', 'gpuOthers', 'gpuMemory', 'gpuTemperature'] as const) {
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
      { index: 0, uuid: GPU0, utilisation: 0.35, usedMiB: 1024, totalMiB: 81559, celsius: undefined },
    ]);
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
  expect(Object.keys(r).sort()).toEqual(['gpuMemory', 'gpuOthers', 'gpuTemperature', 'gpuUtilisation']);
});

test('missingBinary is what a machine without NVIDIA looks like', async () => {
  const r = await new NvidiaSmiProbe({ run: fakeRunner(missingBinary) }).read();
  expect(r.gpuTemperature).toEqual(unavailable('nvidia-smi not found'));
});
