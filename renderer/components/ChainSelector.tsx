// The chain count: a slider over 1..n and "Auto", with what each chain count is: its width,
// its parameters, and its cost relative to the full model (the linear layers dominate decoding,
// so parameters are a fair guide to speed).
import type { ModelInfo } from '../bridge/types.js';
import { useSettings, useStores } from '../state/store-context.js';
import { chainColor } from './chain-colors.js';
import { formatCount } from './format.js';

export function ChainSelector({ model }: { model: ModelInfo }) {
  const { settings } = useStores();
  const chains = useSettings((s) => s.generation.chains);
  const n = model.chainCount;
  const auto = chains === 'auto';
  const k = auto ? n : chains;
  const full = model.subModels[n - 1]?.parameters ?? 1;

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
          onChange={(e) => settings.getState().update({ chains: Number(e.target.value) })}
        />
        <output aria-label="Selected chain count">{auto ? `Auto (${n})` : `${k} of ${n}`}</output>
        <label className="checkbox">
          <input type="checkbox" aria-label="Auto chain count" checked={auto} onChange={(e) => settings.getState().update({ chains: e.target.checked ? 'auto' : n })} />
          Auto
        </label>
      </div>
      {auto && <p className="field-hint">Auto follows the chain policy; for now it runs every chain.</p>}
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
