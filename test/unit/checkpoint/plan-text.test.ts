// The plan texts the GPU check reads (test/fixtures/cuda/*.plan, one per golden fixture) are the
// checkpoint reader's LoadPlans of the golden models: this test fails when they drift.
// Regenerate with COLM_WRITE_CUDA_FIXTURES=1 npx vitest run test/unit/checkpoint/plan-text.test.ts
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

import { readCheckpoint } from '../../../app/checkpoint/index.js';
import { planToText } from '../../../app/checkpoint/plan-text.js';
import { loadGoldens } from '../../helpers/golden.js';

const root = resolve('.');
const write = process.env.COLM_WRITE_CUDA_FIXTURES === '1';

describe('GPU check plan texts', () => {
  for (const g of loadGoldens()) {
    test(`${g.name}.plan matches the checkpoint reader`, async () => {
      const plan = await readCheckpoint(g.model);
      const text = planToText(plan, root, g.tokens);
      const path = resolve('test/fixtures/cuda', `${g.name}.plan`);
      if (write) writeFileSync(path, text);
      expect(existsSync(path), `${path} is missing: run with COLM_WRITE_CUDA_FIXTURES=1`).toBe(true);
      expect(readFileSync(path, 'utf8')).toBe(text);
      expect(text).toMatch(/^colm-plan 1\n/);
      expect(text).toContain(`tokens ${g.tokens.join(' ')}\n`);
    });
  }
});
