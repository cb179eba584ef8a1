// One generation as the parent sees it: an async iterator of token batches, and `result`, the
// summary once it ends. The host process pushes into it; a consumer that reads slowly only makes
// the queue longer, it never blocks the host.
import type { GenerationSummary, TokenBatch } from './protocol.js';

export class GenerationStream implements AsyncIterable<TokenBatch> {
  readonly result: Promise<GenerationSummary>;
  private queue: TokenBatch[] = [];
  private wake: (() => void) | null = null;
  private ended = false;
  private failure: Error | null = null;
  private settle!: { resolve: (s: GenerationSummary) => void; reject: (e: Error) => void };

  constructor(
    readonly requestId: string,
    private readonly requestStop: (requestId: string) => Promise<void>,
  ) {
    this.result = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // A caller that only iterates must not see an unhandled rejection; awaiting `result` still throws.
    this.result.catch(() => undefined);
  }

  /** Asks the host to stop; the stream then ends with finishReason 'abort'. */
  stop(): Promise<void> {
    return this.ended ? Promise.resolve() : this.requestStop(this.requestId);
  }

  get isEnded(): boolean {
    return this.ended;
  }

  push(batch: TokenBatch): void {
    if (this.ended) return;
    this.queue.push(batch);
    this.notify();
  }

  finish(summary: GenerationSummary): void {
    if (this.ended) return;
    this.ended = true;
    this.settle.resolve(summary);
    this.notify();
  }

  fail(error: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    this.settle.reject(error);
    this.notify();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TokenBatch> {
    for (;;) {
      const batch = this.queue.shift();
      if (batch) {
        yield batch;
        continue;
      }
      if (this.ended) {
        if (this.failure) throw this.failure;
        return;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
