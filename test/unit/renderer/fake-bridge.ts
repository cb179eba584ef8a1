// A Bridge held in memory for store and component tests: conversations in a Map, a model that
// "loads" or fails on demand, and chats whose token batches the test pushes by hand.
import type {
  AppState,
  Bridge,
  ChatHandlers,
  ChatRequestBody,
  Conversation,
  ExportFormat,
  ExportOutcome,
  GenerationSummary,
  LibraryEntry,
  LoadProgressInfo,
  ModelInfo,
  PolicyView,
  Rules,
  RulesOutcome,
  ServerEvent,
  SessionOptions,
  TokenBatch,
  UploadFile,
} from '../../../renderer/bridge/types.js';
import { BridgeError } from '../../../renderer/bridge/types.js';

export function fakeModel(chainCount = 4, name = 'tiny.safetensors'): ModelInfo {
  return {
    path: `/models/${name}`,
    name,
    packaging: 'single-file',
    modelType: 'colm',
    kvSharing: true,
    chainRatios: Array(chainCount).fill(1),
    chainCount,
    layers: 3,
    vocabSize: 300,
    contextSize: 256,
    threads: 4,
    dtypes: ['F32'],
    weightType: 'F32',
    samplingDefaults: { temperature: null, topK: null, topP: null, repeatPenalty: null },
    contextLength: 4096,
    mappedBytes: 400_000,
    kernels: 'scalar',
    subModels: Array.from({ length: chainCount }, (_, i) => ({ chains: i + 1, width: 16 * (i + 1), heads: 2 * (i + 1), ffn: 32 * (i + 1), parameters: 20_000 * (i + 1) ** 2 })),
    defaultContextSize: 256,
    kvCache: { fullLayers: 3, windowedLayers: 0, window: null, kvType: 'bf16', kvHeads: 2, headDim: 8, rowBytes: 64 }, // 2 KV heads x 8 x bf16, K and V
    kvCacheBytes: 3 * 64 * 256,
    kvType: 'bf16',
  };
}

export function batch(text: string, chains: number, pieces = 1): TokenBatch {
  return {
    text,
    tokens: Array.from({ length: pieces }, (_, i) => ({ chains, text: i === 0 ? text : '' })),
    tokensPerSecond: 120,
    prefillMs: 3,
    contextUsed: 20,
    contextSize: 256,
  };
}

export function summary(finishReason: GenerationSummary['finishReason'] = 'stop', generatedTokens = 2): GenerationSummary {
  return { finishReason, promptTokens: 10, droppedMessages: 0, generatedTokens, tokensPerSecond: 120, prefillMs: 3, contextUsed: 22, contextSize: 256 };
}

export const DEFAULT_RULES_FOR_TESTS: Rules = {
  onBattery: { enabled: true, fewer: 1 },
  lowBattery: { enabled: true, enterBelow: 0.3, leaveAbove: 0.35, chains: 1, criticalBelow: 0.1 },
  gpuBusy: { enabled: true, enterAbove: 0.7, leaveBelow: 0.6, fewer: 1, freeBelow: 0.05, freeLeaveAbove: 0.1 },
  thermal: { enabled: true, at: 'serious', chains: 1 },
  dwellMs: 10_000,
};

export function fakePolicyView(patch: Partial<PolicyView> = {}): PolicyView {
  return {
    chains: 4,
    chainCount: 4,
    reason: '4/4 chains: on AC, GPU free',
    auto: true,
    rules: structuredClone(DEFAULT_RULES_FOR_TESTS),
    history: [],
    simulated: null,
    gpu: null,
    ...patch,
  };
}

/** A chat the test drives: push batches, then end it. */
export interface PendingChat {
  request: ChatRequestBody;
  handlers: ChatHandlers;
  requestId: string;
  finish(s?: GenerationSummary): void;
  fail(error: BridgeError): void;
}

export class FakeBridge implements Bridge {
  state: AppState = { model: null, loading: null, host: { status: 'ready', restarts: 0, message: null }, version: 'test', policy: null, devices: null };
  /** Every command sent to the chain policy, in order. */
  policyCalls: (['auto', boolean] | ['manual', number] | ['rules', unknown] | ['battery', unknown])[] = [];
  /** What the next setPolicyRules answers; default: accepted as given, over the defaults. */
  nextRulesOutcome: RulesOutcome | null = null;
  /** Set to make reportBattery available (the desktop bridge has it, the HTTP one does not). */
  reportBattery?: (battery: { level: number; charging: boolean } | null) => Promise<void>;
  conversations = new Map<string, Conversation>();
  chats: PendingChat[] = [];
  stopped: string[] = [];
  uploads: UploadFile[][] = [];
  saves = 0;
  /** Every load's path (or the first file's path) and session options. */
  loads: { path: string; options: SessionOptions | undefined }[] = [];
  exports: { id: string; format: ExportFormat }[] = [];
  library: LibraryEntry[] = [];
  listeners = new Set<(e: ServerEvent) => void>();
  /** What the next load does: a model, or an error. */
  nextLoad: ModelInfo | BridgeError = fakeModel();
  /** When set, chats end by themselves with these batches. */
  autoReply: { batches: TokenBatch[]; summary: GenerationSummary } | null = null;

  async getState(): Promise<AppState> {
    return structuredClone(this.state);
  }

