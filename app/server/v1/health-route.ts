// GET /health: is the engine up, which model is loaded, how full its queue is. Open without the
// API key, for process supervisors and load checks; it says nothing a caller could misuse.
import { sendJson } from '../http-io.js';
import type { Route } from '../router.js';
import type { V1Deps } from './v1-deps.js';

export function healthRoute({ controller, queues }: V1Deps): Route {
  return {
    method: 'GET',
    path: '/health',
    handler: ({ res }) => {
      const state = controller.state();
      const model = state.model?.name ?? null;
      const failed = state.host.status === 'failed';
      sendJson(res, failed ? 503 : 200, {
        status: failed ? 'error' : 'ok',
        engine: state.host.status,
        model,
        loading: state.loading?.name ?? null,
        queue: queues.snapshot(model),
      });
    },
  };
}
