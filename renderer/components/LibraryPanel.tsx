// The model library: models loaded before, with what each is (family, weight type, context length,
// file kind, size, chains, parameters at each chain count, CoLM-Air or plain CoLM), to load again with one click or to remove from the list.
import type { LibraryEntry } from '../bridge/types.js';
import { useLibrary, useModel, useStores } from '../state/store-context.js';
import { formatBytes, formatCount } from './format.js';

const FILE_KINDS = { folder: 'folder', safetensors: 'safetensors file', gguf: 'GGUF file' } as const;

/** Family, weight type, context length and file kind; entries saved by older versions lack some. */
export function entryDetails(entry: LibraryEntry): string[] {
  const details = [entry.modelType];
  if (entry.weightType) details.push(entry.weightType);
  if (entry.contextLength) details.push(`context ${entry.contextLength}`);
  if (entry.fileKind) details.push(FILE_KINDS[entry.fileKind]);
  return details.filter((d) => d !== '');
}

function EntryView({ entry, current }: { entry: LibraryEntry; current: boolean }) {
  const { library } = useStores();
  const busy = useModel((s) => s.loading !== null);
  return (
    <li className={current ? 'library-entry current' : 'library-entry'} aria-label={`Library model ${entry.name}`}>
      <div className="library-name" title={entry.path}>
        {entry.name}
      </div>
      <div className="library-meta">
        {entry.kvSharing ? 'CoLM-Air' : 'CoLM'} · {entry.chainCount} chain{entry.chainCount === 1 ? '' : 's'} {'{'}
        {entry.chainRatios.join(', ')}
        {'}'} · {formatBytes(entry.bytes)}
      </div>
      <div className="library-details" aria-label="Model details">
        {entryDetails(entry).join(' · ')}
      </div>
      <div className="library-params" aria-label="Parameters per chain count">
        {entry.parameters.map((p, i) => `${i + 1}: ${formatCount(p)}`).join(' · ')}
      </div>
      <div className="library-actions">
        <button type="button" className="small-button" aria-label={`Load ${entry.name}`} disabled={current || busy} onClick={() => void library.getState().load(entry)}>
          {current ? 'Loaded' : 'Load'}
        </button>
        <button type="button" className="small-button" aria-label={`Remove ${entry.name} from library`} onClick={() => void library.getState().remove(entry.id)}>
          Remove
        </button>
      </div>
    </li>
  );
}

export function LibraryPanel() {
  const { library } = useStores();
  const entries = useLibrary((s) => s.entries);
  const error = useLibrary((s) => s.error);
  const currentPath = useModel((s) => s.model?.path ?? null);

  return (
    <section className="library" aria-label="Model library">
      <h2>Models</h2>
      {error && (
        <p className="message-error" role="alert">
          {error}{' '}
          <button type="button" className="icon-button" aria-label="Dismiss library error" onClick={() => library.getState().dismissError()}>
            ×
          </button>
        </p>
      )}
      {entries.length === 0 ? (
        <p className="field-hint">Models you load appear here.</p>
      ) : (
        <ul className="library-list">
          {entries.map((e) => (
            <EntryView key={e.id} entry={e} current={e.path === currentPath} />
          ))}
        </ul>
      )}
    </section>
  );
}
