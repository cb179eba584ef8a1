// Conversations on disk: one JSON file per conversation under <dataDir>/conversations, each
// written atomically. Files that do not parse (a hand edit, a foreign file) are skipped in the
// list rather than failing it.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

import type { Conversation, ConversationSummary } from './conversation-types.js';
import { writeFileAtomic } from '../common/atomic-write.js';

export class ConversationStore {
  private readonly folder: string;

  constructor(dataDir: string) {
    this.folder = join(dataDir, 'conversations');
  }

  /** `id` must already be checked (validate.ts expectId): it becomes a file name. */
  private file(id: string): string {
    return join(this.folder, `${id}.json`);
  }

  async list(): Promise<ConversationSummary[]> {
    let names: string[];
    try {
      names = await readdir(this.folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const summaries: ConversationSummary[] = [];
    for (const name of names) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const conversation = await this.get(name.slice(0, -'.json'.length)).catch(() => null);
      if (!conversation) continue;
      summaries.push({
        id: conversation.id,
        title: conversation.title,
        updatedAt: conversation.updatedAt,
        messageCount: conversation.messages.length,
      });
    }
    return summaries.sort((a, b) => b.updatedAt - a.updatedAt);
  }

  async get(id: string): Promise<Conversation | null> {
    let text: string;
    try {
      text = await readFile(this.file(id), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const value = JSON.parse(text) as Conversation;
    return { ...value, id };
  }

  async put(conversation: Conversation): Promise<void> {
    await mkdir(this.folder, { recursive: true });
    await writeFileAtomic(this.file(conversation.id), JSON.stringify(conversation, null, 1), 0o600);
  }

  async remove(id: string): Promise<boolean> {
    try {
      await rm(this.file(id));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }
}
