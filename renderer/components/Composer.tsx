// Where the user writes. Enter sends, Shift+Enter makes a new line (and Enter while an input
// method is composing belongs to the input method). While a reply streams, Stop replaces Send.
import { useState, type KeyboardEvent } from 'react';

import { useChat, useModel, useStores } from '../state/store-context.js';

export function Composer() {
  const { chat } = useStores();
  const [text, setText] = useState('');
  const busy = useChat((s) => s.busy);
  const hasModel = useModel((s) => s.model !== null);
  const canSend = hasModel && !busy && text.trim() !== '';

  const send = () => {
    if (!canSend) return;
    void chat.getState().send(text);
    setText('');
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  };

  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <textarea
        aria-label="Message"
        placeholder={hasModel ? 'Message the model (Enter sends, Shift+Enter for a new line)' : 'Load a model to start'}
        value={text}
        rows={2}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
      />
      {busy ? (
        <button type="button" className="stop-button" aria-label="Stop generating" onClick={() => void chat.getState().stop()}>
          Stop
        </button>
      ) : (
        <button type="submit" className="primary-button" aria-label="Send" disabled={!canSend}>
          Send
        </button>
      )}
    </form>
  );
}
