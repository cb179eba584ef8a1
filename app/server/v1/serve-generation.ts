// The path every generation request takes once it is parsed: wait for its turn in the model's
// queue, run, and answer whole or as a stream. A client that leaves, while waiting or while
// its reply streams, gives up its place and stops the engine; nothing is written for it after.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';

import type { GenerationSettings, ModelInfo } from '../../host/protocol.js';
import { sendJson } from '../http-io.js';
import { clientGoneSignal } from './client-gone.js';
import { EventStream } from './event-stream.js';
import { toOpenAiError } from './openai-error.js';
import type { ReplyFormat, ReplyMeta } from './openai-types.js';
import { replyOf } from './reply.js';
import { requestedModel } from './requested-model.js';
import { runGeneration, type GenerationInput } from './run-generation.js';
import type { SamplingRequest } from './sampling-params.js';
import type { StreamRequest } from './stream-options.js';
import type { V1Deps } from './v1-deps.js';

export interface GenerationJob {
  model: ModelInfo;
  input: GenerationInput;
  sampling: SamplingRequest;
  streaming: StreamRequest;
  format: ReplyFormat;
}

export async function serveGeneration(res: ServerResponse, deps: V1Deps, job: GenerationJob): Promise<void> {
  const clientGone = clientGoneSignal(res);
  const release = await deps.queues.for(job.model.name).acquire(clientGone);
  try {
    // The wait may have been long: the model could have changed, and "auto" is decided now.
    const model = requestedModel(deps.controller, job.model.name);
    const chains = job.sampling.chains === 'auto' ? deps.autoChains.resolve(model) : job.sampling.chains;
    const settings: GenerationSettings = { ...job.sampling.settings, chains };
    const meta: ReplyMeta = { id: `${job.format.idPrefix}-${randomBytes(12).toString('hex')}`, created: Math.floor(Date.now() / 1000), model: model.name };
    if (job.streaming.stream) await streamReply(res, deps, job, settings, meta, clientGone);
    else await wholeReply(res, deps, job, settings, meta, clientGone);
  } finally {
    release();
  }
}

async function wholeReply(res: ServerResponse, deps: V1Deps, job: GenerationJob, settings: GenerationSettings, meta: ReplyMeta, clientGone: AbortSignal): Promise<void> {
  const outcome = await runGeneration(deps.controller.host, job.input, settings, clientGone);
  if (clientGone.aborted) return;
  sendJson(res, 200, job.format.whole(meta, replyOf(outcome)));
}

async function streamReply(res: ServerResponse, deps: V1Deps, job: GenerationJob, settings: GenerationSettings, meta: ReplyMeta, clientGone: AbortSignal): Promise<void> {
  const { format } = job;
  const withUsage = job.streaming.includeUsage;
  const events = new EventStream(res);
  const open = () => {
    if (events.started) return;
    const opening = format.opening(meta, withUsage);
    if (opening) events.send(opening);
  };
  try {
    const outcome = await runGeneration(deps.controller.host, job.input, settings, clientGone, (batch) => {
      open();
      if (batch.text !== '') events.send(format.piece(meta, batch.text, withUsage));
    });
    if (clientGone.aborted) return;
    const reply = replyOf(outcome);
    open();
    // x_colm rides on the last chunk before [DONE]: the usage chunk when asked for, else the finish.
    const closing = format.closing(meta, reply.finishReason, withUsage);
    if (withUsage) {
      events.send(closing);
      events.send({ ...format.usageChunk(meta, reply.usage), x_colm: reply.xColm });
    } else {
      events.send({ ...closing, x_colm: reply.xColm });
    }
    events.done();
  } catch (error) {
    if (!events.started) throw error; // still a plain HTTP error with its status
    events.fail(toOpenAiError(error).body);
  }
}
