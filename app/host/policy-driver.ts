// The chain policy in the parent process (the server, Electron's main process), wired to the
// engine host: the policy decides from the probes (or a simulated script), and every change of its
// count is pushed to the host, whose 'auto' generations read it before each token. The host's load
// reports flow back into the policy's EngineLoadMeter, so our own decode is not blamed on others.
//
// The policy lives here rather than in the host process because the probes do: Electron's
// powerMonitor exists only in main, and the simulated script and the user's rules arrive here.
// The per-token read stays cheap: the host holds the pushed number (auto-chains-follower.ts).
import { ChainPolicy } from '../policy/controller.js';
import type { SnapshotSource } from '../policy/probe-set.js';
import type { EngineLoadMeter } from '../policy/probes/engine-load.js';
import { gpuSummary } from '../policy/gpu-summary.js';
import { DEFAULT_RULES, parseRules, type Rules } from '../policy/rules.js';
import type { HostClient } from './host-client.js';
import { CHART_WINDOW_MS, compactHistory } from './policy-history.js';
import type { PolicyView, RulesOutcome } from './policy-view.js';

/** What the driver needs of the engine host (HostClient; tests pass a fake). */
export type PolicyHost = Pick<HostClient, 'on' | 'currentModel' | 'setAutoChains'>;

/** A script being replayed (`--simulate-power`): named in the view, restartable for demos and tests. */
export interface SimulationControl {
  file: string;
  restart(): void;
}

export interface PolicyDriverOptions {
  source: SnapshotSource;
  engineLoad: EngineLoadMeter;
  rules?: Rules;
  simulation?: SimulationControl | null;
  /** Keeps rules the user set (called after they pass parseRules and are applied). */
  saveRules?: (rules: Rules) => void;
  now?: () => number;
}

export class PolicyDriver {
  private readonly policy: ChainPolicy;
  private readonly listeners = new Set<() => void>();
  private readonly now: () => number;
  private readonly unsubscribe: (() => void)[] = [];
  private chainCount: number;
  private rules: Rules;
  private started = false;

  constructor(
    private readonly host: PolicyHost,
    private readonly options: PolicyDriverOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.chainCount = host.currentModel?.chainCount ?? 1;
    this.rules = options.rules ?? structuredClone(DEFAULT_RULES);
    this.policy = new ChainPolicy({ source: options.source, chainCount: this.chainCount, rules: this.rules, historyMs: CHART_WINDOW_MS, now: this.now });
  }

  /** Starts the probes and follows the host; call once. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.unsubscribe.push(
      this.host.on((event) => {
        if (event.type === 'load') this.options.engineLoad.report(event.load);
        // A model with another chain count: the policy starts afresh at its n (the user's pin stays).
        else if (event.type === 'modelChanged' && event.model && event.model.chainCount !== this.chainCount) {
          this.chainCount = event.model.chainCount;
          this.policy.setChainCount(this.chainCount);
          this.changed();
        }
      }),
      this.policy.onChange((change) => this.host.setAutoChains(change.chains)),
    );
    // The policy subscribes to the source first, so by the time this listener runs the snapshot
    // has been decided on: one state push per snapshot, with the new point in the chart.
    this.policy.start();
    this.unsubscribe.push(this.options.source.onSnapshot(() => this.notify()));
    this.host.setAutoChains(this.policy.current().chains);
  }

  stop(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    this.policy.stop();
    this.started = false;
  }

  view(): PolicyView {
    const { chains, reason } = this.policy.current();
    return {
      chains,
      chainCount: this.chainCount,
      reason,
      auto: this.policy.manual() === null,
      rules: this.rules,
      history: compactHistory(this.policy.history(), this.now()),
      simulated: this.options.simulation ? { file: this.options.simulation.file } : null,
      gpu: gpuSummary(this.policy.latestSignals()),
    };
  }

  /** Auto on: the policy decides. Off: the count in use now stays, pinned, until changed by hand. */
  setAuto(on: boolean): void {
    if (on === (this.policy.manual() === null)) return;
    this.policy.setManual(on ? null : this.policy.current().chains);
    this.changed();
  }

  /** Pins the count (auto off); clamped to the model's 1..n by the policy. */
  setManual(chains: number): void {
    this.policy.setManual(chains);
    this.changed();
  }

  /** Checks the user's rules (parseRules); applied at once when they hold, else every problem. */
  setRules(input: unknown): RulesOutcome {
    const result = parseRules(input);
    if (!result.ok) return result;
    this.rules = result.rules;
    this.policy.setRules(result.rules);
    this.options.saveRules?.(result.rules);
    this.changed();
    return { ok: true, rules: result.rules };
  }

  /** Plays the simulated script again from its second 0; false when the machine is real. */
  restartSimulation(): boolean {
    if (!this.options.simulation) return false;
    this.options.simulation.restart();
    return true;
  }

  /** Called after every decision worth showing (each snapshot, each user change). */
  onUpdate(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.host.setAutoChains(this.policy.current().chains);
    this.notify();
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
