// GPU utilisation, memory and temperature from `nvidia-smi`, the fallback where the native addon
// does not load NVML. Two queries per read:
//   --query-gpu=index,uuid,utilization.gpu,memory.used,memory.total,temperature.gpu,memory.free,name
//       "0, GPU-8f3c..., 35, 1024, 81559, 45, 80020, NVIDIA H100 80GB HBM3"
//   --query-compute-apps=gpu_uuid,pid,used_memory
//       "GPU-8f3c..., 12345, 512"          (one line per process with a compute context)
// The uuid columns tie processes to devices on a machine with several GPUs. Rows of the older
// six-column shape (no memory.free, no name) are read too: free is then total - used.
//
// Which GPU? The one our session runs on when it runs on cuda:N (`device()` says "cuda:N"): then
// others' use and free memory are about the GPU we share with them. With the model on the CPU
// (or none loaded), the GPU of `gpuIndex` (default 0): its load only describes the machine, and
// the gpuDevice signal says so (modelOnGpu: false), so the policy's reason can tell the two apart.
//
// Whose load is it? utilization.gpu is the share of time any kernel ran, everyone's together.
// Per-process time is not in these queries, so others' share comes from the engine host's own
// report of how long its GPU work was in flight (EngineLoad.gpuShare):
//   others >= utilisation - ours
// (when both run at once the device time overlaps, so this is a lower bound: we never blame
// our own decode on someone else). Without that report, others' share is exact only when none of
// our processes holds a context on this GPU; otherwise it is unavailable.
import { known, unavailable, type EngineLoad, type GpuMemory, type Reading, type Signals } from '../signals.js';
import { describeCommandError, runCommand } from './command-runner.js';
import type { CommandRunner, Probe } from './probe.js';

export interface NvidiaSmiProbeOptions {
  run?: CommandRunner;
  timeoutMs?: number; // per call; default 1000 (a first call can wake the driver, which is slow)
  gpuIndex?: number; // the GPU watched while the model runs on the CPU; default 0
  /** The loaded session's device ("cpu", "cuda:N"); undefined or null: none loaded (as the CPU). */
  device?: () => string | null | undefined;
  /** Our processes (this one and the engine host): their contexts are "ours". */
  ourPids?: () => readonly number[];
  /** The engine host's own busy share, to take out of the device's utilisation. */
  engineLoad?: () => Reading<EngineLoad>;
}

export interface GpuRow {
  index: number;
  uuid: string;
  utilisation: number | undefined; // 0..1
  usedMiB: number | undefined;
  totalMiB: number | undefined;
  celsius: number | undefined;
  freeMiB: number | undefined; // memory.free; undefined in the six-column shape or "[N/A]"
  name: string | null;
}

export interface AppRow {
  uuid: string;
  pid: number;
  usedMiB: number | undefined;
}

const NVIDIA_SMI = 'nvidia-smi';
const GPU_QUERY = ['--query-gpu=index,uuid,utilization.gpu,memory.used,memory.total,temperature.gpu,memory.free,name', '--format=csv,noheader,nounits'];
const APPS_QUERY = ['--query-compute-apps=gpu_uuid,pid,used_memory', '--format=csv,noheader,nounits'];

export class NvidiaSmiProbe implements Probe {
  readonly name = 'nvidia-smi';
  readonly provides = ['gpuUtilisation', 'gpuOthers', 'gpuMemory', 'gpuDevice', 'gpuTemperature'] as const;
  readonly timeoutMs: number; // the ProbeSet's wait: two calls in a row, and a little
  private readonly run: CommandRunner;
  private readonly commandTimeoutMs: number;
  private readonly gpuIndex: number;
  private readonly device: () => string | null | undefined;
  private readonly ourPids: () => readonly number[];
  private readonly engineLoad: () => Reading<EngineLoad>;

  constructor(options: NvidiaSmiProbeOptions = {}) {
    this.run = options.run ?? runCommand;
    this.commandTimeoutMs = options.timeoutMs ?? 1000;
    this.timeoutMs = 2 * this.commandTimeoutMs + 500;
    this.gpuIndex = options.gpuIndex ?? 0;
    this.device = options.device ?? (() => undefined);
    this.ourPids = options.ourPids ?? (() => [process.pid]);
    this.engineLoad = options.engineLoad ?? (() => unavailable('the engine host does not report its load to this probe'));
  }

  async read(): Promise<Partial<Signals>> {
    let gpuText: string;
    try {
      gpuText = await this.run(NVIDIA_SMI, GPU_QUERY, this.commandTimeoutMs);
    } catch (error) {
      // No binary means no NVIDIA GPU (or no driver): every GPU signal is unavailable, none guessed.
      return allGpuUnavailable(describeCommandError(NVIDIA_SMI, error));
    }
    const gpus = parseGpuRows(gpuText);
    if (gpus === undefined) return allGpuUnavailable(`cannot parse nvidia-smi output: ${firstLine(gpuText)}`);
    const target = gpuTarget(this.device(), this.gpuIndex);
    const gpu = gpus.find((g) => g.index === target.index);
    if (!gpu) return allGpuUnavailable(`nvidia-smi lists no GPU ${target.index}${target.modelOnGpu ? ` (the model runs on cuda:${target.index})` : ''}`);

    // The app list is a refinement: without it the device figures still stand.
    let apps: AppRow[] | undefined;
    try {
      apps = parseAppRows(await this.run(NVIDIA_SMI, APPS_QUERY, this.commandTimeoutMs))?.filter((a) => a.uuid === gpu.uuid);
    } catch {
      apps = undefined;
    }
    return describeGpu(gpu, apps, new Set(this.ourPids()), this.engineLoad(), target.modelOnGpu);
  }
}

