// The training progress line: step, a bar, the loss (and every sub-model's), tokens/s and the
// time left. On a terminal it redraws one line; otherwise it writes a line every few seconds.

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const two = (x: number) => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${two(m)}:${two(s % 60)}`;
}

export function formatProgress(p: { step: number; total: number; loss: number; lossPerChain: number[]; tokensPerSecond: number; etaSeconds: number }): string {
  const width = 20;
  const done = Math.min(width, Math.round((width * p.step) / Math.max(1, p.total)));
  const bar = '#'.repeat(done) + '.'.repeat(width - done);
  const chains = p.lossPerChain.length > 1 ? ` [${p.lossPerChain.map((l, k) => `k${k + 1} ${l.toFixed(3)}`).join(' ')}]` : '';
  return `step ${p.step}/${p.total} [${bar}] loss ${p.loss.toFixed(4)}${chains} ${Math.round(p.tokensPerSecond)} tok/s ETA ${clock(p.etaSeconds)}`;
}

export class Progress {
  private lastWrite = 0;
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly intervalMs = 5000,
  ) {}

  /** A progress line: redrawn in place on a terminal, else at most one per interval. */
  update(line: string, force = false): void {
    const now = performance.now();
    if (this.stream.isTTY) {
      this.stream.write(`\r\x1b[2K${line}`);
      this.drawn = true;
      return;
    }
    if (!force && now - this.lastWrite < this.intervalMs) return;
    this.lastWrite = now;
    this.stream.write(line + '\n');
  }

  /** A line that stays (evaluation, saving): written below the progress line. */
  note(line: string): void {
    if (this.stream.isTTY && this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
    this.stream.write(line + '\n');
  }

  finish(): void {
    if (this.stream.isTTY && this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