  subscribe(listener: (e: ServerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  push(event: ServerEvent): void {
    for (const l of this.listeners) l(event);
  }

  private async load(onProgress: (p: LoadProgressInfo) => void): Promise<ModelInfo> {
    onProgress({ stage: 'mapping', fraction: 0.5 });
    await Promise.resolve();
    if (this.nextLoad instanceof BridgeError) throw this.nextLoad;
    this.state.model = this.nextLoad;
    return this.nextLoad;
  }

  loadModelFromPath(path: string, onProgress: (p: LoadProgressInfo) => void, options?: SessionOptions): Promise<ModelInfo> {
    this.loads.push({ path, options });
    return this.load(onProgress);
  }

  uploadModel(files: UploadFile[], onProgress: (p: LoadProgressInfo) => void, options?: SessionOptions): Promise<ModelInfo> {
    this.uploads.push(files);
    this.loads.push({ path: files[0]?.path ?? '', options });
    return this.load(onProgress);
  }

  chat(request: ChatRequestBody, handlers: ChatHandlers): Promise<GenerationSummary> {
    const requestId = `req-${this.chats.length + 1}`;
    return new Promise((resolve, reject) => {
      this.chats.push({ request, handlers, requestId, finish: (s = summary()) => resolve(s), fail: reject });
      handlers.onStart(requestId);
      if (this.autoReply) {
        for (const b of this.autoReply.batches) handlers.onTokens(b);
        resolve(this.autoReply.summary);
      }
    });
  }

  async stopChat(requestId: string): Promise<void> {
    this.stopped.push(requestId);
    const chat = this.chats.find((c) => c.requestId === requestId);
    chat?.finish(summary('abort'));
  }

  async listConversations() {
    return [...this.conversations.values()].map((c) => ({ id: c.id, title: c.title, updatedAt: c.updatedAt, messageCount: c.messages.length }));
  }

  async getConversation(id: string): Promise<Conversation | null> {
    const c = this.conversations.get(id);
    return c ? structuredClone(c) : null;
  }

  async saveConversation(conversation: Conversation): Promise<void> {
    this.saves++;
    this.conversations.set(conversation.id, structuredClone(conversation));
  }

  async deleteConversation(id: string): Promise<void> {
    this.conversations.delete(id);
  }

  async exportConversation(id: string, format: ExportFormat): Promise<ExportOutcome> {
    if (!this.conversations.has(id)) throw new BridgeError({ name: 'NotFound', message: `no conversation "${id}"` });
    this.exports.push({ id, format });
    return { saved: true, where: `/exports/${id}.${format === 'json' ? 'json' : 'md'}` };
  }

  async importConversation(data: unknown): Promise<Conversation> {
    const inner = (data as { conversation?: Conversation }).conversation ?? (data as Conversation);
    if (!Array.isArray(inner?.messages)) throw new BridgeError({ name: 'BadRequest', message: 'the imported conversation has no messages array' });
    const conversation = { ...structuredClone(inner), id: `imported-${this.conversations.size + 1}` };
    this.conversations.set(conversation.id, conversation);
    return structuredClone(conversation);
  }

  async listLibrary(): Promise<LibraryEntry[]> {
    return structuredClone(this.library);
  }

  async removeFromLibrary(id: string): Promise<void> {
    this.library = this.library.filter((e) => e.id !== id);
  }

  async setChainAuto(auto: boolean): Promise<PolicyView | null> {
    this.policyCalls.push(['auto', auto]);
    if (this.state.policy) this.state.policy = { ...this.state.policy, auto };
    return this.state.policy ? structuredClone(this.state.policy) : null;
  }

  async setManualChains(chains: number): Promise<PolicyView | null> {
    this.policyCalls.push(['manual', chains]);
    if (this.state.policy) this.state.policy = { ...this.state.policy, auto: false, chains, reason: `${chains}/${this.state.policy.chainCount} chains: manual` };
    return this.state.policy ? structuredClone(this.state.policy) : null;
  }

  async setPolicyRules(rules: unknown): Promise<RulesOutcome> {
    this.policyCalls.push(['rules', rules]);
    // Like parseRules: what is left out comes from the defaults.
    return this.nextRulesOutcome ?? { ok: true, rules: { ...structuredClone(DEFAULT_RULES_FOR_TESTS), ...(rules as Partial<Rules>) } };
  }
}

export function libraryEntry(model: ModelInfo, id = model.name): LibraryEntry {
  return {
    id,
    path: model.path,
    name: model.name,
    bytes: model.mappedBytes,
    modelType: model.modelType,
    weightType: model.weightType,
    contextLength: model.contextLength,
    fileKind: 'safetensors',
    kvSharing: model.kvSharing,
    chainRatios: model.chainRatios,
    chainCount: model.chainCount,
    parameters: model.subModels.map((s) => s.parameters),
    lastLoadedAt: 1,
  };
}

/** A Storage in memory (happy-dom has one too, but tests want their own, empty each time). */
export function memoryStorage(): Storage {
  const data = new Map<string, string>();
  return {
    get length() {
      return data.size;
    },
    clear: () => data.clear(),
    getItem: (k) => data.get(k) ?? null,
    key: (i) => [...data.keys()][i] ?? null,
    removeItem: (k) => void data.delete(k),
    setItem: (k, v) => void data.set(k, String(v)),
  };
}

export const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
