// What `chains: "auto"` (or no `chains`) means for an API request. The chain policy (app/policy:
// battery, heat, GPU load) plugs in here; until it does, "auto" runs every chain. It is asked
// when a generation starts, after any wait in the queue, so the answer reflects the machine then.
import type { ChainSetting, ModelInfo } from '../../host/protocol.js';

export interface AutoChains {
  /** A chain count from 1 to model.chainCount, or 'auto' to leave the choice to the engine host. */
  resolve(model: ModelInfo): ChainSetting;
}

export const ALL_CHAINS: AutoChains = { resolve: (model) => model.chainCount };
