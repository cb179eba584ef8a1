// A conversation's state in the engine: evaluate tokens at any chain count, and generate text
// as an async iterator of tokens. The chain count may change at every token (CoLM-Air: free;
// plain CoLM: growing recomputes the new chains' K/V over the past in the engine).
import type { KvType } from './kv-type.js';
import type { DeviceName } from './device-choice.js';
import type { Model } from './model.js';
import { loadAddon, type LogitsWanted, type NativeSession, type SamplerOptions } from './native.js';
import { StopStringMatcher } from './stop-strings.js';
import { TokenTextStream } from './text-stream.js';

export interface SessionOptions {
  contextSize?: number;
  threads?: number; // 0 or absent: the engine's default
  /** Keep the hidden states of the last position (tests of the nested property). */
  captureHidden?: boolean;
  /** Element type of the K/V cache (kv-type.ts); default 'bf16'. */
  kvType?: KvType;
  /** false: sliding-window layers keep the whole context too (tests). Default true. */
  windowRing?: boolean;
  /** "cpu" (default) or "cuda:N" (device-choice.ts decides; the native Session runs either). */
  device?: DeviceName;
}

/** A number, or a function read before every token (the chain policy). */
export type ChainChoice = number | ((position: number) => number);

export interface GenerateOptions extends SamplerOptions {
  chains?: ChainChoice; // default: all chains
  maxTokens?: number; // default 256
  stopStrings?: string[];
  /** Token ids that end generation; default Model.stopTokenIds (config, generation_config and tokenizer EOS). */
  stopTokens?: number[];
  signal?: AbortSignal;
}

export interface TokenTimings {
  prefillMs: number; // time to read the prompt and pick the first token
  tokenMs: number; // time to produce this token
  tokensPerSecond: number; // decode rate so far (0 for the first token)
}

export interface GeneratedToken {
  /** The token id; -1 for text released at the end (held-back bytes), which is no new token. */
  token: number;
  text: string; // new visible text (may be '' while a UTF-8 character or stop string is incomplete)
  chains: number; // the chain count that produced this token
  timings: TokenTimings;
}

export type FinishReason = 'stop' | 'length' | 'abort' | 'context';

export class Session {
  /** Tokens whose K/V the engine holds, mirrored here to reuse a shared prefix across turns. */
  private history: number[] = [];
  private lastFinish: FinishReason | null = null;

  constructor(
    readonly model: Model,
    private readonly native: NativeSession,
  ) {}

  get position(): number {
    return this.history.length;
  }

  get contextSize(): number {
    return this.native.contextSize;
  }

  /** Bytes the engine holds for this session's K/V cache, in its type. */
  get kvCacheBytes(): number {
    return this.native.kvCacheBytes;
  }

  /** The K/V cache's element type. */
  get kvType(): KvType {
    return this.native.kvType;
  }

  /** The backend running this session: "cpu" or "cuda:N". */
  get device(): string {
    return this.native.device ?? 'cpu';
  }

  /** Worker threads the engine uses for this session (resolved: never 0). */
  get threads(): number {
    return this.native.threads;
  }

  get tokens(): readonly number[] {
    return this.history;
  }

  /** Why the last generate() ended. */
  get finishReason(): FinishReason | null {
    return this.lastFinish;
  }

  private checkChains(chains: number): number {
    const n = this.model.chainCount;
    if (!Number.isInteger(chains) || chains < 1 || chains > n) {
      throw new RangeError(`chains must be an integer from 1 to ${n}, got ${chains}`);
    }
    return chains;
  }

  /** Appends tokens, evaluated position by position semantics at `chains`; returns the wanted logits. */
  async evaluate(tokens: readonly number[], options: { chains?: number; logits?: LogitsWanted } = {}): Promise<Float32Array | null> {
    const chains = this.checkChains(options.chains ?? this.model.chainCount);
    const result = await this.native.evaluate(Int32Array.from(tokens), chains, { logits: options.logits ?? 'last' });
    this.history.push(...tokens);
    return result.logits;
  }

  /** Reads a prompt the way generation does (CoLM-Air: cache from chain 1); the last position's logits. */
  async prefill(tokens: readonly number[], options: { chains?: number } = {}): Promise<Float32Array> {
    const chains = this.checkChains(options.chains ?? this.model.chainCount);
    const result = await this.native.evaluate(Int32Array.from(tokens), chains, { prefill: true, logits: 'last' });
    this.history.push(...tokens);
    return result.logits!;
  }

  /** Forgets every position from `length` on. */
  truncate(length: number): void {
    this.native.truncate(length);
    this.history.length = Math.min(this.history.length, Math.max(0, length));
  }

