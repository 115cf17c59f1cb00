/**
 * Per-connection limits: a token bucket for the request rate, and a misbehaviour score that decays with time
 * and disconnects a client past a threshold.
 */

/** A token bucket: `burst` tokens, refilled at `ratePerSecond`; each request takes one. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token if there is one; otherwise returns how many ms until there is. */
  take(): { ok: true } | { ok: false; retryAfterMs: number } {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000) };
  }

  private refill(): void {
    const t = this.now();
    const elapsed = Math.max(0, t - this.last) / 1000;
    this.last = t;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.ratePerSecond);
  }
}

/**
 * A misbehaviour score: each bad message adds its weight, the score falls by one point every `decayMs`, and
 * `add` reports when it reaches `limit` (the caller then disconnects).
 */
export class MisbehaviourScore {
  private score = 0;
  private last: number;

  constructor(
    private readonly limit: number,
    private readonly decayMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.last = now();
  }

  get value(): number {
    this.decay();
    return this.score;
  }

  /** Adds `weight`; true when the score is now at or above the limit. */
  add(weight = 1): boolean {
    this.decay();
    this.score += weight;
    return this.score >= this.limit;
  }

  private decay(): void {
    const t = this.now();
    const points = Math.floor((t - this.last) / this.decayMs);
    if (points > 0) {
      this.score = Math.max(0, this.score - points);
      this.last += points * this.decayMs;
    }
  }
}
