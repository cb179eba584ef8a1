// Conversations and the reply being streamed. The conversation lives here (and on disk through
// the bridge), never in the engine: if the engine restarts, nothing of it is lost, and the next
// turn simply sends it again.
import { createStore, type StoreApi } from 'zustand/vanilla';

import type {
  Bridge,
  ChatTurn,
  Conversation,
  ConversationSummary,
  ExportFormat,
  GenerationSettings,
  GenerationSummary,
  StoredMessage,
  TokenBatch,
} from '../bridge/types.js';
import { newId } from './ids.js';

/** The numbers the status bar shows, from the latest batch of the latest reply. */
export interface LiveStats {
  tokensPerSecond: number;
  prefillMs: number;
  contextUsed: number;
  contextSize: number;
  chains: number; // the chain count of the newest token
}

export interface ChatState {
  conversations: ConversationSummary[];
  current: Conversation;
  /** From send (or regenerate, or edit) until the reply is saved: no second turn may start. */
  busy: boolean;
  /** The reply being generated: its message, and the server's request id once known. */
  streaming: { messageId: string; requestId: string | null } | null;
  live: LiveStats | null;
  error: string | null;
  /** A short confirmation (an export saved, an import done); cleared when dismissed. */
  notice: string | null;
  init(): Promise<void>;
  newChat(): Promise<void>;
  select(id: string): Promise<void>;
  remove(id: string): Promise<void>;
  send(text: string): Promise<void>;
  stop(): Promise<void>;
  regenerate(messageId: string): Promise<void>;
  editMessage(messageId: string, text: string): Promise<void>;
  /** Saves the current conversation as a file (JSON imports back; Markdown is for reading). */
  exportCurrent(format: ExportFormat): Promise<void>;
  /** Reads an exported JSON file and opens it as a new conversation. */
  importFile(file: Blob): Promise<void>;
  dismissError(): void;
  dismissNotice(): void;
}

export type ChatStore = StoreApi<ChatState>;

export interface ChatStoreDeps {
  bridge: Bridge;
  /** Read when a reply starts: the settings and system prompt in force. */
  generation(): { settings: GenerationSettings; systemPrompt: string };
  modelName(): string | null;
  storage?: Storage | null;
}

const CURRENT_KEY = 'colm.currentConversation';

function emptyConversation(): Conversation {
  const now = Date.now();
  return { id: newId(), title: 'New chat', createdAt: now, updatedAt: now, messages: [] };
}

function titleFrom(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 48 ? `${line.slice(0, 47)}…` : line || 'New chat';
}

function summaryOf(c: Conversation): ConversationSummary {
  return { id: c.id, title: c.title, updatedAt: c.updatedAt, messageCount: c.messages.length };
}

