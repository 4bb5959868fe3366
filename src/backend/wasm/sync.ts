/**
 * Waits until ctrl[index] differs from `value` and returns the new value: a short spin first (a job or a
 * result usually arrives within microseconds, far less than a futex wake-up), then Atomics.wait.
 */
export function waitWhileEqual(ctrl: Int32Array, index: number, value: number, spins: number): number {
  for (let i = 0; i < spins; i++) {
    const now = Atomics.load(ctrl, index);
    if (now !== value) return now;
  }
  for (;;) {
    Atomics.wait(ctrl, index, value);
    const now = Atomics.load(ctrl, index);
    if (now !== value) return now;
  }
}
