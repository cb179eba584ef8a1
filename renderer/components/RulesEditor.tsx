// The chain policy's rules, editable: what battery, GPU load and heat do to the chain count, and
// how long a count holds before the next automatic change. Saving sends them to the policy, which
// checks them (parseRules) and answers every problem, shown here as the policy words it.
import { useEffect, useState, type FormEvent } from 'react';

import type { Rules } from '../bridge/types.js';
import { usePolicy, useStores } from '../state/store-context.js';
import { NumberField } from './NumberField.js';
import { formFromRules, rulesFromForm, type RulesForm } from './rules-form.js';

function Check({ label, checked, onChange }: { label: string; checked: boolean; onChange(v: boolean): void }) {
  return (
    <label className="checkbox">
      <input type="checkbox" aria-label={label} checked={checked} onChange={(e) => onChange(e.target.checked)} />
      {label}
    </label>
  );
}

export function RulesEditor({ rules, chainCount }: { rules: Rules; chainCount: number }) {
  const { policy } = useStores();
  const errors = usePolicy((s) => s.ruleErrors);
  const saved = usePolicy((s) => s.rulesSaved);
  // Every state push brings a fresh copy of the rules: only a real change may replace the edits.
  const rulesKey = JSON.stringify(rules);
  const [form, setForm] = useState<RulesForm>(() => formFromRules(rules));
  useEffect(() => setForm(formFromRules(JSON.parse(rulesKey) as Rules)), [rulesKey]);
  const edit = (patch: Partial<RulesForm>) => {
    setForm((f) => ({ ...f, ...patch }));
    policy.getState().editingRules();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void policy.getState().saveRules(rulesFromForm(form, rules));
  };
  const maxChains = Math.max(1, chainCount);

  return (
    <details className="rules-editor">
      <summary>Auto rules</summary>
      <form aria-label="Chain policy rules" onSubmit={submit}>
        <Check label="Fewer chains on battery" checked={form.onBatteryEnabled} onChange={(v) => edit({ onBatteryEnabled: v })} />
        <NumberField label="Chains fewer on battery" value={form.onBatteryFewer} min={0} max={64} step={1} integer onChange={(v) => edit({ onBatteryFewer: v ?? 0 })} />
        <Check label="Low battery rule" checked={form.lowBatteryEnabled} onChange={(v) => edit({ lowBatteryEnabled: v })} />
        <NumberField label="Low battery below (%)" value={form.lowBatteryBelow} min={0} max={100} step={1} onChange={(v) => edit({ lowBatteryBelow: v ?? 0 })} />
        <NumberField label="Low battery ends above (%)" value={form.lowBatteryAbove} min={0} max={100} step={1} onChange={(v) => edit({ lowBatteryAbove: v ?? 0 })} />
        <NumberField label="Chains on low battery" value={form.lowBatteryChains} min={1} max={maxChains} step={1} integer onChange={(v) => edit({ lowBatteryChains: v ?? 1 })} />
        <Check label="Make room when other programs use the GPU" checked={form.gpuEnabled} onChange={(v) => edit({ gpuEnabled: v })} />
        <NumberField label="GPU busy above (%)" value={form.gpuAbove} min={0} max={100} step={1} onChange={(v) => edit({ gpuAbove: v ?? 0 })} hint="use by other programs" />
        <NumberField label="GPU free again below (%)" value={form.gpuBelow} min={0} max={100} step={1} onChange={(v) => edit({ gpuBelow: v ?? 0 })} />
        <NumberField label="GPU memory low below (% free)" value={form.gpuFreeBelow} min={0} max={100} step={1} onChange={(v) => edit({ gpuFreeBelow: v ?? 0 })} hint="the GPU the model runs on; 0: off" />
        <NumberField label="GPU memory fine again above (% free)" value={form.gpuFreeAbove} min={0} max={100} step={1} onChange={(v) => edit({ gpuFreeAbove: v ?? 0 })} />
        <Check label="One chain when the system runs hot" checked={form.thermalEnabled} onChange={(v) => edit({ thermalEnabled: v })} />
        <label className="field">
          <span className="field-label">Hot means</span>
          <select aria-label="Thermal state that counts as hot" value={form.thermalAt} onChange={(e) => edit({ thermalAt: e.target.value as RulesForm['thermalAt'] })}>
            <option value="serious">serious or worse</option>
            <option value="critical">critical only</option>
          </select>
        </label>
        <NumberField label="Seconds between automatic changes" value={form.dwellSeconds} min={0} max={600} step={1} onChange={(v) => edit({ dwellSeconds: v ?? 0 })} />
        {errors.length > 0 && (
          <ul className="rule-errors" role="alert" aria-label="Rule problems">
            {errors.map((error) => (
              <li key={error}>{error}</li>
            ))}
          </ul>
        )}
        {saved && (
          <p className="field-hint" role="status" aria-label="Rules saved">
            Saved: the policy uses these rules now.
          </p>
        )}
        <div className="rules-buttons">
          <button type="submit" className="small-button" aria-label="Save rules">
            Save rules
          </button>
          <button type="button" className="small-button" aria-label="Restore default rules" onClick={() => void policy.getState().saveRules({})}>
            Defaults
          </button>
        </div>
      </form>
    </details>
  );
}
