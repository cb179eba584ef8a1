// How the engine runs the model: its context size, KV cache type, device and worker threads. They
// size the session the model is loaded with, so a change takes effect when the model is loaded
// again; "Apply" does that (the weights are memory-mapped, so a reload is quick). The memory a
// context's KV cache takes (in the chosen type) is shown as it is typed, before Apply. The device
// list is what the engine host found when it started (auto, cpu, each cuda:N), and the line under
// it says where the loaded model runs and why (auto's reason, from app/engine/device-choice.ts).
import type { DeviceSummary, KvType, ModelInfo } from '../bridge/types.js';
import { kvCacheBytes } from '../state/context-cost.js';
import { CUDA_KV_TYPES, KV_TYPE_CHOICES } from '../state/default-settings.js';
import { useModel, useSettings, useStores } from '../state/store-context.js';
import { formatBytes } from './format.js';
import { NumberField } from './NumberField.js';

export function EngineSettings({ model }: { model: ModelInfo | null }) {
  const { settings, model: modelStore } = useStores();
  const session = useSettings((s) => s.session);
  const loading = useModel((s) => s.loading !== null);
  const update = settings.getState().updateSession;
  // The context a load would get: the one chosen, else the model's default for this machine.
  const context = model ? (session.contextSize ?? model.defaultContextSize) : null;
  // The type a load would get: the one chosen, else the engine's default.
  const kvType: KvType = session.kvType ?? 'bf16';
  const devices = useModel((s) => s.devices);
  // The device a load would ask for: the one chosen, else auto.
  const device = session.device ?? 'auto';
  const differs =
    model !== null &&
    ((session.contextSize !== null && session.contextSize !== model.contextSize) ||
      (session.threads !== null && session.threads !== model.threads) ||
      kvType !== model.kvType ||
      device !== (model.deviceRequest ?? 'auto'));
  // A CUDA session keeps a BF16 cache only: said here, before Apply (the load would refuse it).
  const kvOnGpu = device.startsWith('cuda') && !CUDA_KV_TYPES.includes(kvType);
  // Where the loaded model runs and why; before a load, why there is no GPU to choose.
  const deviceReason = model?.deviceReason ?? (devices && devices.cuda.length === 0 ? `no GPU: ${devices.cudaReason ?? 'none found'}` : null);

  return (
    <fieldset className="engine-settings">
      <legend>Engine</legend>
      <NumberField
        label="Context size"
        value={session.contextSize}
        min={16}
        max={model?.contextLength ?? 1048576}
        step={256}
        integer
        allowEmpty
        placeholder={model ? `model default (${model.defaultContextSize})` : 'model default'}
        onChange={(v) => update({ contextSize: v })}
        hint={model ? `now ${model.contextSize} tokens` : 'tokens the model can see'}
      />
      {model && context !== null && (
        <p className="field-hint" aria-label="Context memory">
          {`${context} tokens · ${formatBytes(kvCacheBytes(model.kvCache, context, kvType))} KV cache (${kvType})`}
          {model.contextLength !== null && ` (the model allows ${model.contextLength})`}
        </p>
      )}
      <label className="field">
        <span className="field-label">KV cache</span>
        <select aria-label="KV cache type" value={kvType} onChange={(e) => update({ kvType: e.target.value as KvType })}>
          {KV_TYPE_CHOICES.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
        <span className="field-hint">{model ? `now ${model.kvType}` : 'how attention keys and values are stored'}</span>
      </label>
      <label className="field">
        <span className="field-label">Device</span>
        <select aria-label="Device" value={device} onChange={(e) => update({ device: e.target.value === 'auto' ? null : e.target.value })}>
          {deviceChoices(devices, device).map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
        <span className="field-hint">{model ? `now ${model.device ?? 'cpu'}` : 'where the model runs'}</span>
      </label>
      {deviceReason && (
        <p className="field-hint" aria-label="Device reason">
          {deviceReason}
        </p>
      )}
      {kvOnGpu && (
        <p className="field-hint field-warning" role="alert" aria-label="Device and KV cache">
          {`A CUDA session keeps a BF16 KV cache only: choose BF16 for ${device}, or the CPU for ${kvType}.`}
        </p>
      )}
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

/** auto, cpu, each GPU the host reported, and a saved choice it no longer reports (so it shows). */
export function deviceChoices(devices: DeviceSummary | null, chosen: string): Array<{ value: string; label: string }> {
  const choices = [
    { value: 'auto', label: 'Auto (default)' },
    { value: 'cpu', label: 'CPU' },
    ...(devices?.cuda ?? []).map((d) => ({ value: `cuda:${d.index}`, label: `cuda:${d.index} · ${d.name} (${formatBytes(d.totalBytes)})` })),
  ];
  if (!choices.some((c) => c.value === chosen)) choices.push({ value: chosen, label: `${chosen} (not found)` });
  return choices;
}
