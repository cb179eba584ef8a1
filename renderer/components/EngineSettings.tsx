// How the engine runs the model: its context size and worker threads. Both size the session the
// model is loaded with, so a change takes effect when the model is loaded again; "Apply" does that
// (the weights are memory-mapped, so a reload is quick).
import type { ModelInfo } from '../bridge/types.js';
import { useModel, useSettings, useStores } from '../state/store-context.js';
import { NumberField } from './NumberField.js';

export function EngineSettings({ model }: { model: ModelInfo | null }) {
  const { settings, model: modelStore } = useStores();
  const session = useSettings((s) => s.session);
  const loading = useModel((s) => s.loading !== null);
  const update = settings.getState().updateSession;
  const differs = model !== null && ((session.contextSize !== null && session.contextSize !== model.contextSize) || (session.threads !== null && session.threads !== model.threads));

  return (
    <fieldset className="engine-settings">
      <legend>Engine</legend>
      <NumberField
        label="Context size"
        value={session.contextSize}
        min={16}
        max={1048576}
        step={256}
        integer
        allowEmpty
        placeholder="model default"
        onChange={(v) => update({ contextSize: v })}
        hint={model ? `now ${model.contextSize} tokens` : 'tokens the model can see'}
      />
      <NumberField
        label="Threads"
        value={session.threads}
        min={1}
        max={1024}
        step={1}
        integer
        allowEmpty
        placeholder="auto"
        onChange={(v) => update({ threads: v })}
        hint={model ? `now ${model.threads}` : 'empty: one per core'}
      />
      <button
        type="button"
        className="small-button"
        aria-label="Apply engine settings"
        disabled={!differs || loading}
        onClick={() => void modelStore.getState().reload()}
      >
        Apply (reloads the model)
      </button>
    </fieldset>
  );
}
