// Server-Sent Events over a plain response: each event is one JSON object on a `data:` line.
// A comment line every few seconds keeps idle connections from being closed by proxies.
import type { IncomingMessage, ServerResponse } from 'node:http';

export class SseStream<E> {
  private closed = false;
  private readonly keepAlive: NodeJS.Timeout;
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    this.keepAlive = setInterval(() => this.res.write(': keep-alive\n\n'), 15_000);
    const onClose = () => this.markClosed();
    res.on('close', onClose);
    req.on('aborted', onClose);
  }

  /** True once the client went away or end() was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Called once if the client disconnects before end(). */
  onClientGone(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  send(event: E): void {
    if (this.closed) return;
    this.res.write(`data: ${JSON.stringify(event)}\n\n`);
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    this.res.end();
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    for (const listener of this.closeListeners) listener();
  }
}
