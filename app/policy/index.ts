// The chain policy's public face. Faces (server, Electron main, CLI) import from here.
export { ChainPolicy, type ChainPolicyOptions, type PolicyChange, type PolicyChoice, type PolicyHistoryPoint } from './controller.js';
export { decide, initialPolicyState, withChainCount, type Decision, type PolicyState } from './decide.js';
export { DEFAULT_RULES, parseRules, type Rules, type RulesResult } from './rules.js';
export { gpuSummary } from './gpu-summary.js';
export { ProbeSet, mergeReadings, type ProbeSetOptions, type SnapshotListener, type SnapshotSource } from './probe-set.js';
export { SimulatedProbe, TimelineError, createSimulatedSource, loadTimeline, parseTimeline, type Timeline, type TimelineEntry } from './simulated.js';
export * from './signals.js';
export type { Probe, CommandRunner } from './probes/probe.js';
export { createDefaultProbes, type DefaultProbesOptions } from './probes/default-probes.js';
export { EngineLoadMeter } from './probes/engine-load.js';
export { ElectronPowerProbe, type ElectronPowerValues } from './probes/electron-power.js';
export { LinuxPowerProbe } from './probes/linux-power.js';
export { LinuxThermalProbe, DEFAULT_THERMAL_THRESHOLDS } from './probes/linux-thermal.js';
export { MacosPowerProbe } from './probes/macos-power.js';
export { WindowsPowerProbe } from './probes/windows-power.js';
export { NvidiaSmiProbe } from './probes/nvidia-smi.js';
export { CpuLoadProbe } from './probes/cpu-load.js';
