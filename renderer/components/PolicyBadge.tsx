// The chain policy's one-line reason ("2/4 chains: on battery, 28%"), shown while Auto is on, so
// a reply that shrinks mid-sentence says why. A replayed script is marked, so nobody mistakes a
// demo's battery for their own. Under it, which GPU the GPU rules read: the one the model runs on
// ("cuda:0 (...): others 12%, 6.1 of 8.0 GiB free"), or a GPU the CPU-run model does not use.
import { usePolicy } from '../state/store-context.js';

export function PolicyBadge() {
  const view = usePolicy((s) => s.view);
  if (!view) return null;
  return (
    <>
      <p className="policy-badge" role="status" aria-label="Chain policy reason">
        {view.reason}
        {view.simulated && <span className="policy-simulated"> · simulated ({view.simulated.file})</span>}
      </p>
      {view.gpu && (
        <p className="policy-gpu field-hint" aria-label="Chain policy GPU">
          {view.gpu}
        </p>
      )}
    </>
  );
}
