// --context N: the positions a command's session holds. Absent: what the model allows and this
// machine's free memory holds (app/engine/context-plan.ts). Above the model's limit: refused
// (exit 1), since RoPE was never trained past max_position_embeddings.
import type { ContextPlan } from '../engine/context-plan.js';
import type { KvType } from '../engine/kv-type.js';
import type { Model } from '../engine/model.js';

export function cliContextPlan(model: Model, requested: number | undefined, kvType?: KvType): ContextPlan {
  try {
    return model.contextPlan(requested, kvType);
  } catch (error) {
    throw new Error(`--context: ${(error as Error).message}`);
  }
}

/** Throws, naming --context, when a prompt of `promptTokens` leaves no position for a reply. */
export function checkPromptFits(promptTokens: number, plan: ContextPlan): void {
  if (promptTokens < plan.context) return;
  const most = plan.limit === null ? '' : ` (this model allows up to ${plan.limit})`;
  throw new Error(`the prompt is ${promptTokens} tokens but the context holds ${plan.context} positions: pass a larger --context N${most}`);
}
