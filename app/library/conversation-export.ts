// A conversation as a file the user keeps: JSON that imports back losslessly (chain strips
// included), or Markdown to read and share. Importing always gives the conversation a new id and
// new message ids, so an import never overwrites what is already there.
import { randomUUID } from 'node:crypto';

import type { Conversation, ExportFormat, StoredMessage } from './conversation-types.js';
import { InputError } from './input-error.js';
import { expectObject, parseConversation } from './validate.js';

/** Marks our JSON exports, so an import can tell them from any JSON file. */
export const EXPORT_KIND = 'colm-conversation';
export const EXPORT_VERSION = 1;

export interface ExportedFile {
  fileName: string;
  mimeType: string;
  text: string;
}

const ROLE_TITLES: Record<StoredMessage['role'], string> = { system: 'System', user: 'You', assistant: 'Assistant' };

/** "4×12, 2×3": how many tokens each chain count produced, most used first. */
export function chainSummary(message: StoredMessage): string {
  const counts = new Map<number, number>();
  for (const t of message.tokens ?? []) counts.set(t.chains, (counts.get(t.chains) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || b[0] - a[0])
    .map(([chains, n]) => `${chains}×${n}`)
    .join(', ');
}

function assistantNote(message: StoredMessage): string {
  const parts: string[] = [];
  if (message.stats?.model) parts.push(message.stats.model);
  const chains = chainSummary(message);
  if (chains) parts.push(`tokens by chain count: ${chains}`);
  if (message.stats) parts.push(`${message.stats.tokensPerSecond.toFixed(1)} tok/s`);
  if (message.error) parts.push(`ended early: ${message.error}`);
  return parts.length > 0 ? `\n\n<sub>${parts.join(' · ')}</sub>` : '';
}

export function toMarkdown(conversation: Conversation): string {
  const lines = [`# ${conversation.title}`, '', `<sub>Exported from CoLM Desktop · ${new Date(conversation.updatedAt).toISOString()}</sub>`, ''];
  for (const m of conversation.messages) {
    lines.push(`## ${ROLE_TITLES[m.role]}`, '', m.content + (m.role === 'assistant' ? assistantNote(m) : ''), '');
  }
  return lines.join('\n');
}

export function toJson(conversation: Conversation): string {
  return JSON.stringify({ kind: EXPORT_KIND, version: EXPORT_VERSION, conversation }, null, 1);
}

/** A file name from the title: letters (accents dropped), digits and dashes only, never empty. */
export function exportFileName(conversation: Conversation, format: ExportFormat): string {
  const stem = conversation.title.normalize('NFKD').replace(/\p{M}+/gu, '').replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'conversation';
  return `${stem}.${format === 'json' ? 'json' : 'md'}`;
}

export function exportConversation(conversation: Conversation, format: ExportFormat): ExportedFile {
  return format === 'json'
    ? { fileName: exportFileName(conversation, 'json'), mimeType: 'application/json', text: toJson(conversation) }
    : { fileName: exportFileName(conversation, 'markdown'), mimeType: 'text/markdown', text: toMarkdown(conversation) };
}

const freshId = () => randomUUID().replace(/-/g, '');

/**
 * An exported file's content (or a bare Conversation object) as a new conversation, checked like
 * any other untrusted input.
 */
export function parseImport(value: unknown): Conversation {
  const outer = expectObject(value, 'the imported file');
  let inner: unknown = outer;
  if (outer.kind !== undefined) {
    if (outer.kind !== EXPORT_KIND) throw new InputError(`the imported file is a "${String(outer.kind)}", not a CoLM conversation`);
    if (outer.version !== EXPORT_VERSION) throw new InputError(`the imported file has version ${String(outer.version)}; this app reads version ${EXPORT_VERSION}`);
    inner = outer.conversation;
  }
  const o = expectObject(inner, 'the imported conversation');
  if (!Array.isArray(o.messages)) throw new InputError('the imported conversation has no messages array');
  const id = freshId();
  const renamed = {
    ...o,
    id,
    messages: o.messages.map((m) => (typeof m === 'object' && m !== null ? { ...m, id: freshId() } : m)),
  };
  return parseConversation(renamed, id);
}
