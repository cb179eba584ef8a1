// Old turns are left out, whole exchanges at a time, until the prompt fits; the system message
// and the newest message always stay.
import { expect, test } from 'vitest';

import { fitToContext } from '../../../app/host/fit-context.js';
import type { ChatTurn } from '../../../app/host/protocol.js';

// One "token" per character keeps the arithmetic visible.
const render = (messages: ChatTurn[]) => ({ tokens: Array.from(messages.map((m) => m.content).join(''), (c) => c.charCodeAt(0)), messages });

const conversation: ChatTurn[] = [
  { role: 'system', content: 'SS' },
  { role: 'user', content: 'u1u1' },
  { role: 'assistant', content: 'a1a1' },
  { role: 'user', content: 'u2u2' },
  { role: 'assistant', content: 'a2a2' },
  { role: 'user', content: 'u3u3' },
];

test('a prompt that fits is left whole', () => {
  const { prompt, dropped } = fitToContext(conversation, 100, 10, render);
  expect(dropped).toBe(0);
  expect(prompt.messages).toEqual(conversation);
});

test('the oldest exchange goes first, and the prompt never starts with an assistant turn', () => {
  // 22 characters in all; 16 + reserve 4 = 20 fits after dropping u1 and a1.
  const { prompt, dropped } = fitToContext(conversation, 20, 4, render);
  expect(dropped).toBe(2);
  expect(prompt.messages.map((m) => m.content)).toEqual(['SS', 'u2u2', 'a2a2', 'u3u3']);
});

test('the last message stays even when it alone is too long', () => {
  const { prompt, dropped } = fitToContext(conversation, 3, 2, render);
  expect(dropped).toBe(4);
  expect(prompt.messages.map((m) => m.content)).toEqual(['SS', 'u3u3']);
});
