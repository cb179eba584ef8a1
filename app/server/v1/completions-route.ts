// POST /v1/completions: plain text continued as it is, without the chat template.
import type { Route } from '../router.js';
import { parseCompletionPrompt } from './completion-prompt.js';
import { readRequestObject } from './request-body.js';
import { modelFromBody } from './requested-model.js';
import { parseSampling } from './sampling-params.js';
import { serveGeneration } from './serve-generation.js';
import { parseStreamOptions } from './stream-options.js';
import { TEXT_FORMAT } from './text-format.js';
import { refuseUnsupported } from './unsupported-params.js';
import type { V1Deps } from './v1-deps.js';

/** OpenAI's default for this endpoint, which clients of it expect. */
export const COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

export function completionsRoute(deps: V1Deps): Route {
  return {
    method: 'POST',
    path: '/v1/completions',
    handler: async ({ req, res }) => {
      const body = await readRequestObject(req);
      const model = modelFromBody(deps.controller, body);
      refuseUnsupported(body);
      const text = parseCompletionPrompt(body.prompt);
      const sampling = parseSampling(body, model, COMPLETIONS_DEFAULT_MAX_TOKENS);
      const streaming = parseStreamOptions(body);
      await serveGeneration(res, deps, { model, input: { kind: 'text', text }, sampling, streaming, format: TEXT_FORMAT });
    },
  };
}
