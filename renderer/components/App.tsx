// The window: conversations on the left, the chat in the middle, settings on the right, the
// status bar below; the whole window takes dropped checkpoints, and Esc stops a reply.
import { useCallback, useEffect } from 'react';

import type { UploadFile } from '../bridge/types.js';
import { useModel, useStores } from '../state/store-context.js';
import { Composer } from './Composer.js';
import { formatBytes, formatCount } from './format.js';
import { MessageList } from './MessageList.js';
import { ChatError, ChatNotice, CrashNotice, LoadErrorPanel, LoadProgress } from './Notices.js';
import { OpenButtons } from './OpenButtons.js';
import { SettingsPanel } from './SettingsPanel.js';
import { Sidebar } from './Sidebar.js';
import { StatusBar } from './StatusBar.js';
import { useWindowDrop } from './use-window-drop.js';

function ModelBadge() {
  const model = useModel((s) => s.model);
  if (!model) return <span className="model-badge empty">No model</span>;
  const full = model.subModels[model.chainCount - 1]?.parameters ?? 0;
  return (
    <span className="model-badge" aria-label="Loaded model" title={model.path}>
      <strong>{model.name}</strong>
      <span>
        {model.kvSharing ? 'CoLM-Air' : 'CoLM'} · {model.chainCount} chain{model.chainCount === 1 ? '' : 's'} {'{'}
        {model.chainRatios.join(', ')}
        {'}'} · {formatCount(full)} params · {formatBytes(model.mappedBytes)}
      </span>
    </span>
  );
}

export function App() {
  const stores = useStores();
  const onFiles = useCallback((files: UploadFile[]) => void stores.model.getState().loadFiles(files), [stores]);
  const dragging = useWindowDrop(onFiles);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && stores.chat.getState().busy) {
        e.preventDefault();
        void stores.chat.getState().stop();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [stores]);

  return (
    <div className="app">
      <header className="top-bar">
        <h1>CoLM Desktop</h1>
        <ModelBadge />
        <OpenButtons />
      </header>
      <div className="workspace">
        <Sidebar />
        <main className="chat">
          <CrashNotice />
          <LoadProgress />
          <LoadErrorPanel />
          <ChatError />
          <ChatNotice />
          <MessageList />
          <Composer />
        </main>
        <SettingsPanel />
      </div>
      <StatusBar />
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <div>Drop a checkpoint (.safetensors, .gguf or a folder) to load it</div>
        </div>
      )}
    </div>
  );
}
