// GET /v1/models: the loaded model (one at a time in this app, none before a load), and
// GET /v1/models/:id for one by name.
import { sendJson } from '../http-io.js';
import type { Route } from '../router.js';
import { modelObject } from './model-object.js';
import { requestedModel } from './requested-model.js';
import type { V1Deps } from './v1-deps.js';

export function modelRoutes({ controller }: V1Deps): Route[] {
  // OpenAI's `created` is when the model appeared; ours is when this server first saw it loaded.
  const firstSeen = new Map<string, number>();
  const created = (path: string) => {
    if (!firstSeen.has(path)) firstSeen.set(path, Math.floor(Date.now() / 1000));
    return firstSeen.get(path)!;
  };
  return [
    {
      method: 'GET',
      path: '/v1/models',
      handler: ({ res }) => {
        const model = controller.host.currentModel;
        sendJson(res, 200, { object: 'list', data: model ? [modelObject(model, created(model.path))] : [] });
      },
    },
    {
      method: 'GET',
      path: '/v1/models/:id',
      handler: ({ res, params }) => {
        const model = requestedModel(controller, params.id!);
        sendJson(res, 200, modelObject(model, created(model.path)));
      },
    },
  ];
}
