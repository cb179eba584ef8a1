// The HTTP bridge's request and response shapes, shared with the renderer (type-only imports).
// Streams are Server-Sent Events whose `data` is one JSON object with a `type`.
import type { ChatTurn, ErrorInfo, GenerationSettings, GenerationSummary, KvType, LoadProgressInfo, ModelInfo, TokenBatch } from '../host/protocol.js';
import type { AppEvent } from '../host/app-state.js';

export type * from '../host/protocol.js';
export type { AppState, PolicyPoint, PolicyView, Rules, RulesOutcome } from '../host/app-state.js';
export type * from '../library/conversation-types.js';
export type { LibraryEntry } from '../library/library-types.js';
export type { KvType } from '../host/protocol.js';

/** Every failed request answers { error } with a 4xx/5xx status. */
export interface ApiErrorBody {
  error: ErrorInfo;
}

// --- models ------------------------------------------------------------------------------------

export interface LoadModelBody {
  path: string;
  /** The session's context size, threads, KV cache type and device ('auto' | 'cpu' | 'cuda:N'); absent: the defaults. */
  options?: { contextSize?: number; threads?: number; kvType?: KvType; device?: string };
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
// Shapes in app/library/conversation-types.ts. GET /api/conversations/:id/export?format=json|markdown
// answers a file to save; POST /api/conversations/import takes an exported JSON file's content and
// answers the Conversation as saved (with a new id).

// --- model library -----------------------------------------------------------------------------
// GET /api/models/library answers LibraryEntry[], most recently loaded first;
// DELETE /api/models/library/:id forgets one (and deletes the copy of a dropped checkpoint).

// --- chain policy ------------------------------------------------------------------------------
// POST /api/policy/auto { auto } and POST /api/policy/manual { chains } answer the PolicyView;
// POST /api/policy/rules { rules } answers a RulesOutcome; POST /api/policy/simulation/restart
// (only with colm serve --simulate-power) replays the script and answers the PolicyView.

export interface PolicyAutoBody {
  auto: boolean;
}

export interface PolicyManualBody {
  chains: number;
}

export interface PolicyRulesBody {
  rules: unknown;
}

// --- server-pushed state -----------------------------------------------------------------------

export type ServerEvent = AppEvent;
