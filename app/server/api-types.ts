// The HTTP bridge's request and response shapes, shared with the renderer (type-only imports).
// Streams are Server-Sent Events whose `data` is one JSON object with a `type`.
import type {
  ChatRole,
  ChatTurn,
  ErrorInfo,
  FinishReason,
  GenerationSettings,
  GenerationSummary,
  HostStatus,
  LoadProgressInfo,
  ModelInfo,
  TokenBatch,
  TokenInfo,
} from '../host/protocol.js';

export type * from '../host/protocol.js';

export interface AppState {
  model: ModelInfo | null;
  loading: { name: string; progress: LoadProgressInfo } | null;
  host: { status: HostStatus; restarts: number; message: string | null };
  version: string;
}

/** Every failed request answers { error } with a 4xx/5xx status. */
export interface ApiErrorBody {
  error: ErrorInfo;
}

// --- models ------------------------------------------------------------------------------------

export interface LoadModelBody {
  path: string;
}

export type LoadEvent =
  | { type: 'progress'; progress: LoadProgressInfo }
  | { type: 'loaded'; model: ModelInfo }
  | { type: 'error'; error: ErrorInfo };

// --- chat --------------------------------------------------------------------------------------

export interface ChatRequestBody {
  messages: ChatTurn[];
  settings: GenerationSettings;
}

export type ChatEvent =
  | { type: 'start'; requestId: string }
  | { type: 'tokens'; batch: TokenBatch }
  | { type: 'done'; summary: GenerationSummary }
  | { type: 'error'; error: ErrorInfo };

export interface StopChatBody {
  requestId: string;
}

// --- conversations -----------------------------------------------------------------------------

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

// --- server-pushed state -----------------------------------------------------------------------

export type ServerEvent = { type: 'state'; state: AppState } | { type: 'crashed'; message: string };
