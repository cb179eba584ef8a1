// What the user must know now: a load in progress, a checkpoint that could not be loaded (the
// loader's one-line message names the file and the rule it broke), an engine that died, a chat
// error.
import { useChat, useModel, useStores } from '../state/store-context.js';

const STAGE_TEXT: Record<string, string> = { uploading: 'Copying', reading: 'Reading', mapping: 'Mapping weights', ready: 'Ready' };

export function LoadProgress() {
  const loading = useModel((s) => s.loading);
  if (!loading) return null;
  const percent = Math.round(loading.progress.fraction * 100);
  return (
    <div className="load-progress">
      <span>
        {STAGE_TEXT[loading.progress.stage] ?? loading.progress.stage} {loading.name}… {percent}%
      </span>
      <div className="progress-track" role="progressbar" aria-label="Loading model" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
        <div className="progress-fill" style={{ width: `${percent}%` }} />
      </div>
    </div>
  );
}

export function LoadErrorPanel() {
  const { model } = useStores();
  const error = useModel((s) => s.error);
  if (!error) return null;
  return (
    <section className="error-panel" role="alert" aria-label="Model load error">
      <h2>Could not load {error.name}</h2>
      <p className="error-kind">{error.kind === 'CheckpointError' ? 'This file is not a valid CoLM checkpoint:' : `${error.kind}:`}</p>
      <p className="error-message">{error.message}</p>
      <button type="button" className="small-button" aria-label="Dismiss error" onClick={() => model.getState().dismissError()}>
        Dismiss
      </button>
    </section>
  );
}

export function CrashNotice() {
  const { model } = useStores();
  const notice = useModel((s) => s.crashNotice);
  const status = useModel((s) => s.host.status);
  if (!notice) return null;
  return (
    <div className="notice notice-warning" role="alert" aria-label="Engine notice">
      <span>
        {notice}. {status === 'ready' ? 'It is running again; your conversation is intact.' : status === 'failed' ? 'It could not be restarted.' : 'Restarting…'}
      </span>
      <button type="button" className="small-button" aria-label="Dismiss engine notice" onClick={() => model.getState().dismissCrash()}>
        Dismiss
      </button>
    </div>
  );
}

export function ChatNotice() {
  const { chat } = useStores();
  const notice = useChat((s) => s.notice);
  if (!notice) return null;
  return (
    <div className="notice notice-info" role="status" aria-label="Chat notice">
      <span>{notice}</span>
      <button type="button" className="small-button" aria-label="Dismiss notice" onClick={() => chat.getState().dismissNotice()}>
        Dismiss
      </button>
    </div>
  );
}

export function ChatError() {
  const { chat } = useStores();
  const error = useChat((s) => s.error);
  if (!error) return null;
  return (
    <div className="notice notice-error" role="alert" aria-label="Chat error">
      <span>{error}</span>
      <button type="button" className="small-button" aria-label="Dismiss chat error" onClick={() => chat.getState().dismissError()}>
        Dismiss
      </button>
    </div>
  );
}
