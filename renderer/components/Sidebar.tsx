// The conversations kept on disk, newest first, a button for a new chat, export and import of
// the open one, and the model library below.
import { useChat, useStores } from '../state/store-context.js';
import { ConversationTools } from './ConversationTools.js';
import { LibraryPanel } from './LibraryPanel.js';

export function Sidebar() {
  const { chat } = useStores();
  const conversations = useChat((s) => s.conversations);
  const currentId = useChat((s) => s.current.id);

  return (
    <div className="sidebar">
      <nav aria-label="Conversations">
        <button type="button" className="primary-button new-chat" aria-label="New chat" onClick={() => void chat.getState().newChat()}>
          + New chat
        </button>
        <ConversationTools />
        <ul className="conversation-list">
          {conversations.map((c) => (
            <li key={c.id} className={c.id === currentId ? 'current' : undefined}>
              <button
                type="button"
                className="conversation-button"
                aria-current={c.id === currentId ? 'true' : undefined}
                onClick={() => void chat.getState().select(c.id)}
              >
                {c.title}
              </button>
              <button type="button" className="icon-button" aria-label={`Delete conversation ${c.title}`} onClick={() => void chat.getState().remove(c.id)}>
                ×
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <LibraryPanel />
    </div>
  );
}
