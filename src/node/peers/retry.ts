/**
 * The payer's node's retry of a payment across nodes (docs/PROTOCOL.md §17.6, docs/NODE.md "Peering"): the routing
 * Node asks it for another route when an attempt failed with nothing live downstream (the next node refused before
 * anything was signed, could not be reached, or cancelled the lock it had co-signed). It answers the cheapest route
 * of the node's graph for the same payer lock, avoiding every node (or, for the payee's node, every channel into it)
 * that refused before, within the payer's lock (its amount bounds the fees, its expiry the first downstream expiry,
 * the payee's lock keeps its amount and expiry), checked as `route.find` checks; or why none is left: the attempts
 * bound (`maxAttempts`, counting the first), the retry window (`withinMs` from the node's acceptance of the payer's
 * lock), or no route (NoRouteError and the checks' errors).
 */
import { checksum } from "../../protocol/address.js";
import type { ChannelGraph } from "../../routing/network/graph.js";
import { routeInstructionOf } from "../../routing/network/instruction.js";
import { alternatives } from "../../routing/network/pathfind.js";
import type { RouteExclusions } from "../../routing/network/types.js";
import { checkNetworkRoute } from "../../routing/network/validate.js";
import type { RerouteDecision, RouteFailure } from "../../routing/config.js";
import type { RoutedPayment } from "../../routing/payments.js";
import { legsOf } from "../../routing/retry.js";
import type { FeePolicy } from "../options.js";

/** How far the payer's node goes: attempts per payment (the first included) and milliseconds from its start. */
export interface RetryPolicy {
  maxAttempts: number;
  withinMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, withinMs: 30_000 };

export interface RerouteOptions {
  /** The node's address. */
  self: string;
  graph: ChannelGraph;
  fees: FeePolicy;
  policy?: RetryPolicy;
  /** Unix ms (default Date.now). */
  clock?: () => number;
}

/** The Node's `reroute` for a node with `options.graph`. */
export function networkReroute(options: RerouteOptions): (p: RoutedPayment, failure: RouteFailure) => RerouteDecision {
  const policy = options.policy ?? DEFAULT_RETRY;
  const self = checksum(options.self);
  return (p, failure) => {
    const attempts = p.attempts ?? [];
    const nowMs = (options.clock ?? Date.now)();
    if (attempts.length >= policy.maxAttempts) return { exhausted: `${attempts.length} attempts, the most this node makes per payment` };
    const started = p.startedAt ?? attempts[0]?.failedAt ?? nowMs;
    if (nowMs - started > policy.withinMs) return { exhausted: `the retry window of ${policy.withinMs} ms is over` };
    const legs = legsOf(p);
    const payee = legs[legs.length - 1];
    const payeeNode = legs[legs.length - 2];
    if (payee === undefined || payeeNode === undefined) return { exhausted: "the payment does not cross nodes" };
    const window = payee.expiry - failure.now;
    if (window <= 0n) return { exhausted: `the payee's lock expiry ${payee.expiry} has passed` };
    const asset = checksum(p.upstream.transfer.asset);
    const exclude = exclusions(attempts, self, checksum(payeeNode.recipient), (to) =>
      options.graph.edges(asset, failure.now).filter((e) => e.from === self && e.to === to).map((e) => e.channel),
    );
    const maxFee = p.upstream.transfer.amount - payee.amount;
    try {
      const request = {
        ...{ payer: p.upstream.peer, payerChannel: p.upstream.transfer.channel, payerTimeout: failure.upstreamTimeout },
        ...{ payerNode: self, payee: payee.recipient, payeeNode: payeeNode.recipient, asset, amount: payee.amount },
        ...{ lockHash: p.lockHash, payeeWindow: window, maxFee, maxExpiryIn: p.upstream.expiry },
      };
      const feeOf = (node: string): FeePolicy["default"] | undefined =>
        node === self ? (options.fees.assets.get(asset) ?? options.fees.default) : undefined;
      const route = alternatives(options.graph, request, { now: failure.now, feeOf }, exclude);
      checkNetworkRoute(route, { now: failure.now, maxFee, graph: options.graph });
      return { route: routeInstructionOf(route).instruction };
    } catch (error) {
      return { exhausted: error instanceof Error ? error.message : String(error) };
    }
  };
}

/**
 * What the failed attempts rule out: each refusing node when it forwards in the middle; for the payee's node (it
 * cannot be avoided) the node's own channels into it when it refused from there, else the node that relayed its
 * refusal (a cancel does not say who refused downstream: the relaying neighbour is avoided).
 */
function exclusions(
  attempts: ReadonlyArray<{ refusedBy: string }>,
  self: string,
  payeeNode: string,
  channelsTo: (node: string) => string[],
): RouteExclusions {
  const nodes = new Set<string>();
  const channels = new Set<string>();
  for (const a of attempts) {
    const who = checksum(a.refusedBy);
    if (who === payeeNode) for (const c of channelsTo(who)) channels.add(c);
    else if (who !== self) nodes.add(who);
  }
  return { nodes, channels };
}
