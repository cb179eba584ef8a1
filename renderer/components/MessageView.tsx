// One message: the user's text (editable) or the assistant's reply as Markdown, with its chain
// strip, numbers and actions (copy, regenerate, edit).
import { useState } from 'react';

import type { StoredMessage } from '../bridge/types.js';
import { Markdown } from '../markdown/Markdown.js';
import { useChat, useModel, useStores } from '../state/store-context.js';
import { ChainStrip } from './ChainStrip.js';
import { CopyButton } from './CopyButton.js';
import { formatRate } from './format.js';

const FINISH_TEXT: Record<string, string> = {
  stop: 'finished',
  length: 'reached max tokens',
  abort: 'stopped',
  context: 'context full',
  error: 'failed',
};

function UserEditor({ initial, onSave, onCancel }: { initial: string; onSave: (text: string) => void; onCancel: () => void }) {
  const [text, setText] = useState(initial);
  return (
    <form
      className="edit-form"
      onSubmit={(e) => {
        e.preventDefault();
        onSave(text);
      }}
    >
      <textarea aria-label="Edit message" value={text} autoFocus rows={3} onChange={(e) => setText(e.target.value)} />
      <div className="edit-actions">
        <button type="submit" className="primary-button" aria-label="Save and send">
          Save &amp; send
        </button>
        <button type="button" className="small-button" aria-label="Cancel edit" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function MessageView({ message }: { message: StoredMessage }) {
  const { chat } = useStores();
  const streamingId = useChat((s) => s.streaming?.messageId ?? null);
  const busy = useChat((s) => s.busy);
  const model = useModel((s) => s.model);
  const [editing, setEditing] = useState(false);
  const isStreaming = streamingId === message.id;
  const user = message.role === 'user';

  return (
    <article
      className={`message message-${message.role}`}
      aria-label={user ? 'Your message' : 'Assistant message'}
      data-streaming={isStreaming ? 'true' : undefined}
    >
      <div className="message-role">{user ? 'You' : 'Assistant'}</div>
      {editing ? (
        <UserEditor
          initial={message.content}
          onCancel={() => setEditing(false)}
          onSave={(text) => {
            setEditing(false);
            void chat.getState().editMessage(message.id, text);
          }}
        />
      ) : user ? (
        <p className="user-text">{message.content}</p>
      ) : (
        <div className="reply-text" aria-live={isStreaming ? 'polite' : undefined}>
          {message.content ? <Markdown text={message.content} /> : isStreaming ? <span className="typing">Thinking…</span> : null}
        </div>
      )}
      {!user && message.tokens && message.tokens.length > 0 && <ChainStrip tokens={message.tokens} model={model} />}
      {message.error && message.error !== 'stopped' && (
        <p className="message-error" role="note">
          {message.error}
        </p>
      )}
      {!isStreaming && !editing && (
        <div className="message-footer">
          {message.stats && (
            <span className="message-stats" aria-label="Reply statistics">
              {message.stats.generatedTokens} tokens · {formatRate(message.stats.tokensPerSecond)} tok/s · {FINISH_TEXT[message.stats.finishReason] ?? message.stats.finishReason}
              {message.stats.droppedMessages > 0 ? ` · ${message.stats.droppedMessages} old messages left out to fit the context` : ''}
            </span>
          )}
          {message.error === 'stopped' && !message.stats && <span className="message-stats">stopped</span>}
          <span className="message-actions">
            <CopyButton text={message.content} label={user ? 'Copy message' : 'Copy reply'} />
            {user ? (
              <button type="button" className="small-button" aria-label="Edit message" disabled={busy} onClick={() => setEditing(true)}>
                Edit
              </button>
            ) : (
              <button type="button" className="small-button" aria-label="Regenerate reply" disabled={busy} onClick={() => void chat.getState().regenerate(message.id)}>
                Regenerate
              </button>
            )}
          </span>
        </div>
      )}
    </article>
  );
}
