// The probes for this platform, in order of trust (the first available value of a signal wins,
// see mergeReadings). The host wires the engine's load meter and its process id in; Electron's
// main process passes its ElectronPowerProbe so powerMonitor speaks first.
import { CpuLoadProbe } from './cpu-load.js';
import type { ElectronPowerProbe } from './electron-power.js';
import type { EngineLoadMeter } from './engine-load.js';
import { LinuxPowerProbe } from './linux-power.js';
import { LinuxThermalProbe } from './linux-thermal.js';
import { MacosPowerProbe } from './macos-power.js';
import { NvidiaSmiProbe } from './nvidia-smi.js';
import type { Probe } from './probe.js';
import { WindowsPowerProbe } from './windows-power.js';

export interface DefaultProbesOptions {
  platform?: NodeJS.Platform;
  engineLoad: EngineLoadMeter;
  /** Our processes: this one and the engine host (their GPU contexts are ours). */
  ourPids?: () => readonly number[];
  electron?: ElectronPowerProbe;
  /** The GPU watched while the model runs on the CPU; default 0. */
  gpuIndex?: number;
  /** The loaded session's device ("cpu", "cuda:N"): on a GPU, that GPU is the one watched. */
  device?: () => string | null | undefined;
}

export function createDefaultProbes(options: DefaultProbesOptions): Probe[] {
  const platform = options.platform ?? process.platform;
  const engineLoad = () => options.engineLoad.current();
  const probes: Probe[] = [];
  if (options.electron) probes.push(options.electron);
  if (platform === 'linux') probes.push(new LinuxPowerProbe(), new LinuxThermalProbe());
  if (platform === 'darwin') probes.push(new MacosPowerProbe());
  if (platform === 'win32') probes.push(new WindowsPowerProbe());
  // macOS has had no NVIDIA driver for years: asking would only spawn a failing process.
  if (platform !== 'darwin') probes.push(new NvidiaSmiProbe({ engineLoad, ourPids: options.ourPids, gpuIndex: options.gpuIndex, device: options.device }));
  probes.push(new CpuLoadProbe({ engineLoad }), options.engineLoad);
  return probes;
}
