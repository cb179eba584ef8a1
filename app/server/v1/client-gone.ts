// An AbortSignal that fires when the client closes its connection before the response is
// complete: it takes the request out of the queue, or stops its generation.
import type { ServerResponse } from 'node:http';

export function clientGoneSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  const check = () => {
    if (!res.writableFinished) controller.abort();
  };
  if (res.destroyed) check();
  else res.once('close', check);
  return controller.signal;
}
