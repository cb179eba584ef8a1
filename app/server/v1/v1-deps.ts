// What the API's handlers share, and how a server turns the API on.
import type { AppController } from '../../host/app-controller.js';
import type { AutoChains } from './auto-chains.js';
import type { ModelQueues } from './model-queues.js';

/** The OpenAI-compatible API's settings; a server given none serves no /v1 routes. */
export interface OpenAiApiOptions {
  apiKey?: string | null; // null or absent: no key needed
  maxWaiting?: number; // requests that may wait per model behind the running one; default 16
  autoChains?: AutoChains; // what chains: "auto" means; default: the chain policy, per token
}

export interface V1Deps {
  controller: AppController;
  apiKey: string | null;
  queues: ModelQueues;
  autoChains: AutoChains;
}
