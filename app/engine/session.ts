// A conversation's state in the engine: evaluate tokens at any chain count, and generate text
// as an async iterator of tokens. The chain count may change at every token (CoLM-Air: free;
// plain CoLM: growing recomputes the new chains' K/V over the past in the engine).
import type { KvType } from './kv-type.js';
import type { DeviceName } from './device-choice.js';
import type { Model } from './model.js';
import { loadAddon, type LogitsWanted, type NativeSampler, type NativeSession, type SamplerOptions } from './native.js';
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
  /**
   * 'native' (default): the engine's decode loop, one call per reply. 'per-token': one
   * evaluate() round trip per token, the earlier path (kept for the bench and equality tests).
   */
  decodeLoop?: 'native' | 'per-token';
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

/** One generate() call's state, shared by both loops. */
interface Generation {
  pending: number[]; // the prompt's tail not yet in the cache
  chainsAt: (position: number) => number;
  lockstep: boolean; // a chain function: the engine waits for each next token's count
  sampler: NativeSampler;
  maxTokens: number;
  stopTokens: Set<number>;
  text: TokenTextStream;
  stops: StopStringMatcher;
  signal: AbortSignal | undefined;
  start: number;
}

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
   * The engine's decode loop samples, checks stop tokens and reads the chain count per token
   * without a round trip per token (a chain function is called as each token arrives, for the
   * next one); stop strings, the abort signal and an early break end it within one token.
   */
  async *generate(prompt: readonly number[], options: GenerateOptions = {}): AsyncGenerator<GeneratedToken, FinishReason> {
    const run = this.startGeneration(prompt, options);
    return yield* options.decodeLoop === 'per-token' ? this.perTokenLoop(run) : this.nativeLoop(run);
  }

  private startGeneration(prompt: readonly number[], options: GenerateOptions): Generation {
    const chainsAt = (position: number): number =>
      this.checkChains(typeof options.chains === 'function' ? options.chains(position) : options.chains ?? this.model.chainCount);
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
    const pending: number[] = prompt.slice(keep);
    if (this.position + pending.length >= this.contextSize) {
      this.lastFinish = 'context';
      throw new RangeError(`the prompt needs ${this.position + pending.length} positions but the context holds ${this.contextSize}`);
    }
    // The reply's text is decode(prompt + reply) minus decode(prompt) (FORMAT.md): the stream reads
    // the prompt first, so a SentencePiece reply keeps the space of its first word.
    const text = new TokenTextStream(this.model.tokenizer);
    text.skip(prompt);
    return {
      pending,
      chainsAt,
      lockstep: typeof options.chains === 'function',
      sampler,
      maxTokens: options.maxTokens ?? 256,
      stopTokens: new Set(options.stopTokens ?? this.model.stopTokenIds),
      text,
      stops: new StopStringMatcher(options.stopStrings ?? []),
      signal: options.signal,
      start: performance.now(),
    };
  }

  /** Text still held back (an incomplete character or stop string) at the end, and the finish it implies. */
  private *releaseHeldText(g: Generation, finish: FinishReason, prefillMs: number): Generator<GeneratedToken, FinishReason> {
    if (finish === 'length' || finish === 'abort' || finish === 'context') {
      const rest = g.stops.stopped ? '' : g.stops.push(g.text.flush()).emit + g.stops.flush();
      if (g.stops.stopped) finish = 'stop'; // a stop string completed in the held-back tail
      if (rest) yield { token: -1, text: rest, chains: 0, timings: { prefillMs, tokenMs: 0, tokensPerSecond: 0 } };
    }
    return finish;
  }

  /** The engine's decode loop: tokens arrive through a callback and queue until the consumer takes them. */
  private async *nativeLoop(g: Generation): AsyncGenerator<GeneratedToken, FinishReason> {
    const { signal, stops, text } = g;
    const queue: Array<{ token: number; chains: number; evalMs: number; atMs: number }> = [];
    let wake: (() => void) | null = null;
    let settled = false;
    let failure: unknown = null;
    let nativeFinish = 'length' as FinishReason;
    let finish: FinishReason = 'length';
    let prefillMs = 0;
    let firstAt = 0;
    let produced = 0;
    let last = -1;
    const onAbort = () => this.native.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    let running: Promise<void> | null = null;
    try {
      if (signal?.aborted) {
        finish = yield* this.releaseHeldText(g, 'abort', prefillMs);
        return finish;
      }
      const firstChains = g.chainsAt(this.position + g.pending.length - 1);
      const callStart = performance.now();
      running = this.native
        .generate(
          Int32Array.from(g.pending),
          { chains: firstChains, sampler: g.sampler, maxTokens: g.maxTokens, stopTokens: Int32Array.from(g.stopTokens), prefill: true, lockstep: g.lockstep },
          (token, chains, evalMs, atMs) => {
            queue.push({ token, chains, evalMs, atMs });
            wake?.();
          },
        )
        .then(
          (r) => {
            nativeFinish = r.finish;
            settled = true;
            wake?.();
          },
          (error: unknown) => {
            failure = error;
            settled = true;
            wake?.();
          },
        );
      for (;;) {
        if (signal?.aborted) {
          finish = 'abort';
          break;
        }
        const t = queue.shift();
        if (t === undefined) {
          if (settled) {
            if (failure) throw failure;
            finish = nativeFinish === 'stop' ? 'length' : nativeFinish; // a stop token ends below, on its own
            break;
          }
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
          continue;
        }
        // The evaluation that gave this token read the prompt's tail (first) or the previous token.
        if (produced === 0) {
          this.history.push(...g.pending);
          prefillMs = callStart - g.start + t.atMs;
          firstAt = t.atMs;
        } else {
          this.history.push(last);
        }
        produced++;
        const elapsed = (t.atMs - firstAt) / 1000;
        const timings: TokenTimings = { prefillMs, tokenMs: t.evalMs, tokensPerSecond: produced > 1 && elapsed > 0 ? (produced - 1) / elapsed : 0 };
        if (g.stopTokens.has(t.token)) {
          // The stop token itself is not output; text still held back is.
          finish = 'stop';
          const rest = stops.push(text.flush()).emit + stops.flush();
          if (rest) yield { token: -1, text: rest, chains: t.chains, timings };
          break;
        }
        const piece = stops.push(text.push(t.token));
        if (!piece.stopped && g.lockstep && produced < g.maxTokens) {
          // The next token evaluates this one, at its position: its chain count is due now, and
          // the engine works on it while the consumer handles this one.
          this.native.release(g.chainsAt(this.position));
        }
        yield { token: t.token, text: piece.emit, chains: t.chains, timings };
        if (piece.stopped) {
          finish = 'stop';
          break;
        }
        last = t.token;
      }
      finish = yield* this.releaseHeldText(g, finish, prefillMs);
      return finish;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (running && !settled) {
        this.native.cancel();
        await running;
      }
      // The engine may have evaluated tokens the consumer never took: keep what history says
      // (unless the session was disposed meanwhile).
      let position = -1;
      try {
        position = this.native.position;
      } catch {
        // disposed
      }
      if (position > this.history.length) this.native.truncate(this.history.length);
      this.lastFinish = finish;
    }
  }

  /** One evaluate() round trip per token: the path before the native loop (bench, equality tests). */
  private async *perTokenLoop(g: Generation): AsyncGenerator<GeneratedToken, FinishReason> {
    const { signal, stops, text, sampler, maxTokens, stopTokens } = g;
    let pending = g.pending;
    const onAbort = () => this.native.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
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
        const chains = g.chainsAt(this.position + pending.length - 1);
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
          prefillMs = now - g.start;
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
      finish = yield* this.releaseHeldText(g, finish, prefillMs);
      return finish;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.lastFinish = finish;
    }
  }
}
