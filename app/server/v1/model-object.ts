// A loaded model as OpenAI's "model" object, with x_colm: what each chain count of it is.
import type { ModelInfo } from '../../host/protocol.js';

export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: 'colm-desktop';
  x_colm: {
    chains: number; // n: requests may ask for 1..n
    kv_sharing: boolean; // CoLM-Air: the chain count can change between any two tokens
    chain_ratios: number[];
    context_length: number;
    parameters: Record<string, number>; // chain count -> parameters that run at it
    device: string; // the backend running the session: "cpu" or "cuda:N"
    device_reason: string | null; // why it was chosen (auto's reason, or the --device given)
  };
}

export function modelObject(model: ModelInfo, created: number): ModelObject {
  return {
    id: model.name,
    object: 'model',
    created,
    owned_by: 'colm-desktop',
    x_colm: {
      chains: model.chainCount,
      kv_sharing: model.kvSharing,
      chain_ratios: model.chainRatios,
      context_length: model.contextSize,
      parameters: Object.fromEntries(model.subModels.map((s) => [String(s.chains), s.parameters])),
      device: model.device ?? 'cpu',
      device_reason: model.deviceReason ?? null,
    },
  };
}
