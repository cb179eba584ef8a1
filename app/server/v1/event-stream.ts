// OpenAI's streaming wire format: Server-Sent Events, each `data: {json}`, ended by `data: [DONE]`
// (or, after a failure, by a `data: {"error": ...}` event, which OpenAI clients throw). The
// headers go out with the first event, so that anything failing before it is still a plain
// HTTP error with its status. Writes after the client left are dropped.
import type { ServerResponse } from 'node:http';

const KEEP_ALIVE_MS = 15_000;

export class EventStream {
  private keepAlive: NodeJS.Timeout | null = null;

  constructor(private readonly res: ServerResponse) {}

  get started(): boolean {
    return this.res.headersSent;
  }

  send(value: object): void {
    this.write(`data: ${JSON.stringify(value)}\n\n`);
  }

  /** The normal end. */
  done(): void {
    this.write('data: [DONE]\n\n');
    this.end();
  }

  /** The end after a failure mid-stream. */
  fail(errorBody: object): void {
    this.send(errorBody);
    this.end();
  }

  private write(text: string): void {
    if (this.res.destroyed || this.res.writableEnded) return;
    if (!this.started) this.open();
    this.res.write(text);
  }

  private open(): void {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // A comment line now and then keeps idle proxies from closing a slow stream.
    this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    this.res.once('close', () => this.stopKeepAlive());
  }

  private end(): void {
    this.stopKeepAlive();
    if (!this.res.writableEnded) this.res.end();
  }

  private stopKeepAlive(): void {
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = null;
  }
}
