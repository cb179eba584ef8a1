// POST /v1/chat/completions: the assistant's next turn after `messages`, through the model's
// chat template.
import type { Route } from '../router.js';
import { CHAT_FORMAT } from './chat-format.js';
import { parseChatMessages } from './chat-messages.js';
import { readRequestObject } from './request-body.js';
import { modelFromBody } from './requested-model.js';
import { parseSampling } from './sampling-params.js';
import { serveGeneration } from './serve-generation.js';
import { parseStreamOptions } from './stream-options.js';
import { refuseUnsupported } from './unsupported-params.js';
import type { V1Deps } from './v1-deps.js';

export function chatCompletionsRoute(deps: V1Deps): Route {
  return {
    method: 'POST',
    path: '/v1/chat/completions',
    handler: async ({ req, res }) => {
      const body = await readRequestObject(req);
      const model = modelFromBody(deps.controller, body);
      refuseUnsupported(body);
      const messages = parseChatMessages(body.messages);
      // No max_tokens: as OpenAI, the reply may run until the context is full.
      const sampling = parseSampling(body, model, model.contextSize);
      const streaming = parseStreamOptions(body);
      await serveGeneration(res, deps, { model, input: { kind: 'chat', messages }, sampling, streaming, format: CHAT_FORMAT });
    },
  };
}
