// Stop strings over streamed text ("\nUser:", "</answer>"). A stop string can arrive in many small
// pieces, so any tail of the text that could still grow into one is held back; the user never sees
// the first half of a stop string that then completes.

export interface StopStringResult {
  emit: string; // text that is now safe to show
  stopped: boolean; // a stop string completed; nothing after it is emitted, ever
  stop: string | null; // which stop string, when stopped
}

export class StopStringMatcher {
  private readonly stops: string[];
  private held = '';
  private stoppedBy: string | null = null;

  /** Empty strings are ignored: they would stop before the first character. */
  constructor(stops: readonly string[]) {
    this.stops = stops.filter((stop) => stop.length > 0);
  }

  get stopped(): boolean {
    return this.stoppedBy !== null;
  }

  push(text: string): StopStringResult {
    if (this.stoppedBy !== null) return { emit: '', stopped: true, stop: this.stoppedBy };
    const buffer = this.held + text;

    // The earliest stop wins; only held text and the new piece can contain it, because emitted
    // text never ends with the start of a stop string. A stop that completed is final only when no
    // longer stop could still complete from an earlier start ("<" in "c<" while "c<a" may follow).
    const found = this.firstStop(buffer);
    const pendingAt = buffer.length - this.longestTailThatStartsAStop(buffer);
    if (found !== null && found.at <= pendingAt) {
      this.stoppedBy = found.stop;
      this.held = '';
      return { emit: buffer.slice(0, found.at), stopped: true, stop: found.stop };
    }
    this.held = buffer.slice(pendingAt);
    return { emit: buffer.slice(0, pendingAt), stopped: false, stop: null };
  }

  /**
   * Held-back text at the end of generation. A stop that completed inside it while a longer one
   * was still possible applies now: only the text before it is returned.
   */
  flush(): string {
    if (this.stoppedBy !== null) return '';
    const rest = this.held;
    this.held = '';
    const found = this.firstStop(rest);
    if (found === null) return rest;
    this.stoppedBy = found.stop;
    return rest.slice(0, found.at);
  }

  private firstStop(buffer: string): { at: number; stop: string } | null {
    let first: { at: number; stop: string } | null = null;
    for (const stop of this.stops) {
      const at = buffer.indexOf(stop);
      if (at !== -1 && (first === null || at < first.at)) first = { at, stop };
    }
    return first;
  }

  private longestTailThatStartsAStop(buffer: string): number {
    let longest = 0;
    for (const stop of this.stops) {
      // A tail as long as the stop itself would be a full match, found above.
      for (let length = Math.min(stop.length - 1, buffer.length); length > longest; length--) {
        if (buffer.endsWith(stop.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}
