// The server's route table, in one place. The UI's bridge lives under /api; the OpenAI-compatible
// API (app/server/v1, on when the server is given its options) under /v1 and /health, next to it,
// sharing the same AppController.
import { chatRoutes } from './api/chat-routes.js';
import { conversationRoutes } from './api/conversation-routes.js';
import type { ApiDeps } from './api/deps.js';
import { modelRoutes } from './api/model-routes.js';
import { policyRoutes } from './api/policy-routes.js';
import { stateRoutes } from './api/state-routes.js';
import type { Route } from './router.js';
import type { OpenAiApiOptions } from './v1/v1-deps.js';
import { v1Routes } from './v1/v1-routes.js';

export function routeTable(deps: ApiDeps, openAi?: OpenAiApiOptions): Route[] {
  const ui = [...stateRoutes(deps), ...modelRoutes(deps), ...chatRoutes(deps), ...conversationRoutes(deps), ...policyRoutes(deps)];
  return openAi ? [...ui, ...v1Routes(deps.controller, openAi)] : ui;
}
