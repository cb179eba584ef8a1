// The opt-in BF16 precision mode (kernel variant "avx512-bf16": decode activations rounded to
// BF16 for the AVX512-BF16 dot product) against the float64 reference, beside float32 decode.
// The variant is process-wide, and vitest runs each test file in its own process.
import { afterAll, expect, test } from 'vitest';

import { loadModel } from '../../app/engine/model.js';
import { loadAddon } from '../../app/engine/native.js';
import { loadGoldens } from '../helpers/golden.js';

const addon = loadAddon();
const bf16Fixtures = loadGoldens().filter((g) => g.name.includes('bf16'));
const errors: Record<string, string> = {};

async function worstDecodeError(kernels: string): Promise<number> {
  addon.setKernels(kernels);
  let worst = 0;
  for (const g of bf16Fixtures) {
    const model = await loadModel(g.model);
    for (let k = 1; k <= g.chains; k++) {
      const s = model.createSession({ kvType: 'f32', contextSize: 32 });
      for (let p = 0; p < g.tokens.length; p++) {
        const logits = (await s.evaluate([g.tokens[p]!], { chains: k }))!;
        const ref = g.logits[k]![p]!;
        const range = Math.max(...ref) - Math.min(...ref);
        for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(logits[i]! - ref[i]!) / range);
      }
      s.dispose();
    }
    model.dispose();
  }
  return worst;
}

afterAll(() => console.log('largest |error| / logit range, BF16 fixtures, decode:', errors));

test('BF16 activations cost a bounded, measurable error; float32 decode stays exact', async () => {
  const info = addon.systemInfo();
  const float32 = await worstDecodeError(info.kernels!);
  errors[info.kernels!] = float32.toExponential(2);
  expect(float32).toBeLessThan(1e-5);
  if (!(info.kernelsOptIn ?? []).includes('avx512-bf16')) {
    // Without AVX512-BF16 the mode is refused clearly rather than emulated.
    expect(() => addon.setKernels('avx512-bf16')).toThrow(/not available on this CPU/);
    return;
  }
  const bf16 = await worstDecodeError('avx512-bf16');
  errors['avx512-bf16'] = bf16.toExponential(2);
  expect(bf16).toBeGreaterThan(float32);
  expect(bf16).toBeLessThan(2e-2);
});
