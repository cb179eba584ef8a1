// The OpenAI-compatible API's route table. Every /v1 handler checks the API key first and
// answers any failure as an OpenAI error object; /health needs no key.
import type { AppController } from '../../host/app-controller.js';
import type { Route } from '../router.js';
import { checkApiKey } from './api-key.js';
import { FOLLOW_POLICY } from './auto-chains.js';
import { chatCompletionsRoute } from './chat-completions-route.js';
import { completionsRoute } from './completions-route.js';
import { DEFAULT_QUEUE_LIMITS } from './generation-queue.js';
import { healthRoute } from './health-route.js';
import { ModelQueues } from './model-queues.js';
import { modelRoutes } from './model-routes.js';
import { sendOpenAiError } from './openai-error.js';
import type { OpenAiApiOptions, V1Deps } from './v1-deps.js';

function withOpenAiErrors(route: Route, apiKey: string | null): Route {
  return {
    ...route,
    handler: async (ctx) => {
      try {
        checkApiKey(ctx.req, apiKey);
        await route.handler(ctx);
      } catch (error) {
        if (ctx.res.destroyed) return; // the client left; there is nobody to answer
        sendOpenAiError(ctx.req, ctx.res, error);
      }
    },
  };
}

export function v1Routes(controller: AppController, options: OpenAiApiOptions): Route[] {
  const deps: V1Deps = {
    controller,
    apiKey: options.apiKey ?? null,
    queues: new ModelQueues({ ...DEFAULT_QUEUE_LIMITS, waiting: options.maxWaiting ?? DEFAULT_QUEUE_LIMITS.waiting }),
    autoChains: options.autoChains ?? FOLLOW_POLICY,
  };
  const keyed = [...modelRoutes(deps), chatCompletionsRoute(deps), completionsRoute(deps)].map((route) => withOpenAiErrors(route, deps.apiKey));
  return [...keyed, withOpenAiErrors(healthRoute(deps), null)];
}
