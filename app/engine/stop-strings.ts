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
    // text never ends with the start of a stop string.
    let firstAt = -1;
    for (const stop of this.stops) {
      const at = buffer.indexOf(stop);
      if (at !== -1 && (firstAt === -1 || at < firstAt)) {
        firstAt = at;
        this.stoppedBy = stop;
      }
    }
    if (firstAt !== -1) {
      this.held = '';
      return { emit: buffer.slice(0, firstAt), stopped: true, stop: this.stoppedBy };
    }

    const keep = this.longestTailThatStartsAStop(buffer);
    this.held = buffer.slice(buffer.length - keep);
    return { emit: buffer.slice(0, buffer.length - keep), stopped: false, stop: null };
  }

  /** Held-back text at the end of generation (it never became a stop string). */
  flush(): string {
    const rest = this.stoppedBy === null ? this.held : '';
    this.held = '';
    return rest;
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
