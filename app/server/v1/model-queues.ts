// One GenerationQueue per model name, made on first use. A queue that is idle and not for the
// model asked about is dropped, so loading many models one after another keeps no leftovers.
import { DEFAULT_QUEUE_LIMITS, GenerationQueue, type QueueLimits, type QueueSnapshot } from './generation-queue.js';

export class ModelQueues {
  private readonly queues = new Map<string, GenerationQueue>();

  constructor(readonly limits: Readonly<QueueLimits> = DEFAULT_QUEUE_LIMITS) {}

  for(model: string): GenerationQueue {
    for (const [name, queue] of this.queues) if (name !== model && queue.idle) this.queues.delete(name);
    let queue = this.queues.get(model);
    if (!queue) {
      queue = new GenerationQueue(model, this.limits);
      this.queues.set(model, queue);
    }
    return queue;
  }

  /** What /health shows: the model's queue, empty if it has none yet. */
  snapshot(model: string | null): QueueSnapshot {
    const queue = model === null ? undefined : this.queues.get(model);
    return queue?.snapshot() ?? { running: 0, waiting: 0, max_running: this.limits.running, max_waiting: this.limits.waiting };
  }
}