export function createChatStore(deps: ChatStoreDeps): ChatStore {
  const { bridge } = deps;
  const storage = deps.storage === undefined ? (globalThis.localStorage ?? null) : deps.storage;
  let running: Promise<void> | null = null;
  let abort: AbortController | null = null;
  let stopRequested = false;

  return createStore<ChatState>()((set, get) => {
    const remember = (id: string) => {
      try {
        storage?.setItem(CURRENT_KEY, id);
      } catch {
        /* private mode: the next start opens a new chat */
      }
    };

    const patchMessage = (id: string, patch: (m: StoredMessage) => StoredMessage) => {
      const current = get().current;
      set({ current: { ...current, messages: current.messages.map((m) => (m.id === id ? patch(m) : m)) } });
    };

    const persist = async () => {
      const current = { ...get().current, updatedAt: Date.now() };
      set({ current });
      try {
        await bridge.saveConversation(current);
        remember(current.id);
        const others = get().conversations.filter((c) => c.id !== current.id);
        set({ conversations: [summaryOf(current), ...others] });
      } catch (error) {
        set({ error: `could not save the conversation: ${(error as Error).message}` });
      }
    };

    const finishStreaming = async () => {
      const pending = running;
      if (!pending) return;
      await get().stop();
      await pending;
    };

    /** Generates the assistant's answer to the conversation as it stands. */
    const reply = async () => {
      const { settings, systemPrompt } = deps.generation();
      const history: ChatTurn[] = get()
        .current.messages.filter((m) => m.role !== 'assistant' || m.content !== '')
        .map((m) => ({ role: m.role, content: m.content }));
      const messages: ChatTurn[] = systemPrompt.trim() ? [{ role: 'system', content: systemPrompt }, ...history] : history;

      const messageId = newId();
      const current = get().current;
      set({
        current: { ...current, messages: [...current.messages, { id: messageId, role: 'assistant', content: '', tokens: [] }] },
        streaming: { messageId, requestId: null },
        error: null,
      });
      abort = new AbortController();
      if (stopRequested) abort.abort(); // stopped before the reply even started

      const onTokens = (batch: TokenBatch) => {
        patchMessage(messageId, (m) => ({ ...m, content: m.content + batch.text, tokens: [...(m.tokens ?? []), ...batch.tokens] }));
        const last = batch.tokens[batch.tokens.length - 1];
        set({
          live: {
            tokensPerSecond: batch.tokensPerSecond,
            prefillMs: batch.prefillMs,
            contextUsed: batch.contextUsed,
            contextSize: batch.contextSize,
            chains: last?.chains ?? get().live?.chains ?? 0,
          },
        });
      };
      const onStart = (requestId: string) => {
        set({ streaming: { messageId, requestId } });
        if (stopRequested) void bridge.stopChat(requestId).catch(() => undefined);
      };
      const finish = (summary: GenerationSummary) => {
        patchMessage(messageId, (m) => ({
          ...m,
          stats: {
            model: deps.modelName() ?? '',
            finishReason: summary.finishReason,
            generatedTokens: summary.generatedTokens,
            promptTokens: summary.promptTokens,
            droppedMessages: summary.droppedMessages,
            tokensPerSecond: summary.tokensPerSecond,
            prefillMs: summary.prefillMs,
          },
        }));
        const { tokensPerSecond, prefillMs, contextUsed, contextSize } = summary;
        set({ live: { chains: get().live?.chains ?? 0, tokensPerSecond, prefillMs, contextUsed, contextSize } });
      };

      try {
        finish(await bridge.chat({ messages, settings }, { onStart, onTokens }, abort.signal));
      } catch (error) {
        const e = error as Error;
        const message = e.name === 'AbortError' ? 'stopped' : e.message;
        patchMessage(messageId, (m) => ({ ...m, error: message }));
        if (e.name !== 'AbortError') set({ error: message });
      } finally {
        set({ streaming: null });
        abort = null;
      }
      await persist();
    };

    const start = (work: () => Promise<void>): Promise<void> => {
      stopRequested = false;
      set({ busy: true });
      const task = work().finally(() => {
        if (running === task) running = null;
        set({ busy: false });
      });
      running = task;
      return task;
    };

    return {
      conversations: [],
      current: emptyConversation(),
      busy: false,
      streaming: null,
      live: null,
      error: null,
      notice: null,

      async init() {
        try {
          set({ conversations: await bridge.listConversations() });
          const id = storage?.getItem(CURRENT_KEY);
          const saved = id ? await bridge.getConversation(id) : null;
          if (saved) set({ current: saved });
        } catch (error) {
          set({ error: `could not read conversations: ${(error as Error).message}` });
        }
      },

      async newChat() {
        await finishStreaming();
        set({ current: emptyConversation(), live: null, error: null });
      },

      async select(id) {
        if (id === get().current.id) return;
        await finishStreaming();
        try {
          const conversation = await bridge.getConversation(id);
          if (!conversation) throw new Error(`conversation ${id} is gone`);
          set({ current: conversation, live: null, error: null });
          remember(id);
        } catch (error) {
          set({ error: (error as Error).message });
        }
      },

      async remove(id) {
        if (id === get().current.id) await get().newChat();
        try {
          await bridge.deleteConversation(id);
          set({ conversations: get().conversations.filter((c) => c.id !== id) });
        } catch (error) {
          set({ error: `could not delete the conversation: ${(error as Error).message}` });
        }
      },

      send(text) {
        const content = text.trim();
        if (!content || get().busy) return Promise.resolve();
        return start(async () => {
          const current = get().current;
          const first = current.messages.length === 0;
          set({
            current: {
              ...current,
              title: first ? titleFrom(content) : current.title,
              messages: [...current.messages, { id: newId(), role: 'user', content }],
            },
          });
          await persist(); // the question is on disk before the answer starts
          await reply();
        });
      },

      async stop() {
        if (!get().busy) return;
        stopRequested = true;
        const streaming = get().streaming;
        if (!streaming) return; // the reply sees stopRequested when it starts
        if (streaming.requestId) await bridge.stopChat(streaming.requestId).catch(() => abort?.abort());
        else abort?.abort();
      },

      regenerate(messageId) {
        if (get().busy) return Promise.resolve();
        const messages = get().current.messages;
        const index = messages.findIndex((m) => m.id === messageId && m.role === 'assistant');
        if (index < 0) return Promise.resolve();
        return start(async () => {
          set({ current: { ...get().current, messages: messages.slice(0, index) } });
          await reply();
        });
      },

      editMessage(messageId, text) {
        const content = text.trim();
        if (!content || get().busy) return Promise.resolve();
        const messages = get().current.messages;
        const index = messages.findIndex((m) => m.id === messageId && m.role === 'user');
        if (index < 0) return Promise.resolve();
        return start(async () => {
          const edited = { ...messages[index]!, content };
          const title = index === 0 ? titleFrom(content) : get().current.title;
          set({ current: { ...get().current, title, messages: [...messages.slice(0, index), edited] } });
          await persist();
          await reply();
        });
      },

      async exportCurrent(format) {
        const current = get().current;
        if (current.messages.length === 0) {
          set({ error: 'there is nothing to export yet: this conversation has no messages' });
          return;
        }
        try {
          // The file is made from what is on disk: wait for a reply being saved first.
          await running;
          const outcome = await bridge.exportConversation(current.id, format);
          if (outcome.saved) set({ notice: `Exported "${current.title}"${outcome.where ? ` to ${outcome.where}` : ''}`, error: null });
        } catch (error) {
          set({ error: `could not export the conversation: ${(error as Error).message}` });
        }
      },

      async importFile(file) {
        let data: unknown;
        try {
          data = JSON.parse(await file.text());
        } catch (error) {
          set({ error: `could not import: the file is not JSON (${(error as Error).message})` });
          return;
        }
        try {
          const conversation = await bridge.importConversation(data);
          await finishStreaming();
          set({
            conversations: [summaryOf(conversation), ...get().conversations.filter((c) => c.id !== conversation.id)],
            current: conversation,
            live: null,
            error: null,
            notice: `Imported "${conversation.title}"`,
          });
          remember(conversation.id);
        } catch (error) {
          set({ error: `could not import: ${(error as Error).message}` });
        }
      },

      dismissError() {
        set({ error: null });
      },

      dismissNotice() {
        set({ notice: null });
      },
    };
  });
}
