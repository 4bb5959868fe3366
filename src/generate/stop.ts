/**
 * Finds stop strings in streamed text. Text that might be the start of a stop string is held back until the
 * next piece decides it, so no part of a stop string is ever emitted, even when it spans several tokens.
 */
export class StopMatcher {
  private pending = '';
  private readonly stops: readonly string[];

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((s) => s.length > 0);
  }

  /** Adds a piece; returns the text now safe to emit, and whether a stop string was completed (text before it only). */
  push(piece: string): { text: string; stopped: boolean } {
    this.pending += piece;
    let first = -1;
    for (const s of this.stops) {
      const at = this.pending.indexOf(s);
      if (at !== -1 && (first === -1 || at < first)) first = at;
    }
    if (first !== -1) {
      const text = this.pending.slice(0, first);
      this.pending = '';
      return { text, stopped: true };
    }
    const hold = this.heldBack();
    const text = this.pending.slice(0, this.pending.length - hold);
    this.pending = this.pending.slice(this.pending.length - hold);
    return { text, stopped: false };
  }

  /** What is held back, released when generation ends without a stop. */
  flush(): string {
    const text = this.pending;
    this.pending = '';
    return text;
  }

  /** Length of the longest end of the pending text that begins some stop string. */
  private heldBack(): number {
    let longest = 0;
    for (const s of this.stops) {
      for (let n = Math.min(s.length - 1, this.pending.length); n > longest; n--) {
        if (this.pending.endsWith(s.slice(0, n))) {
          longest = n;
          break;
        }
      }
    }
    return longest;
  }
}
