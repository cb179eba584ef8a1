// The server's route table, in one place. The UI's bridge lives under /api; the OpenAI-compatible
// API will add its own table under /v1 here, next to it, sharing the same AppController.
import { chatRoutes } from './api/chat-routes.js';
import { conversationRoutes } from './api/conversation-routes.js';
import type { ApiDeps } from './api/deps.js';
import { modelRoutes } from './api/model-routes.js';
import { stateRoutes } from './api/state-routes.js';
import type { Route } from './router.js';

export function routeTable(deps: ApiDeps): Route[] {
  return [...stateRoutes(deps), ...modelRoutes(deps), ...chatRoutes(deps), ...conversationRoutes(deps)];
}
