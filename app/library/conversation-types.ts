// Conversations as they are kept on disk and shown in the UI. Plain data, no code: the server's
// API types and the renderer (type-only) share these shapes.
import type { ChatRole, FinishReason, TokenInfo } from '../host/protocol.js';

export interface MessageStats {
  model: string;
  finishReason: FinishReason;
  generatedTokens: number;
  promptTokens: number;
  droppedMessages: number;
  tokensPerSecond: number;
  prefillMs: number;
}

export interface StoredMessage {
  id: string;
  role: ChatRole;
  content: string;
  tokens?: TokenInfo[]; // assistant messages: which chain count made each token
  stats?: MessageStats;
  error?: string; // why the reply ended early, if it did
}

export interface Conversation {
  id: string;
  title: string;
  createdAt: number; // ms since the epoch
  updatedAt: number;
  messages: StoredMessage[];
}

export interface ConversationSummary {
  id: string;
  title: string;
  updatedAt: number;
  messageCount: number;
}

export type ExportFormat = 'json' | 'markdown';
