/**
 * A seeded pseudo-random generator for the chaos schedule (mulberry32: 32-bit state, a few lines, a full period
 * of 2^32; statistical quality is irrelevant here, replaying a schedule from its printed seed is what counts).
 * Not for anything secret: keys and preimages come from the CSPRNG.
 */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[this.int(0, items.length - 1)] as T;
  }

  /** `count` moments in [from, to) ms, sorted: one at a random point of each of `count` equal slots (spread, never bunched). */
  moments(count: number, from: number, to: number): number[] {
    const slot = count === 0 ? 0 : (to - from) / count;
    return Array.from({ length: count }, (_, i) => Math.floor(from + (i + this.next()) * slot));
  }
}
