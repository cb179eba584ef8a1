// A binary max-heap of candidate merges. Counts change after every merge; instead of finding and
// moving the old entry, a new one is pushed and the old one is dropped when it comes to the top
// and no longer matches the live count ("lazy deletion"), which keeps every update O(log n).

export interface PairEntry {
  pair: number; // the pair's key, see pairKey() in bpe-trainer.ts
  count: number; // the pair's count when the entry was pushed
}

export class PairQueue {
  private readonly heap: PairEntry[] = [];

  /** isBefore(a, b): a should come out before b. */
  constructor(private readonly isBefore: (a: PairEntry, b: PairEntry) => boolean) {}

  get size(): number {
    return this.heap.length;
  }

  push(entry: PairEntry): void {
    const heap = this.heap;
    heap.push(entry);
    let child = heap.length - 1;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.isBefore(heap[child]!, heap[parent]!)) break;
      [heap[child], heap[parent]] = [heap[parent]!, heap[child]!];
      child = parent;
    }
  }

  pop(): PairEntry | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    heap[0] = last;
    let parent = 0;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let first = parent;
      if (left < heap.length && this.isBefore(heap[left]!, heap[first]!)) first = left;
      if (right < heap.length && this.isBefore(heap[right]!, heap[first]!)) first = right;
      if (first === parent) break;
      [heap[first], heap[parent]] = [heap[parent]!, heap[first]!];
      parent = first;
    }
    return top;
  }
}
