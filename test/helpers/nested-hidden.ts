// The engine's nesting invariant, shared by the tests of every weight format: decoding the same
// tokens, every hidden state of sub-model k is the first cumHidden[k] values of the full model's,
// bit for bit, at every layer boundary.
import { expect } from 'vitest';

import type { Model } from '../../app/engine/model.js';
import type { SessionOptions } from '../../app/engine/session.js';

export async function expectNestedHiddenStates(model: Model, tokens: readonly number[], options: SessionOptions = {}): Promise<void> {
  const D = model.config.hiddenSize;
  const L = model.config.numHiddenLayers;
  const n = model.widths.cumHidden.length - 1;
  const open = () => model.createSession({ ...options, contextSize: 64, captureHidden: true });
  const full = open();
  const subs = Array.from({ length: n - 1 }, open);
  try {
    for (const token of tokens) {
      await full.evaluate([token], { chains: n });
      const reference = full.lastHidden();
      for (let k = 1; k < n; k++) {
        await subs[k - 1]!.evaluate([token], { chains: k });
        const h = subs[k - 1]!.lastHidden();
        const dk = model.widths.cumHidden[k]!;
        for (let row = 0; row <= L; row++) {
          expect(Array.from(h.data.subarray(row * D, row * D + dk)), `k=${k} row ${row}`).toEqual(Array.from(reference.data.subarray(row * D, row * D + dk)));
        }
      }
    }
  } finally {
    full.dispose();
    subs.forEach((s) => s.dispose());
  }
}
