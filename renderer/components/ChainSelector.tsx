// The chain count: a slider over 1..n and "Auto", with what each chain count is: its width,
// its parameters, and its cost relative to the full model (the linear layers dominate decoding,
// so parameters are a fair guide to speed). Auto hands the count to the chain policy (battery,
// heat, GPU load), whose choice the slider then shows and whose reason the badge gives; moving
// the slider pins a count. Either way the window's setting is kept per model, and the policy told.
import type { ModelInfo } from '../bridge/types.js';
import { usePolicy, useSettings, useStores } from '../state/store-context.js';
import { chainColor } from './chain-colors.js';
import { formatCount } from './format.js';
import { PolicyBadge } from './PolicyBadge.js';

export function ChainSelector({ model }: { model: ModelInfo }) {
  const { settings, policy } = useStores();
  const chains = useSettings((s) => s.generation.chains);
  const policyChains = usePolicy((s) => s.view?.chains ?? null);
  const n = model.chainCount;
  const auto = chains === 'auto';
  const k = auto ? Math.min(n, policyChains ?? n) : chains;
  const full = model.subModels[n - 1]?.parameters ?? 1;
  const pin = (count: number) => {
    settings.getState().update({ chains: count });
    void policy.getState().setManual(count);
  };
  const setAuto = (on: boolean) => {
    // Off keeps the count the policy runs now, pinned: turning Auto off changes nothing at once.
    if (on) settings.getState().update({ chains: 'auto' });
    else settings.getState().update({ chains: k });
    void policy.getState().setAuto(on);
  };

  return (
    <fieldset className="chain-selector">
      <legend>Chains</legend>
      <div className="chain-controls">
        <input
          type="range"
          aria-label="Chain count"
          min={1}
          max={n}
          step={1}
          value={k}
          disabled={auto}
          onChange={(e) => pin(Number(e.target.value))}
        />
        <output aria-label="Selected chain count">{auto ? `Auto (${k} of ${n})` : `${k} of ${n}`}</output>
        <label className="checkbox">
          <input type="checkbox" aria-label="Auto chain count" checked={auto} onChange={(e) => setAuto(e.target.checked)} />
          Auto
        </label>
      </div>
      {auto && <PolicyBadge />}
      <table className="sub-models" aria-label="Sub-models">
        <thead>
          <tr>
            <th scope="col">k</th>
            <th scope="col">width</th>
            <th scope="col">params</th>
            <th scope="col">cost</th>
          </tr>
        </thead>
        <tbody>
          {model.subModels.map((s) => (
            <tr key={s.chains} className={s.chains === k ? 'selected' : undefined} aria-selected={s.chains === k}>
              <td>
                <span className="chain-dot" style={{ background: chainColor(s.chains, n) }} />
                {s.chains}
              </td>
              <td>{s.width}</td>
              <td>{formatCount(s.parameters)}</td>
              <td>
                <span className="cost-bar" style={{ width: `${Math.max(2, (36 * s.parameters) / full)}px` }} />
                {Math.round((100 * s.parameters) / full)}%
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </fieldset>
  );
}
