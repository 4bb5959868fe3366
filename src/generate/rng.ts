const MASK64 = (1n << 64n) - 1n;

/**
 * SplitMix64: a 64-bit counter through a strong mixer. Pure integer arithmetic, so a seed gives the same
 * stream on every machine and Node version (Math.random cannot be seeded).
 */
export class Rng {
  private state: bigint;

  constructor(seed: number) {
    this.state = BigInt.asUintN(64, BigInt(Math.trunc(seed)));
  }

  /** The next 64 random bits. */
  nextBits(): bigint {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = this.state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  }

  /** A double uniform in [0, 1) from the top 53 bits. */
  next(): number {
    return Number(this.nextBits() >> 11n) / 2 ** 53;
  }
}

/** A seed for runs that did not ask for one. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32);
}
