// The conversation, scrolled to the newest text while a reply streams (unless the user has
// scrolled up to read).
import { useEffect, useRef } from 'react';

import { useChat, useModel } from '../state/store-context.js';
import { MessageView } from './MessageView.js';

export function MessageList() {
  const messages = useChat((s) => s.current.messages);
  const hasModel = useModel((s) => s.model !== null);
  const chainCount = useModel((s) => s.model?.chainCount ?? 0);
  const scroller = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);

  useEffect(() => {
    const el = scroller.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [messages]);

  return (
    <div
      className="message-list"
      ref={scroller}
      role="log"
      aria-label="Conversation"
      onScroll={(e) => {
        const el = e.currentTarget;
        pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      }}
    >
      {messages.length === 0 ? (
        <div className="empty-state">
          {hasModel ? (
            <>
              <h2>Ask something</h2>
              <p>
                This checkpoint holds {chainCount} nested model{chainCount === 1 ? '' : 's'}. Pick how many chains answer in Settings; the strip
                under each reply shows which chain count produced every token.
              </p>
            </>
          ) : (
            <>
              <h2>No model loaded</h2>
              <p>Drop a checkpoint (a .safetensors or .gguf file, or a model folder) anywhere on this window, or use Open.</p>
            </>
          )}
        </div>
      ) : (
        messages.map((m) => <MessageView key={m.id} message={m} />)
      )}
    </div>
  );
}
