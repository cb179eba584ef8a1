// The chain policy in the settings: the chart of the last minutes and the rules editor. Shown
// once the server has a policy to show (every face has one; an old server may not).
import { usePolicy } from '../state/store-context.js';
import { PolicyChart } from './PolicyChart.js';
import { RulesEditor } from './RulesEditor.js';

export function PolicyPanel() {
  const view = usePolicy((s) => s.view);
  const error = usePolicy((s) => s.error);
  if (!view) return null;
  return (
    <fieldset className="policy-panel">
      <legend>Chain policy</legend>
      <PolicyChart points={view.history} chainCount={view.chainCount} />
      {error && (
        <p className="field-hint policy-error" role="alert">
          {error}
        </p>
      )}
      <RulesEditor rules={view.rules} chainCount={view.chainCount} />
    </fieldset>
  );
}
