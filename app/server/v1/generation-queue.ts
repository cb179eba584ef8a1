// Admission for one model's generations. The engine host runs one generation at a time (a newer
// one would stop the older), so requests wait here in arrival order, up to a limit; past it they
// are refused at once with a 429, which tells a client to back off instead of piling up.
// A request whose client leaves while waiting gives its place up.
import { OpenAiError } from './openai-error.js';

export interface QueueLimits {
  running: number; // generations at once (the engine host: 1)
  waiting: number; // requests that may wait behind them
}

export const DEFAULT_QUEUE_LIMITS: Readonly<QueueLimits> = { running: 1, waiting: 16 };

export interface QueueSnapshot {
  running: number;
  waiting: number;
  max_running: number;
  max_waiting: number;
}

interface Waiter {
  grant(): void;
}

export class GenerationQueue {
  private active = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    private readonly label: string, // named in the 429's message
    readonly limits: Readonly<QueueLimits> = DEFAULT_QUEUE_LIMITS,
  ) {}

  get running(): number {
    return this.active;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  get idle(): boolean {
    return this.active === 0 && this.waiters.length === 0;
  }

  snapshot(): QueueSnapshot {
    return { running: this.active, waiting: this.waiters.length, max_running: this.limits.running, max_waiting: this.limits.waiting };
  }

  /**
   * Resolves with a release function once the request may run; call it exactly when its
   * generation has ended. Throws a 429 OpenAiError when the queue is full, and an AbortError
   * when `signal` aborts while waiting.
   */
  acquire(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(abortError());
    if (this.active < this.limits.running) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiters.length >= this.limits.waiting) return Promise.reject(this.fullError());
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const at = this.waiters.indexOf(waiter);
        if (at !== -1) this.waiters.splice(at, 1);
        reject(abortError());
      };
      const waiter: Waiter = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
      };
      this.waiters.push(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.admitNext();
    };
  }

  private admitNext(): void {
    while (this.active < this.limits.running && this.waiters.length > 0) {
      this.active++;
      this.waiters.shift()!.grant();
    }
  }

  private fullError(): OpenAiError {
    const message =
      `the queue for ${this.label} is full (${this.active} running, ${this.waiters.length} waiting, ` +
      `at most ${this.limits.waiting} may wait): try again shortly`;
    return new OpenAiError(429, message, 'rate_limit_error', null, 'queue_full', { 'retry-after': '1' });
  }
}

function abortError(): Error {
  const error = new Error('the client went away while waiting');
  error.name = 'AbortError';
  return error;
}
