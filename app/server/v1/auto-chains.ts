// What `chains: "auto"` (or no `chains`) means for an API request. It is asked when a generation
// starts, after any wait in the queue. The server's default follows the chain policy (battery,
// heat, GPU load; app/policy): it leaves 'auto' to the engine host, which reads the policy's count
// before every token, as the chat window's Auto does, so a reply can shrink mid-stream.
import type { ChainSetting, ModelInfo } from '../../host/protocol.js';

export interface AutoChains {
  /** A chain count from 1 to model.chainCount, or 'auto' to leave the choice to the engine host. */
  resolve(model: ModelInfo): ChainSetting;
}

/** The chain policy decides, token by token (x_colm.chains shows what each token ran with). */
export const FOLLOW_POLICY: AutoChains = { resolve: () => 'auto' };

/** Every chain, whatever the machine does. */
export const ALL_CHAINS: AutoChains = { resolve: (model) => model.chainCount };
