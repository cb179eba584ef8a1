// Loading models. POST /api/models/load { path } loads a checkpoint on this machine; POST
// /api/models/upload?upload=ID&path=REL[&last=1] receives a dropped file's bytes, and the last
// file of an upload also loads it. Both loads answer with an SSE stream of LoadEvents.
import { basename, sep } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { LoadEvent } from '../api-types.js';
import type { AppController } from '../app-controller.js';
import { errorInfo } from '../error-info.js';
import { HttpError, readJson, requireContentType, sendJson } from '../http-io.js';
import type { Route } from '../router.js';
import { SseStream } from '../sse.js';
import { safeRelativePath } from '../upload-store.js';
import { expectId, expectObject, expectString } from '../validate.js';
import type { ApiDeps } from './deps.js';

interface LoadOptions {
  onFailure?: () => Promise<void>; // runs before the stream ends
  /** A folder the user never chose (the upload area): left out of error messages. */
  hideFolder?: string;
}

/** Loads `path` while streaming progress as LoadEvents. */
async function streamLoad(req: IncomingMessage, res: ServerResponse, controller: AppController, path: string, name: string, options: LoadOptions = {}): Promise<void> {
  const sse = new SseStream<LoadEvent>(req, res);
  try {
    const model = await controller.load(path, name, (progress) => sse.send({ type: 'progress', progress }));
    sse.send({ type: 'loaded', model });
  } catch (error) {
    await options.onFailure?.();
    const info = errorInfo(error);
    if (options.hideFolder) info.message = info.message.split(options.hideFolder + sep).join('');
    sse.send({ type: 'error', error: info });
  } finally {
    sse.end();
  }
}

export function modelRoutes({ controller, uploads }: ApiDeps): Route[] {
  return [
    {
      method: 'POST',
      path: '/api/models/load',
      handler: async ({ req, res }) => {
        const body = expectObject(await readJson(req), 'the request body');
        const path = expectString(body.path, 'path', 4096).trim();
        if (!path) throw new HttpError(400, 'path must not be empty');
        await streamLoad(req, res, controller, path, basename(path));
      },
    },
    {
      method: 'POST',
      path: '/api/models/upload',
      handler: async ({ req, res, url }) => {
        requireContentType(req, 'application/octet-stream');
        const uploadId = expectId(url.searchParams.get('upload') ?? undefined, 'the upload query parameter');
        const relativePath = expectString(url.searchParams.get('path') ?? undefined, 'the path query parameter', 4096);
        const name = safeRelativePath(relativePath)[0]!;
        const bytes = await uploads.receive(uploadId, relativePath, req);
        if (url.searchParams.get('last') !== '1') {
          sendJson(res, 200, { received: bytes });
          return;
        }
        await streamLoad(req, res, controller, await uploads.checkpointPath(uploadId), name, {
          onFailure: () => uploads.remove(uploadId), // a file that does not load is of no use to keep
          hideFolder: uploads.folderOf(uploadId),
        });
      },
    },
  ];
}
