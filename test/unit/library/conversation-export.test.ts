// Export and import: Markdown to read (with which chain counts produced each reply), JSON that
// imports back losslessly under new ids, and imports of foreign or broken files refused by name.
import { expect, test } from 'vitest';

import { chainSummary, exportConversation, exportFileName, parseImport, toJson, toMarkdown } from '../../../app/library/conversation-export.js';
import type { Conversation } from '../../../app/library/conversation-types.js';

const conversation: Conversation = {
  id: 'c1',
  title: 'Chains: how many?',
  createdAt: 1_700_000_000_000,
  updatedAt: 1_700_000_100_000,
  messages: [
    { id: 'm1', role: 'user', content: 'How many chains?' },
    {
      id: 'm2',
      role: 'assistant',
      content: 'Four, **mostly**.',
      tokens: [
        { chains: 4, text: 'Four' },
        { chains: 4, text: ',' },
        { chains: 2, text: ' mostly' },
      ],
      stats: { model: 'air4.safetensors', finishReason: 'stop', generatedTokens: 3, promptTokens: 9, droppedMessages: 0, tokensPerSecond: 123.45, prefillMs: 2 },
    },
  ],
};

test('Markdown has the title, each turn under its speaker, and the chain counts of each reply', () => {
  const md = toMarkdown(conversation);
  expect(md.startsWith('# Chains: how many?\n')).toBe(true);
  expect(md).toContain('## You\n\nHow many chains?\n');
  expect(md).toContain('## Assistant\n\nFour, **mostly**.\n\n<sub>air4.safetensors · tokens by chain count: 4×2, 2×1 · 123.5 tok/s</sub>');
  expect(chainSummary(conversation.messages[1]!)).toBe('4×2, 2×1');
});

test('file names come from the title and are safe anywhere', () => {
  expect(exportFileName(conversation, 'json')).toBe('Chains-how-many.json');
  expect(exportFileName({ ...conversation, title: '../../etc/passwd' }, 'markdown')).toBe('etc-passwd.md');
  expect(exportFileName({ ...conversation, title: '???' }, 'json')).toBe('conversation.json');
  expect(exportFileName({ ...conversation, title: 'Café 東京' }, 'json')).toBe('Cafe-東京.json');
  expect(exportConversation(conversation, 'markdown')).toMatchObject({ fileName: 'Chains-how-many.md', mimeType: 'text/markdown' });
});

test('JSON imports back as the same conversation under new ids', () => {
  const back = parseImport(JSON.parse(toJson(conversation)));
  expect(back.id).not.toBe('c1');
  expect(back.id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  expect(back.messages.map((m) => m.id)).not.toContain('m1');
  const strip = (c: Conversation) => ({ ...c, id: '', messages: c.messages.map((m) => ({ ...m, id: '' })) });
  expect(strip(back)).toEqual(strip(conversation));
  // A bare conversation object (not wrapped in an export) is accepted too.
  expect(parseImport(conversation).title).toBe(conversation.title);
});

test('foreign, newer or broken files are refused with a reason', () => {
  expect(() => parseImport('text')).toThrow(/the imported file must be a JSON object/);
  expect(() => parseImport({ kind: 'chatgpt-export' })).toThrow(/"chatgpt-export", not a CoLM conversation/);
  expect(() => parseImport({ kind: 'colm-conversation', version: 9, conversation })).toThrow(/version 9/);
  expect(() => parseImport({ kind: 'colm-conversation', version: 1 })).toThrow(/the imported conversation must be a JSON object/);
  expect(() => parseImport({ title: 'x' })).toThrow(/no messages array/);
  expect(() => parseImport({ title: 'x', messages: [{ role: 'user', content: 5 }] })).toThrow(/messages\[0\]\.content must be a string/);
});
