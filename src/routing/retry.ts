/**
 * The payer's node's retry of a payment across nodes (docs/PROTOCOL.md §17.6), apart from the Node's state: what a
 * failed attempt adds to the payment, and the next attempt planned for the same upstream lock. The Node calls it
 * only when nothing of the failed attempt is live downstream (its lock was never signed, or it was cancelled), so
 * at most one attempt's downstream lock exists at any time.
 */
import type { Channel } from "../channel/channel.js";
import type { RerouteDecision, RouteFailure, RouteStep } from "./config.js";
import type { RoutedPayment } from "./payments.js";
import { planRoute, type RouteContext } from "./plan.js";

/** What the next attempt is planned with: the node's route context, the payer's channel, the node's channels. */
export interface RetryContext {
  node: RouteContext;
  payer: { address: string; channel: Channel };
  channelWith: (peer: string) => Channel | undefined;
}

/** The locks of `p`'s current attempt after the node's own: its downstream lock, then the onward steps (payee last). */
export function legsOf(p: RoutedPayment): RouteStep[] {
  const d = p.downstream;
  if (d === undefined) return [];
  const legs: RouteStep[] = [{ recipient: d.peer, expiry: d.expiry, amount: d.transfer.amount }];
  const o = p.onward;
  if (o !== undefined) legs.push({ recipient: o.recipient, expiry: o.expiry, amount: o.amount ?? d.transfer.amount }, ...(o.path ?? []));
  return legs;
}

/**
 * What follows the failure of `p`'s attempt at the payer's node: `retry` with the next attempt's payment (the route
 * `reroute` chose, planned and checked for the same upstream lock as the first attempt was, "accepted" again, the
 * failed attempts recorded), or the payment to refund with its attempts and why none is left (`exhausted`). A route
 * the node's own checks refuse (RouteError, TimeoutError) ends the retries too.
 */
export function nextAttempt(
  p: RoutedPayment,
  failed: { peer: string; channel: string; reason: string },
  ctx: RetryContext,
  reroute: (p: RoutedPayment, failure: RouteFailure) => RerouteDecision,
): { retry: boolean; next: RoutedPayment } {
  const at = Date.now();
  const attempts = [...(p.attempts ?? []), { path: legsOf(p).map((l) => l.recipient), refusedBy: failed.peer, reason: failed.reason, failedAt: at }];
  const failure: RouteFailure = { ...failed, upstreamTimeout: ctx.payer.channel.channelSetup.timeout, now: ctx.node.now };
  const decision = reroute({ ...p, attempts }, failure);
  if ("exhausted" in decision) return { retry: false, next: { ...p, attempts, exhausted: decision.exhausted } };
  try {
    const lock = { type: "create" as const, transfer: p.upstream.transfer };
    // The lock hash is this payment's own (the previous attempt ended with nothing live downstream): not "routed".
    const planned = planRoute({ ...ctx.node, routed: () => false, attempt: attempts.length }, ctx.payer, lock, decision.route, ctx.channelWith);
    return { retry: true, next: { ...planned, attempts, ...(p.startedAt !== undefined ? { startedAt: p.startedAt } : {}) } };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { retry: false, next: { ...p, attempts, exhausted: `the next route was refused by this node: ${why}` } };
  }
}
