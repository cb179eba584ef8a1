// Settings of the loaded model: chain count (and the chain policy behind Auto), sampling, reply
// length, the system prompt, and how the engine runs it (context size, threads).
import type { SamplingDefaults } from '../bridge/types.js';
import { samplingDefault } from '../state/default-settings.js';
import { useModel, useSettings, useStores } from '../state/store-context.js';
import { ChainSelector } from './ChainSelector.js';
import { EngineSettings } from './EngineSettings.js';
import { NumberField } from './NumberField.js';
import { PolicyPanel } from './PolicyPanel.js';

export function SettingsPanel() {
  const { settings } = useStores();
  const model = useModel((s) => s.model);
  const g = useSettings((s) => s.generation);
  const systemPrompt = useSettings((s) => s.systemPrompt);
  const update = settings.getState().update;
  // An empty field shows what it stands for: "0.6 (model default)", or the app's value.
  const unset = (field: keyof SamplingDefaults) => {
    const d = samplingDefault(model, field);
    return `${d.value} (${d.fromModel ? 'model default' : 'default'})`;
  };

  return (
    <aside className="settings" aria-label="Settings">
      <h2>Settings</h2>
      {model ? <ChainSelector model={model} /> : <p className="field-hint">Load a model to choose its chain count.</p>}
      <PolicyPanel />
      <fieldset>
        <legend>Sampling</legend>
        <NumberField label="Temperature" value={g.temperature} min={0} max={5} step={0.05} allowEmpty placeholder={unset('temperature')} onChange={(v) => update({ temperature: v })} hint="0: always the likeliest token" />
        <NumberField label="Top-k" value={g.topK} min={0} max={1000} step={1} integer allowEmpty placeholder={unset('topK')} onChange={(v) => update({ topK: v })} hint="0: off" />
        <NumberField label="Top-p" value={g.topP} min={0} max={1} step={0.01} allowEmpty placeholder={unset('topP')} onChange={(v) => update({ topP: v })} />
        <NumberField label="Min-p" value={g.minP} min={0} max={1} step={0.01} onChange={(v) => update({ minP: v ?? 0 })} />
        <NumberField label="Repeat penalty" value={g.repeatPenalty} min={0.5} max={3} step={0.05} allowEmpty placeholder={unset('repeatPenalty')} onChange={(v) => update({ repeatPenalty: v })} />
        <p className="field-hint">Empty sampling fields use the model's own values (its generation_config.json), else the app's.</p>
        <NumberField label="Seed" value={g.seed} min={0} max={4294967295} step={1} integer allowEmpty onChange={(v) => update({ seed: v })} hint="empty: a new seed each reply" />
        <NumberField label="Max tokens" value={g.maxTokens} min={1} max={32768} step={1} integer onChange={(v) => update({ maxTokens: v ?? 256 })} />
      </fieldset>
      <label className="field">
        <span className="field-label">System prompt</span>
        <textarea aria-label="System prompt" rows={4} value={systemPrompt} onChange={(e) => settings.getState().setSystemPrompt(e.target.value)} />
      </label>
      <EngineSettings model={model} />
      <button type="button" className="small-button" aria-label="Reset settings" onClick={() => settings.getState().reset()}>
        Reset to defaults
      </button>
    </aside>
  );
}
