// Loading models and the model library. POST /api/models/load { path, options? } loads a
// checkpoint on this machine; POST /api/models/upload?upload=ID&path=REL[&last=1][&contextSize=N]
// [&threads=N] receives a dropped file's bytes, and the last file of an upload also loads it. Both
// loads answer with an SSE stream of LoadEvents. GET /api/models/library lists the models loaded
// before; DELETE /api/models/library/:id forgets one (and deletes our copy of a dropped one).
import { basename, isAbsolute, relative, sep } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { LoadEvent } from '../api-types.js';
import type { AppController, ModelLoadOptions } from '../../host/app-controller.js';
import { realPathOf } from '../../library/model-library.js';
import { errorInfo } from '../error-info.js';
import { HttpError, readJson, requireContentType, sendJson } from '../http-io.js';
import type { Route } from '../router.js';
import { SseStream } from '../sse.js';
import { safeRelativePath } from '../upload-store.js';
import { expectId, expectObject, expectPath, expectString, parseLoadOptions } from '../validate.js';
import type { ApiDeps } from './deps.js';

interface LoadOptions {
  session?: ModelLoadOptions;
  onFailure?: () => Promise<void>; // runs before the stream ends
  /** A folder the user never chose (the upload area): left out of error messages. */
  hideFolder?: string;
}

/** Loads `path` while streaming progress as LoadEvents. */
async function streamLoad(req: IncomingMessage, res: ServerResponse, controller: AppController, path: string, name: string, options: LoadOptions = {}): Promise<void> {
  const sse = new SseStream<LoadEvent>(req, res);
  try {
    const model = await controller.load(path, name, (progress) => sse.send({ type: 'progress', progress }), options.session);
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

/** contextSize and threads from an upload's query string (numbers arrive as text there). */
function queryLoadOptions(url: URL): ModelLoadOptions {
  const number = (name: string) => {
    const text = url.searchParams.get(name);
    return text === null || text === '' ? undefined : Number(text);
  };
  const text = (name: string) => {
    const value = url.searchParams.get(name);
    return value === '' ? undefined : value;
  };
  return parseLoadOptions({ contextSize: number('contextSize'), threads: number('threads'), kvType: text('kvType'), device: text('device') });
}

/** `path` relative to `folder` (either side may be reached through symlinks), or null when outside it. */
async function pathInside(folder: string, path: string): Promise<string | null> {
  for (const base of new Set([folder, await realPathOf(folder)])) {
    for (const target of new Set([path, await realPathOf(path)])) {
      const inside = relative(base, target);
      if (inside !== '' && !inside.startsWith('..') && !isAbsolute(inside)) return inside;
    }
  }
  return null;
}

export function modelRoutes({ controller, uploads, library }: ApiDeps): Route[] {
  return [
    {
      method: 'POST',
      path: '/api/models/load',
      handler: async ({ req, res }) => {
        const body = expectObject(await readJson(req), 'the request body');
        const path = expectPath(body.path, 'path');
        const session = parseLoadOptions(body.options);
        await streamLoad(req, res, controller, path, basename(path), { session });
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
        const session = queryLoadOptions(url);
        const bytes = await uploads.receive(uploadId, relativePath, req);
        if (url.searchParams.get('last') !== '1') {
          sendJson(res, 200, { received: bytes });
          return;
        }
        // The same checkpoint uploaded before: keep one copy, so the library keeps one entry.
        const twin = await uploads.sameUpload(uploadId);
        const kept = twin ?? uploadId;
        if (twin !== null) await uploads.remove(uploadId);
        await streamLoad(req, res, controller, await uploads.checkpointPath(kept), name, {
          session,
          // A file that does not load is of no use to keep (an earlier twin is left alone).
          onFailure: () => (twin === null ? uploads.remove(uploadId) : Promise.resolve()),
          hideFolder: uploads.folderOf(kept),
        });
      },
    },
    { method: 'GET', path: '/api/models/library', handler: async ({ res }) => sendJson(res, 200, await library.list()) },
    {
      method: 'DELETE',
      path: '/api/models/library/:id',
      handler: async ({ res, params }) => {
        const id = expectId(params.id, 'the library id');
        const removed = await library.remove(id);
        if (!removed) throw new HttpError(404, `no model "${id}" in the library`, 'NotFound');
        // A dropped checkpoint was copied into the upload area by us: forgetting it frees the copy,
        // unless it is the model in use right now.
        // Entries hold real paths; the upload folder may sit behind a symlink (macOS /tmp).
        const inUploads = await pathInside(uploads.folder, removed.path);
        const uploadId = inUploads?.split(sep)[0];
        const current = controller.host.currentModel?.path;
        const inUse = current !== undefined && (await realPathOf(current)) === (await realPathOf(removed.path));
        if (uploadId && !inUse) await uploads.remove(expectId(uploadId, 'the upload id'));
        sendJson(res, 200, { removed: id });
      },
    },
  ];
}
