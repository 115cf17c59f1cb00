/**
 * Admission control of routed payments (issue 15): the node takes at most `max` payments in flight (admitted by
 * `payment.send` or a routed `channel.propose`, not yet completed or refunded) and refuses the next one with
 * OVERLOADED before it signs anything, so past its capacity it keeps completing what it took with bounded
 * latency instead of letting every payment's latency (and the work of its timeouts and retries) grow with the
 * backlog. The refusal carries `retryAfterMs`: about how long the node takes to finish what it holds now, at the
 * rate it has been finishing payments.
 *
 * An admitted lock whose intent the payer never acknowledged never enters the payment table: `sweep` (on the
 * routing tick) frees its slot once it is older than `staleMs`, so a lost answer cannot shrink the bound for good.
 *
 * One payer's share: a slot is held until the payment ends, which for a payment to an offline payee is its lock's
 * expiry, so one user could otherwise fill the whole bound with payments nobody will claim and have the node
 * refuse everyone else. Once the node holds half its bound, a payer (a client of this node, named at `admit`)
 * that holds `perPayer` of them is refused too, while the others still get the rest. A payment pushed by a peer
 * node names no payer: that node's own bound shares out its users' payments.
 */
import { WireError } from "../wire/codes.js";

/** The default bound: picked by measurement, the A/B of bounds 64, 128 and 256 in docs/NODE.md "Overload". */
export const DEFAULT_MAX_PAYMENTS_IN_FLIGHT = 256;

/** The smallest and largest back-off hint (ms) sent with OVERLOADED. */
const MIN_RETRY_MS = 50;
const MAX_RETRY_MS = 5_000;
/** The window (ms) over which the finishing rate of the hint is measured. */
const RATE_WINDOW_MS = 2_000;

/** A payer's share of the bound once the node holds half of it: 1/16 of the bound, at least 1. */
export const payerShare = (max: number): number => Math.max(1, Math.floor(max / 16));

export interface AdmissionOptions {
  /** Payments in flight at most (0: no bound). */
  max: number;
  /** The payments one payer may hold once the node holds half its bound (default `payerShare(max)`). */
  perPayer?: number;
  /** How long an admitted lock may stay out of the payment table (its intent unanswered) before its slot is freed. */
  staleMs: number;
  /** A payment was refused (the refusals metric). */
  refused?(): void;
  clock?: () => number;
}

export class Admission {
  /** Lock hash → when it was admitted (ms), for every payment in flight. */
  private readonly open = new Map<string, number>();
  /** Lock hash → its payer, and payer → how many of the open ones it holds (payments that named a payer). */
  private readonly payerOf = new Map<string, string>();
  private readonly held = new Map<string, number>();
  private readonly clock: () => number;
  /** Payments finished in the current and the previous rate window. */
  private finishedNow = 0;
  private finishedBefore = 0;
  /** How long the previous window was (ms; 0 before the first roll). */
  private spanBefore = 0;
  private windowStart: number;

  constructor(private readonly options: AdmissionOptions) {
    this.clock = options.clock ?? Date.now;
    this.windowStart = this.clock();
  }

  /** Payments in flight now. */
  get size(): number {
    return this.open.size;
  }

  /**
   * Takes a slot for `lockHash`, or throws OVERLOADED (nothing else is done for the payment). A lock hash already
   * in flight takes no second slot (the payer's retry of a call whose answer it lost).
   */
  admit(lockHash: string, payer?: string): void {
    if (this.open.has(lockHash)) return;
    const max = this.options.max;
    if (max > 0 && this.open.size >= max) {
      this.options.refused?.();
      throw new WireError("OVERLOADED", `the node has ${this.open.size} payments in flight (its bound): try again later`, {
        retryAfterMs: this.retryAfterMs(),
      });
    }
    const holds = payer === undefined ? 0 : (this.held.get(payer) ?? 0);
    const share = this.options.perPayer ?? payerShare(max);
    if (max > 0 && payer !== undefined && 2 * this.open.size >= max && holds >= share) {
      this.options.refused?.();
      throw new WireError(
        "OVERLOADED",
        `this payer holds ${holds} of the node's ${this.open.size} payments in flight (a payer's share while the node is busy): try again later`,
        { retryAfterMs: this.retryAfterMs() },
      );
    }
    this.open.set(lockHash, this.clock());
    if (payer !== undefined) {
      this.payerOf.set(lockHash, payer);
      this.held.set(payer, holds + 1);
    }
  }

  /** How many payments in flight `payer` holds. */
  heldBy(payer: string): number {
    return this.held.get(payer) ?? 0;
  }

  private forget(lockHash: string): boolean {
    if (!this.open.delete(lockHash)) return false;
    const payer = this.payerOf.get(lockHash);
    if (payer !== undefined) {
      this.payerOf.delete(lockHash);
      const n = (this.held.get(payer) ?? 1) - 1;
      if (n > 0) this.held.set(payer, n);
      else this.held.delete(payer);
    }
    return true;
  }

  /** The payment ended (completed or refunded), or its send failed before the node signed it: its slot is free. */
  release(lockHash: string, finished: boolean): void {
    if (!this.forget(lockHash) || !finished) return;
    this.roll();
    this.finishedNow++;
  }

  /** Frees the slots of admitted locks older than `staleMs` that `inTable` does not know (never acknowledged). */
  sweep(inTable: (lockHash: string) => boolean): string[] {
    const before = this.clock() - this.options.staleMs;
    const freed: string[] = [];
    for (const [lockHash, at] of this.open) {
      if (at >= before) break; // admitted in order: the rest are younger
      if (inTable(lockHash)) continue;
      this.forget(lockHash);
      freed.push(lockHash);
    }
    return freed;
  }

  /** About how long the node takes to finish the payments it holds, at its recent rate (ms, clamped). */
  retryAfterMs(): number {
    this.roll();
    const elapsed = Math.max(this.clock() - this.windowStart, 1) + this.spanBefore;
    const perMs = (this.finishedNow + this.finishedBefore) / elapsed;
    const ms = perMs > 0 ? this.open.size / perMs : MAX_RETRY_MS;
    return Math.round(Math.min(MAX_RETRY_MS, Math.max(MIN_RETRY_MS, ms)));
  }

  private roll(): void {
    const now = this.clock();
    if (now - this.windowStart < RATE_WINDOW_MS) return;
    this.finishedBefore = this.finishedNow;
    this.spanBefore = now - this.windowStart;
    this.finishedNow = 0;
    this.windowStart = now;
  }
}