  /** Debug views for tests and tools. */
  kvCache(layer: number, values = false): Float32Array {
    return this.native.kvCache(layer, values);
  }
  kvChains(): Uint8Array {
    return this.native.kvChains();
  }
  lastHidden(): { data: Float32Array; chains: number } {
    return this.native.lastHidden();
  }

  setThreads(threads: number): void {
    this.native.setThreads(threads);
  }

  dispose(): void {
    this.native.dispose();
  }

  /**
   * Generates after `prompt` (token ids, e.g. a rendered chat). The session keeps its cache: a
   * prompt that starts with what the session already holds only evaluates the new tail.
   */
  async *generate(prompt: readonly number[], options: GenerateOptions = {}): AsyncGenerator<GeneratedToken, FinishReason> {
    const { signal } = options;
    const maxTokens = options.maxTokens ?? 256;
    const chainsAt = (position: number): number =>
      this.checkChains(typeof options.chains === 'function' ? options.chains(position) : options.chains ?? this.model.chainCount);
    const stopTokens = new Set(options.stopTokens ?? this.model.stopTokenIds);
    // What the caller leaves out, generation_config.json may say (FORMAT.md); else the sampler's own.
    const defaults = this.model.samplingDefaults;
    const addon = loadAddon();
    const sampler = new addon.Sampler({
      temperature: options.temperature ?? defaults.temperature ?? undefined,
      topK: options.topK ?? defaults.topK ?? undefined,
      topP: options.topP ?? defaults.topP ?? undefined,
      minP: options.minP,
      repeatPenalty: options.repeatPenalty ?? defaults.repeatPenalty ?? undefined,
      repeatLastN: options.repeatLastN,
      seed: options.seed ?? Math.floor(Math.random() * 2 ** 32),
    });
    if (prompt.length === 0) throw new RangeError('the prompt is empty: give at least one token (e.g. BOS)');

    // Reuse the longest common prefix of the cache; at least one prompt token is evaluated anew
    // because its logits are needed.
    let keep = 0;
    while (keep < this.history.length && keep < prompt.length - 1 && this.history[keep] === prompt[keep]) keep++;
    this.truncate(keep);
    let pending: number[] = prompt.slice(keep);
    if (this.position + pending.length >= this.contextSize) {
      this.lastFinish = 'context';
      throw new RangeError(`the prompt needs ${this.position + pending.length} positions but the context holds ${this.contextSize}`);
    }

    // The reply's text is decode(prompt + reply) minus decode(prompt) (FORMAT.md): the stream reads
    // the prompt first, so a SentencePiece reply keeps the space of its first word.
    const text = new TokenTextStream(this.model.tokenizer);
    text.skip(prompt);
    const stops = new StopStringMatcher(options.stopStrings ?? []);
    const onAbort = () => this.native.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    const start = performance.now();
    let prefillMs = 0;
    let decodeStart = 0;
    let produced = 0;
    let finish: FinishReason = 'length';
    try {
      while (produced < maxTokens) {
        if (signal?.aborted) {
          finish = 'abort';
          break;
        }
        if (this.position + pending.length > this.contextSize) {
          finish = 'context';
          break;
        }
        const chains = chainsAt(this.position + pending.length - 1);
        const t0 = performance.now();
        let result;
        try {
          result = await this.native.evaluate(Int32Array.from(pending), chains, {
            prefill: produced === 0,
            sampler,
            returnLogits: false,
          });
        } catch (error) {
          if ((error as Error).name === 'AbortError') {
            finish = 'abort';
            break;
          }
          throw error;
        }
        this.history.push(...pending);
        const now = performance.now();
        if (produced === 0) {
          prefillMs = now - start;
          decodeStart = now;
        }
        produced++;
        const token = result.token;
        const elapsed = (now - decodeStart) / 1000;
        const timings: TokenTimings = {
          prefillMs,
          tokenMs: now - t0,
          tokensPerSecond: produced > 1 && elapsed > 0 ? (produced - 1) / elapsed : 0,
        };
        if (stopTokens.has(token)) {
          // The stop token itself is not output; text still held back is.
          finish = 'stop';
          const rest = stops.push(text.flush()).emit + stops.flush();
          if (rest) yield { token: -1, text: rest, chains, timings };
          break;
        }
        const piece = stops.push(text.push(token));
        yield { token, text: piece.emit, chains, timings };
        if (piece.stopped) {
          finish = 'stop';
          break;
        }
        pending = [token];
      }
      if (finish === 'length' || finish === 'abort' || finish === 'context') {
        const rest = stops.stopped ? '' : stops.push(text.flush()).emit + stops.flush();
        if (stops.stopped) finish = 'stop'; // a stop string completed in the held-back tail
        if (rest) yield { token: -1, text: rest, chains: 0, timings: { prefillMs, tokenMs: 0, tokensPerSecond: 0 } };
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.lastFinish = finish;
    }
    return finish;
  }
}
