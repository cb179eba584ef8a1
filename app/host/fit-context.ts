// A conversation can outgrow the model's context. Rather than fail, the oldest turns are left out
// of the prompt (the system message stays), and the caller reports how many were dropped so the
// UI can say so. The conversation itself is never changed.
import type { ChatTurn } from './protocol.js';

export interface FittedPrompt<P extends { tokens: number[] }> {
  prompt: P;
  dropped: number;
}

/**
 * Renders `messages` with `render` and drops the oldest non-system turns until the prompt plus
 * `reserve` tokens for the reply fits `contextSize`. The last message is always kept, so a
 * single message that is too long still comes back (generation then reports the overflow).
 */
export function fitToContext<P extends { tokens: number[] }>(
  messages: readonly ChatTurn[],
  contextSize: number,
  reserve: number,
  render: (messages: ChatTurn[]) => P,
): FittedPrompt<P> {
  const system = messages[0]?.role === 'system' ? [messages[0]] : [];
  let turns = messages.slice(system.length);
  let dropped = 0;
  for (;;) {
    const prompt = render([...system, ...turns]);
    if (prompt.tokens.length + reserve <= contextSize || turns.length <= 1) return { prompt, dropped };
    // Drop a whole exchange: a prompt should not start with an assistant's answer to nothing.
    do {
      turns = turns.slice(1);
      dropped++;
    } while (turns.length > 1 && turns[0]!.role !== 'user');
  }
}