/** The GPU to watch: the session's cuda:N, else `fallback` with the model on the CPU. */
export function gpuTarget(device: string | null | undefined, fallback: number): { index: number; modelOnGpu: boolean } {
  const m = /^cuda:(\d+)$/.exec(device ?? '');
  return m ? { index: Number(m[1]), modelOnGpu: true } : { index: fallback, modelOnGpu: false };
}

export function describeGpu(
  gpu: GpuRow,
  apps: AppRow[] | undefined,
  ourPids: ReadonlySet<number>,
  engine: Reading<EngineLoad>,
  modelOnGpu = false,
): Partial<Signals> {
  const ourApps = apps?.filter((a) => ourPids.has(a.pid));
  return {
    gpuUtilisation: gpu.utilisation !== undefined ? known(gpu.utilisation) : unavailable('nvidia-smi does not report utilisation for this GPU'),
    gpuOthers: othersUtilisation(gpu.utilisation, ourApps, engine),
    gpuMemory: memory(gpu, ourApps),
    gpuDevice: known({ index: gpu.index, name: gpu.name, modelOnGpu }),
    gpuTemperature: gpu.celsius !== undefined ? known(gpu.celsius) : unavailable('nvidia-smi does not report temperature for this GPU'),
  };
}

function othersUtilisation(total: number | undefined, ourApps: AppRow[] | undefined, engine: Reading<EngineLoad>): Reading<number> {
  if (total === undefined) return unavailable('nvidia-smi does not report utilisation for this GPU');
  if (engine.available) return known(Math.max(0, total - engine.value.gpuShare));
  if (ourApps !== undefined && ourApps.length === 0) return known(total); // we are not on this GPU: all of it is others'
  if (ourApps === undefined) return unavailable(`cannot tell our share: no process list and ${engine.reason}`);
  return unavailable(`our engine is on this GPU and ${engine.reason}`);
}

function memory(gpu: GpuRow, ourApps: AppRow[] | undefined): Reading<GpuMemory> {
  if (gpu.usedMiB === undefined || gpu.totalMiB === undefined) return unavailable('nvidia-smi does not report memory for this GPU');
  // Under Windows WDDM per-process memory reads "[N/A]": the device total is still right.
  const ours = ourApps === undefined || ourApps.some((a) => a.usedMiB === undefined) ? null : ourApps.reduce((sum, a) => sum + a.usedMiB!, 0);
  const freeMiB = gpu.freeMiB ?? Math.max(0, gpu.totalMiB - gpu.usedMiB);
  return known({ usedMiB: gpu.usedMiB, totalMiB: gpu.totalMiB, freeMiB, oursMiB: ours, othersMiB: ours === null ? null : Math.max(0, gpu.usedMiB - ours) });
}

/**
 * One row per GPU, or undefined when a line does not have the queried shape: eight columns (the
 * name last, and it may hold commas), or the older six without memory.free and name.
 */
export function parseGpuRows(text: string): GpuRow[] | undefined {
  const rows: GpuRow[] = [];
  for (const line of nonEmptyLines(text)) {
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length !== 6 && cells.length < 8) return undefined;
    const [index, uuid, util, used, total, temp, free] = cells as [string, string, string, string, string, string, string | undefined];
    if (!/^\d+$/.test(index) || uuid === '') return undefined;
    const percent = optionalNumber(util);
    if (percent === null) return undefined;
    const numbers = [used, total, temp, free ?? '[N/A]'].map(optionalNumber);
    if (numbers.includes(null)) return undefined;
    const name = cells.length >= 8 ? cells.slice(7).join(', ') : '';
    rows.push({
      index: Number(index),
      uuid,
      utilisation: percent === undefined ? undefined : Math.min(1, percent / 100),
      usedMiB: numbers[0] ?? undefined,
      totalMiB: numbers[1] ?? undefined,
      celsius: numbers[2] ?? undefined,
      freeMiB: numbers[3] ?? undefined,
      name: name === '' || /^\[.*\]$/.test(name) ? null : name,
    });
  }
  return rows.length > 0 ? rows : undefined;
}

/** One row per compute process ([] when none), or undefined when a line is malformed. */
export function parseAppRows(text: string): AppRow[] | undefined {
  const rows: AppRow[] = [];
  for (const line of nonEmptyLines(text)) {
    // Newer drivers print this instead of an empty list.
    if (/^No running (compute )?processes found/i.test(line)) continue;
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length !== 3 || !/^\d+$/.test(cells[1]!)) return undefined;
    const used = optionalNumber(cells[2]!);
    if (used === null) return undefined;
    rows.push({ uuid: cells[0]!, pid: Number(cells[1]), usedMiB: used });
  }
  return rows;
}

/** A number; undefined for nvidia-smi's "[N/A]" or "[Not Supported]"; null for anything else (malformed). */
function optionalNumber(cell: string): number | undefined | null {
  if (/^\[.*\]$/.test(cell)) return undefined;
  if (!/^-?\d+(\.\d+)?$/.test(cell)) return null;
  return Number(cell);
}

function allGpuUnavailable(reason: string): Partial<Signals> {
  const u = unavailable(reason);
  return { gpuUtilisation: u, gpuOthers: u, gpuMemory: u, gpuDevice: u, gpuTemperature: u };
}

function nonEmptyLines(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
}

function firstLine(text: string): string {
  return nonEmptyLines(text)[0]?.slice(0, 80) ?? '(empty)';
}
