// The user's chain-policy rules, kept across restarts in the data folder (policy-rules.json,
// written atomically). A file that no longer passes parseRules (edited by hand, or from another
// version) is set aside with a warning, never a reason not to start.
import { readFile } from 'node:fs/promises';

import { writeFileAtomic } from '../common/atomic-write.js';
import { parseRules, type Rules } from '../policy/rules.js';

export interface LoadedRules {
  rules: Rules | null; // null: no file, or one that does not hold valid rules
  warning: string | null;
}

export async function loadRulesFile(path: string): Promise<LoadedRules> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { rules: null, warning: null };
    return { rules: null, warning: `${path}: cannot be read (${(error as Error).message}); using the default rules` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { rules: null, warning: `${path}: not JSON; using the default rules` };
  }
  const result = parseRules(json);
  if (!result.ok) return { rules: null, warning: `${path}: ${result.errors.join('; ')}; using the default rules` };
  return { rules: result.rules, warning: null };
}

export async function saveRulesFile(path: string, rules: Rules): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(rules, null, 2) + '\n', 0o600);
}
