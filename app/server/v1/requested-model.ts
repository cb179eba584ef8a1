// The `model` a request names must be the one loaded (its file name, as GET /v1/models lists
// it). A model that is still loading is a 503 to retry; any other name is a 404.
import type { ModelInfo } from '../../host/protocol.js';
import type { AppController } from '../../host/app-controller.js';
import { requiredString } from './fields.js';
import { OpenAiError } from './openai-error.js';

export function requestedModel(controller: AppController, name: string): ModelInfo {
  const model = controller.host.currentModel;
  if (model !== null && model.name === name) return model;
  const loading = controller.state().loading;
  if (loading !== null && loading.name === name) {
    throw new OpenAiError(503, `the model "${name}" is still loading: try again shortly`, 'server_error', 'model', 'model_loading', { 'retry-after': '2' });
  }
  const here = model === null ? 'no model is loaded' : `the loaded model is "${model.name}"`;
  throw new OpenAiError(404, `the model "${name}" does not exist here: ${here} (GET /v1/models lists it)`, 'invalid_request_error', 'model', 'model_not_found');
}

export function modelFromBody(controller: AppController, body: Record<string, unknown>): ModelInfo {
  return requestedModel(controller, requiredString(body, 'model', 4096));
}
