// `colm serve --simulate-power FILE`: a file that cannot be replayed stops the command before
// anything starts, with exit status 1 and one line naming the file, the entry and the rule.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, test, vi } from 'vitest';

import { main } from '../../../app/cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'colm-simulate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function serve(file: string): Promise<{ code: number; stderr: string; stdout: string }> {
  let stderr = '';
  let stdout = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const code = await main(['serve', '--simulate-power', file, '--port', '0', '--data-dir', join(dir, 'data')]);
  return { code, stderr, stdout };
}

test.each([
  ['a share written as a percentage', '{"timeline": [{"at": 0, "power": "ac"}, {"at": 5, "battery": 28}]}', /bad\.json: timeline\[1\]\.battery must be a number from 0 to 1 \(a share: 28% is 0\.28\), or null for unavailable; got 28/],
  ['times that go backwards', '{"timeline": [{"at": 5, "power": "ac"}, {"at": 2, "power": "battery"}]}', /timeline\[1\]\.at must be later than timeline\[0\]\.at \(5\); got 2/],
  ['a file that is not JSON', '{"timeline": [', /bad\.json: not valid JSON/],
  ['an unknown signal', '{"timeline": [{"at": 0, "batery": 0.5}]}', /timeline\[0\]\.batery is not a signal/],
])('%s: exit 1, the rule named, nothing served', async (_what, text, message) => {
  const file = join(dir, 'bad.json');
  writeFileSync(file, text);
  const { code, stderr, stdout } = await serve(file);
  expect(code).toBe(1);
  expect(stderr).toMatch(new RegExp(`^colm: .*${message.source}`));
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stdout).not.toMatch(/running at/);
});

test('a missing file: exit 1, "cannot read"', async () => {
  const { code, stderr } = await serve(join(dir, 'nowhere.json'));
  expect(code).toBe(1);
  expect(stderr).toMatch(/nowhere\.json: cannot read/);
});
