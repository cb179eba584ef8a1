// Export the open conversation (JSON that imports back, or Markdown to read and share) and import
// an exported JSON file as a new conversation. The import picker is a real, labelled input kept
// out of sight, like the model pickers.
import { useRef } from 'react';

import { useChat, useStores } from '../state/store-context.js';

export function ConversationTools() {
  const { chat } = useStores();
  const empty = useChat((s) => s.current.messages.length === 0);
  const input = useRef<HTMLInputElement>(null);
  const onPicked = (element: HTMLInputElement) => {
    const file = element.files?.[0];
    element.value = ''; // picking the same file again must fire change again
    if (file) void chat.getState().importFile(file);
  };

  return (
    <div className="conversation-tools" role="group" aria-label="Export and import">
      <button type="button" className="small-button" aria-label="Export conversation as JSON" disabled={empty} onClick={() => void chat.getState().exportCurrent('json')}>
        Export JSON
      </button>
      <button type="button" className="small-button" aria-label="Export conversation as Markdown" disabled={empty} onClick={() => void chat.getState().exportCurrent('markdown')}>
        Export Markdown
      </button>
      <button type="button" className="small-button" aria-label="Import conversation" onClick={() => input.current?.click()}>
        Import…
      </button>
      <input ref={input} className="hidden-input" type="file" accept=".json,application/json" aria-label="Conversation file" onChange={(e) => onPicked(e.currentTarget)} />
    </div>
  );
}
