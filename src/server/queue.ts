/** Gives a slot back; calling it twice is harmless. */
export type Release = () => void;

/**
 * At most `slots` generations run at once; up to `maxWaiting` more wait their turn in arrival order,
 * and anything past that is turned away at once (the caller answers 429) rather than queued unboundedly.
 */
export class SlotQueue {
  private running = 0;
  private readonly waiting: Array<{ grant: (release: Release) => void; cancel: () => void }> = [];

  constructor(
    private readonly slots: number,
    private readonly maxWaiting: number,
    /** Told whenever the number running or waiting changes (metrics). */
    private readonly onChange: () => void = () => {},
  ) {}

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * A promise of a slot, or null when the queue is full. If `signal` aborts while waiting, the promise
   * rejects with the signal's reason and the place in line is given up.
   */
  acquire(signal: AbortSignal): Promise<Release> | null {
    if (this.running < this.slots) {
      this.running++;
      this.onChange();
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.maxWaiting) return null;
    return new Promise<Release>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        this.onChange();
        reject(signal.reason);
      };
      const entry = {
        grant: (release: Release) => {
          signal.removeEventListener('abort', onAbort);
          resolve(release);
        },
        cancel: onAbort,
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
      this.onChange();
    });
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next in line, so `running` only drops when nobody waits.
      if (next) next.grant(this.releaser());
      else this.running--;
      this.onChange();
    };
  }
}
