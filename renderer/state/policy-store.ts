// The chain policy as this window knows it: the server's view (pushed with every state: the
// choice, its reason, auto or pinned, the rules and the chart's history), and the user's commands
// to it. Rule problems come back as a list for the editor; a failed request is one line to show.
import { createStore, type StoreApi } from 'zustand/vanilla';

import type { Bridge, PolicyView } from '../bridge/types.js';

export interface PolicyState {
  view: PolicyView | null;
  /** What the server found wrong with the rules last saved (empty: none). */
  ruleErrors: string[];
  /** True after rules were saved and applied, until they are edited again. */
  rulesSaved: boolean;
  /** A command that failed (the server unreachable, a count the model does not have). */
  error: string | null;
  receive(view: PolicyView | null): void;
  setAuto(on: boolean): Promise<void>;
  setManual(chains: number): Promise<void>;
  /** True when the rules were applied. */
  saveRules(rules: unknown): Promise<boolean>;
  editingRules(): void;
}

export type PolicyStore = StoreApi<PolicyState>;

export function createPolicyStore(bridge: Bridge): PolicyStore {
  return createStore<PolicyState>()((set, get) => {
    // Each command answers the view as it is after it; showing that at once beats waiting for
    // the push, which follows anyway.
    const command = async (run: () => Promise<PolicyView | null>) => {
      try {
        const view = await run();
        set({ error: null, ...(view ? { view } : {}) });
      } catch (error) {
        set({ error: (error as Error).message });
      }
    };
    return {
      view: null,
      ruleErrors: [],
      rulesSaved: false,
      error: null,
      receive(view) {
        set({ view });
      },
      setAuto(on) {
        if (get().view?.auto === on) return Promise.resolve();
        return command(() => bridge.setChainAuto(on));
      },
      setManual(chains) {
        const view = get().view;
        if (view && !view.auto && view.chains === chains) return Promise.resolve();
        return command(() => bridge.setManualChains(chains));
      },
      async saveRules(rules) {
        try {
          const outcome = await bridge.setPolicyRules(rules);
          if (outcome.ok) {
            const view = get().view;
            set({ ruleErrors: [], rulesSaved: true, error: null, ...(view ? { view: { ...view, rules: outcome.rules } } : {}) });
            return true;
          }
          set({ ruleErrors: outcome.errors, rulesSaved: false });
          return false;
        } catch (error) {
          set({ ruleErrors: [(error as Error).message], rulesSaved: false });
          return false;
        }
      },
      editingRules() {
        if (get().rulesSaved) set({ rulesSaved: false });
      },
    };
  });
}
