// The user's chain-policy rules survive a restart; a broken file falls back to the defaults with
// a warning that names it, and saving happens only for rules that pass parseRules.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';

import { PolicyDriver } from '../../../app/host/policy-driver.js';
import { loadRulesFile, saveRulesFile } from '../../../app/library/policy-rules-file.js';
import { ProbeSet } from '../../../app/policy/probe-set.js';
import { EngineLoadMeter } from '../../../app/policy/probes/engine-load.js';
import { DEFAULT_RULES, type Rules } from '../../../app/policy/rules.js';

const dir = mkdtempSync(join(tmpdir(), 'colm-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('no file: no rules and no warning', async () => {
  expect(await loadRulesFile(join(dir, 'none.json'))).toEqual({ rules: null, warning: null });
});

test('saved rules load back equal', async () => {
  const path = join(dir, 'rules.json');
  const rules: Rules = structuredClone(DEFAULT_RULES);
  rules.dwellMs = 3000;
  await saveRulesFile(path, rules);
  expect((await loadRulesFile(path)).rules).toEqual(rules);
});

test('a file that is not JSON, or holds invalid rules, gives the defaults and a warning naming it', async () => {
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{ not json');
  const a = await loadRulesFile(broken);
  expect(a.rules).toBeNull();
  expect(a.warning).toMatch(/broken\.json: not JSON; using the default rules/);
  const invalid = join(dir, 'invalid.json');
  writeFileSync(invalid, JSON.stringify({ ...DEFAULT_RULES, dwellMs: -5 }));
  const b = await loadRulesFile(invalid);
  expect(b.rules).toBeNull();
  expect(b.warning).toMatch(/invalid\.json: .*dwellMs/);
});

test('the driver saves rules the user sets, and only valid ones', () => {
  const saved: Rules[] = [];
  const host = { on: () => () => undefined, currentModel: null, setAutoChains: () => undefined };
  const driver = new PolicyDriver(host as never, { source: new ProbeSet([]), engineLoad: new EngineLoadMeter(), saveRules: (r) => saved.push(r) });
  expect(driver.setRules({ ...DEFAULT_RULES, dwellMs: 2000 }).ok).toBe(true);
  expect(driver.setRules({ ...DEFAULT_RULES, dwellMs: 'soon' }).ok).toBe(false);
  expect(saved.map((r) => r.dwellMs)).toEqual([2000]);
});
