// ChainPolicy: a snapshot source (probes or the simulated script) + rules + decide(), kept
// current. The generation loop reads it before every token:
//   session.generate({ chains: () => policy.current().chains, ... })
// so current() is a field read, never a computation. Decisions happen when a snapshot arrives
// (every ~2 s) and when the user changes the manual choice, rules or model.
import { decide, initialPolicyState, withChainCount, type PolicyState } from './decide.js';
import type { SnapshotSource } from './probe-set.js';
import { DEFAULT_RULES, type Rules } from './rules.js';
import { allUnavailable, type SignalSnapshot, type Signals } from './signals.js';

export interface PolicyChoice {
  chains: number;
  reason: string;
}

export interface PolicyHistoryPoint {
  time: number; // ms
  chains: number;
  reason: string;
  signals: Signals;
}

export interface PolicyChange extends PolicyChoice {
  previous: PolicyChoice;
  time: number;
}

export type PolicyChangeListener = (change: PolicyChange) => void;

export interface ChainPolicyOptions {
  source: SnapshotSource;
  chainCount: number; // n of the loaded model
  rules?: Rules; // checked already (parseRules)
  manual?: number | null;
  historyMs?: number; // how far back history() reaches; default 10 minutes
  now?: () => number;
}

export class ChainPolicy {
  private readonly source: SnapshotSource;
  private readonly historyMs: number;
  private readonly now: () => number;
  private readonly listeners = new Set<PolicyChangeListener>();
  private readonly points: PolicyHistoryPoint[] = [];
  private rules: Rules;
  private state: PolicyState;
  private signals: Signals = allUnavailable('no snapshot yet');
  private choice: PolicyChoice;
  private unsubscribe: (() => void) | undefined;

  constructor(options: ChainPolicyOptions) {
    this.source = options.source;
    this.rules = options.rules ?? DEFAULT_RULES;
    this.historyMs = options.historyMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
    this.state = initialPolicyState(options.chainCount, options.manual ?? null);
    // Until the first snapshot nothing is known, and no rule fires on the unknown: all chains
    // (or the manual pick). The decision is taken now so current() is right from the start.
    this.choice = this.decideNow(false);
  }

  /** Subscribes to the source and starts it. */
  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.source.onSnapshot((snapshot) => this.observe(snapshot));
    this.source.start();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.source.stop();
  }

  /** The chain count to use for the next token, and why. Cheap: read it per token. */
  current(): PolicyChoice {
    return this.choice;
  }

  /** k pins the count (clamped to 1..n); null goes back to auto. Takes effect at once. */
  setManual(k: number | null): void {
    this.state = { ...this.state, manual: k };
    this.decideNow(true);
  }

  manual(): number | null {
    return this.state.manual;
  }

  /** Checked rules (parseRules). Applied at once: the user's edit is not a flickering signal. */
  setRules(rules: Rules): void {
    this.rules = rules;
    this.state = { ...this.state, lastChangeAt: null };
    this.decideNow(true);
  }

  /** A model with another chain count was loaded. */
  setChainCount(chainCount: number): void {
    this.state = withChainCount(this.state, chainCount);
    this.decideNow(true);
  }

  /** The latest snapshot's signals (all unavailable before the first). */
  latestSignals(): Signals {
    return this.signals;
  }

  /** Oldest first, within the last historyMs: what the UI's chart draws. */
  history(): readonly PolicyHistoryPoint[] {
    this.prune(this.now());
    return [...this.points];
  }

  onChange(listener: PolicyChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Feeds one snapshot (the source does this once started; tests may call it directly). */
  observe(snapshot: SignalSnapshot): void {
    // Decisions run on this policy's own clock (not snapshot.time), so dwell is measured on one
    // clock whether the decision came from a snapshot or from setManual().
    this.signals = snapshot.signals;
    this.decideNow(true);
  }

  private decideNow(record: boolean): PolicyChoice {
    const time = this.now();
    const decision = decide(this.signals, this.rules, this.state, time);
    this.state = decision.state;
    const previous = this.choice;
    this.choice = { chains: decision.chains, reason: decision.reason };
    if (!record) return this.choice;
    this.points.push({ time, chains: decision.chains, reason: decision.reason, signals: this.signals });
    this.prune(time);
    if (previous && (previous.chains !== this.choice.chains || previous.reason !== this.choice.reason)) {
      const change: PolicyChange = { ...this.choice, previous, time };
      for (const listener of this.listeners) {
        try {
          listener(change);
        } catch {
          // A UI listener's bug must not stop the policy.
        }
      }
    }
    return this.choice;
  }

  private prune(now: number): void {
    const oldest = now - this.historyMs;
    let drop = 0;
    while (drop < this.points.length && this.points[drop]!.time < oldest) drop++;
    if (drop > 0) this.points.splice(0, drop);
  }
}
