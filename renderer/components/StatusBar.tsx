// Model, active chains, speed, prefill time, context used, weights mapped, and the engine's state.
import { useChat, useModel, usePolicy, useSettings } from '../state/store-context.js';
import { formatBytes, formatRate } from './format.js';

const ENGINE_TEXT: Record<string, string> = {
  starting: 'engine starting',
  ready: 'engine ready',
  restarting: 'engine restarting',
  failed: 'engine failed',
  stopped: 'engine stopped',
};

export function StatusBar() {
  const model = useModel((s) => s.model);
  const host = useModel((s) => s.host);
  const connected = useModel((s) => s.connected);
  const live = useChat((s) => s.live);
  const streaming = useChat((s) => s.streaming !== null);
  const chains = useSettings((s) => s.generation.chains);
  const policyChains = usePolicy((s) => s.view?.chains ?? null);
  const n = model?.chainCount ?? 0;
  // Between replies, Auto's count is the policy's: what the next token would run with.
  const selected = chains === 'auto' ? Math.min(n, policyChains ?? n) : Math.min(chains, n);
  const active = streaming && live?.chains ? live.chains : selected;

  return (
    <footer className="status-bar" aria-label="Status bar">
      <span aria-label="Model">{model ? model.name : 'no model'}</span>
      <span aria-label="Active chains">
        {model ? `${active}/${n} chains${chains === 'auto' ? ' (auto)' : ''}` : '—'}
      </span>
      <span aria-label="Tokens per second">{live ? `${formatRate(live.tokensPerSecond)} tok/s` : '— tok/s'}</span>
      <span aria-label="Prefill time">{live ? `prefill ${live.prefillMs.toFixed(1)} ms` : 'prefill —'}</span>
      <span aria-label="Context used">{live ? `context ${live.contextUsed}/${live.contextSize}` : model ? `context 0/${model.contextSize}` : 'context —'}</span>
      {model && <span aria-label="Memory">{formatBytes(model.mappedBytes)} mapped</span>}
      <span aria-label="Engine" className={`engine engine-${connected ? host.status : 'offline'}`}>
        {connected ? ENGINE_TEXT[host.status] : 'server unreachable'}
      </span>
    </footer>
  );
}
