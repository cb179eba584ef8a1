import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PairQueue, type PairEntry } from '../../../../app/trainer/tokenizer/pair-queue.js';

describe('PairQueue', () => {
  it('pops in the order isBefore gives, whatever the push order', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ pair: fc.nat(50), count: fc.nat(20) }), { maxLength: 200 }), (entries) => {
        const isBefore = (a: PairEntry, b: PairEntry) => (a.count !== b.count ? a.count > b.count : a.pair < b.pair);
        const queue = new PairQueue(isBefore);
        for (const entry of entries) queue.push(entry);
        expect(queue.size).toBe(entries.length);
        const popped: PairEntry[] = [];
        for (let entry = queue.pop(); entry !== undefined; entry = queue.pop()) popped.push(entry);
        expect(popped).toEqual([...entries].sort((a, b) => (isBefore(a, b) ? -1 : isBefore(b, a) ? 1 : 0)));
      }),
    );
  });
});
