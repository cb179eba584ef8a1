// Puts the chain policy together for a face: the probes of this machine (or the script given to
// `colm serve --simulate-power`), the engine host's load meter, and the driver that applies the
// decisions. A script that cannot be read or is malformed throws its TimelineError here, before
// the face starts serving, so `colm serve` fails at once with the file and the rule.
import { basename } from 'node:path';

import { ProbeSet } from '../policy/probe-set.js';
import { createDefaultProbes } from '../policy/probes/default-probes.js';
import type { ElectronPowerProbe } from '../policy/probes/electron-power.js';
import { EngineLoadMeter } from '../policy/probes/engine-load.js';
import type { Rules } from '../policy/rules.js';
import { createSimulatedSource } from '../policy/simulated.js';
import { loadRulesFile, saveRulesFile } from '../library/policy-rules-file.js';
import { PolicyDriver, type PolicyHost } from './policy-driver.js';

export interface ChainPolicySetup {
  host: PolicyHost & { readonly pid: number | undefined };
  /** A timeline file to replay instead of reading the machine. */
  simulateFile?: string;
  /** Electron's powerMonitor and the renderer's getBattery(), trusted before /sys and pmset. */
  electron?: ElectronPowerProbe;
  rules?: Rules;
  /** Where the user's rules are kept across restarts (policy-rules.json in the data folder). */
  rulesFile?: string;
  /** Told when the kept rules cannot be read or saved (the defaults are used, nothing stops). */
  warn?: (message: string) => void;
}

export async function startChainPolicy(setup: ChainPolicySetup): Promise<PolicyDriver> {
  const engineLoad = new EngineLoadMeter();
  const warn = setup.warn ?? (() => undefined);
  let rules = setup.rules;
  let saveRules: ((rules: Rules) => void) | undefined;
  if (setup.rulesFile !== undefined) {
    const file = setup.rulesFile;
    const kept = await loadRulesFile(file);
    if (kept.warning) warn(kept.warning);
    rules = rules ?? kept.rules ?? undefined;
    // A save that fails (a full disk) leaves the rules applied for this run and says why.
    saveRules = (next) => void saveRulesFile(file, next).catch((error: Error) => warn(`${file}: the rules could not be saved (${error.message})`));
  }
  let driver: PolicyDriver;
  if (setup.simulateFile !== undefined) {
    const { probe, source } = await createSimulatedSource(setup.simulateFile);
    // A restart reads the script at once, so its second 0 shows without waiting for the next poll.
    const restart = () => {
      probe.restart();
      void source.poll();
    };
    driver = new PolicyDriver(setup.host, { source, engineLoad, rules, saveRules, simulation: { file: basename(setup.simulateFile), restart } });
  } else {
    // Our processes hold our GPU contexts: this one and the engine host (a new pid after a restart).
    const ourPids = () => [process.pid, ...(setup.host.pid === undefined ? [] : [setup.host.pid])];
    // The GPU rules watch the GPU our session runs on (cuda:N), else GPU 0 with the model on the CPU.
    const device = () => setup.host.currentModel?.device ?? null;
    const source = new ProbeSet(createDefaultProbes({ engineLoad, ourPids, electron: setup.electron, device }));
    driver = new PolicyDriver(setup.host, { source, engineLoad, rules, saveRules });
  }
  driver.start();
  return driver;
}

/** A policy that reads nothing (no probes): every chain, "no limits". For tests and embedders. */
export function quietChainPolicy(host: PolicyHost): PolicyDriver {
  const driver = new PolicyDriver(host, { source: new ProbeSet([]), engineLoad: new EngineLoadMeter() });
  driver.start();
  return driver;
}
