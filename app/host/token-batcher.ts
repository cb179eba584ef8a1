// Gathers generated tokens and hands them on at most every `intervalMs`: a tiny model makes
// thousands of tokens a second, and one IPC message (and one React render) per token would cost
// more than the tokens themselves. A slow model still sends each token as soon as it exists
// once the interval has passed since the last batch.
import type { TokenBatch, TokenInfo } from './protocol.js';

export interface BatchStats {
  tokensPerSecond: number;
  prefillMs: number;
  contextUsed: number;
  contextSize: number;
}

export class TokenBatcher {
  private text = '';
  private tokens: TokenInfo[] = [];
  private lastFlush: number;

  constructor(
    private readonly intervalMs: number,
    private readonly send: (batch: TokenBatch) => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastFlush = this.now();
  }

  /** A token (chains > 0) or trailing text that belongs to no new token (token === null). */
  push(token: TokenInfo | null, text: string, stats: BatchStats): void {
    if (token) this.tokens.push(token);
    this.text += text;
    if (this.now() - this.lastFlush >= this.intervalMs) this.flush(stats);
  }

  flush(stats: BatchStats): void {
    this.lastFlush = this.now();
    if (this.tokens.length === 0 && this.text === '') return;
    const batch: TokenBatch = { text: this.text, tokens: this.tokens, ...stats };
    this.text = '';
    this.tokens = [];
    this.send(batch);
  }
}
