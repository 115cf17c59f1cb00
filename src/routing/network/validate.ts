/**
 * `checkNetworkRoute`: the checks a route must pass before anyone signs a lock for it (docs/PROTOCOL.md §17), by the
 * payer's node before its first downstream lock and by every node asked to forward before its own. Each refusal is
 * a typed error of ./errors.ts:
 * - RouteShapeError: no hops or too many; ends that are not the payer's and payee's nodes; a hop of another asset;
 *   a non-positive amount; a fee other than `amountIn - amountOut`; amounts or expiries that do not chain from hop
 *   to hop; a total fee or payee amount that disagrees with the hops; a malformed lock hash;
 * - RouteLoopError: a node or a channel twice;
 * - RouteExpiryError: `expiryIn - expiryOut < timeout + margin` at a hop (§12 rule 2 generalised), a downstream lock
 *   the upstream payer could outrun (§12 rule 3 with the SDK's window, = the channel timeout), an expired payee
 *   lock, or (for the checking node) a hop whose timeout is not its channel's;
 * - RouteFeeError: a total fee above the payer's maximum, or the checking node's fee below its schedule;
 * - RouteCapacityError: an inter-node channel the graph does not hold in that direction and asset, announced with
 *   another timeout, or with less capacity than the hop sends.
 * Pure and browser-safe.
 */
import { ZeroHash } from "ethers";

import { checksum } from "../../protocol/address.js";
import { DEFAULT_SAFETY_MARGIN } from "../../protocol/policies.js";

import { RouteCapacityError, RouteExpiryError, RouteFeeError, RouteLoopError, RouteShapeError } from "./errors.js";
import { forwardingFee } from "./fees.js";
import type { ChannelGraph } from "./graph.js";
import { DEFAULT_MAX_HOPS } from "./pathfind.js";
import type { FeeSchedule, NetworkRoute, RouteHop } from "./types.js";

/** The checking node's own view of its hop (a node asked to forward). */
export interface ForwarderView {
  /** The node's address: one hop of the route must be its. */
  node: string;
  /** The channel the node receives the upstream lock in (it must be the hop's `channel`). */
  upstreamChannel: string;
  /** That channel's dispute timeout (it must be the hop's `timeout`). */
  upstreamTimeout: bigint;
  /** The node's fee schedule for the route's asset: its hop's fee must be at least that. */
  fee: FeeSchedule;
}

export interface RouteCheckContext {
  /** Unix time in seconds, as the checking node sees it. */
  now: bigint;
  /** Seconds of safety margin (default DEFAULT_SAFETY_MARGIN). */
  margin?: bigint;
  /** Most forwarding nodes (default DEFAULT_MAX_HOPS). */
  maxHops?: number;
  /** The payer's maximum total fee (the payer's node checks it before it locks). */
  maxFee?: bigint;
  /** The graph the inter-node channels must be found in, with their capacity (omit to skip that check). */
  graph?: ChannelGraph;
  /** The checking node, when it is asked to forward. */
  self?: ForwarderView;
}

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

/** Throws the typed error of the module comment for the first rule `route` breaks; returns the checking node's hop index (or -1). */
export function checkNetworkRoute(route: NetworkRoute, ctx: RouteCheckContext): number {
  const margin = ctx.margin ?? DEFAULT_SAFETY_MARGIN;
  checkShape(route, ctx.maxHops ?? DEFAULT_MAX_HOPS);
  checkLoops(route);
  checkExpiries(route, ctx.now, margin);
  if (ctx.maxFee !== undefined && route.totalFee > ctx.maxFee) {
    throw new RouteFeeError(route.totalFee, ctx.maxFee, "above the most the payer accepted");
  }
  const mine = ctx.self === undefined ? -1 : checkSelf(route, ctx.self);
  if (ctx.graph !== undefined) checkChannels(route, ctx.graph, ctx.now);
  return mine;
}

function checkShape(route: NetworkRoute, maxHops: number): void {
  const hops = route.hops;
  if (hops.length === 0) throw new RouteShapeError("a route has at least one hop (the payee's node)");
  if (hops.length > maxHops) throw new RouteShapeError(`${hops.length} hops, above the bound of ${maxHops}`);
  if (!BYTES32.test(route.lockHash) || route.lockHash === ZeroHash) {
    throw new RouteShapeError(`lock hash ${route.lockHash} is not a non-zero bytes32`);
  }
  const first = hops[0] as RouteHop;
  const last = hops[hops.length - 1] as RouteHop;
  if (checksum(first.node) !== checksum(route.payerNode)) {
    throw new RouteShapeError(`the first hop is ${first.node}, not the payer's node ${route.payerNode}`);
  }
  if (checksum(last.node) !== checksum(route.payeeNode)) {
    throw new RouteShapeError(`the last hop is ${last.node}, not the payee's node ${route.payeeNode}`);
  }
  if (last.amountOut !== route.amount) {
    throw new RouteShapeError(`the payee gets ${last.amountOut} from the last hop, the route says ${route.amount}`);
  }
  let fees = 0n;
  hops.forEach((hop, i) => {
    if (checksum(hop.asset) !== checksum(route.asset))
      throw new RouteShapeError(`hop ${i} pays ${hop.asset}, not ${route.asset}`);
    if (hop.amountOut <= 0n) throw new RouteShapeError(`hop ${i} sends ${hop.amountOut}: amounts are positive`);
    if (hop.fee < 0n || hop.fee !== hop.amountIn - hop.amountOut) {
      throw new RouteShapeError(
        `hop ${i}: fee ${hop.fee} is not amountIn ${hop.amountIn} - amountOut ${hop.amountOut}`,
      );
    }
    const next = hops[i + 1];
    if (next !== undefined && next.amountIn !== hop.amountOut) {
      throw new RouteShapeError(`hop ${i} sends ${hop.amountOut} but hop ${i + 1} receives ${next.amountIn}`);
    }
    if (next !== undefined && next.expiryIn !== hop.expiryOut) {
      throw new RouteShapeError(`hop ${i}'s lock expires at ${hop.expiryOut} but hop ${i + 1}'s at ${next.expiryIn}`);
    }
    fees += hop.fee;
  });
  if (route.totalFee !== fees || route.totalFee !== first.amountIn - route.amount) {
    throw new RouteShapeError(
      `total fee ${route.totalFee} is not the hops' ${fees} (= ${first.amountIn} - ${route.amount})`,
    );
  }
}

function checkLoops(route: NetworkRoute): void {
  const nodes = new Set<string>();
  const channels = new Set<string>();
  for (const hop of route.hops) {
    const node = checksum(hop.node);
    const channel = checksum(hop.channel);
    if (nodes.has(node)) throw new RouteLoopError(node, "the node forwards twice");
    if (channels.has(channel)) throw new RouteLoopError(channel, "the channel is crossed twice");
    nodes.add(node);
    channels.add(channel);
  }
}

function checkExpiries(route: NetworkRoute, now: bigint, margin: bigint): void {
  route.hops.forEach((hop, i) => {
    const needed = hop.expiryOut + hop.timeout + margin;
    if (hop.expiryIn < needed) {
      throw new RouteExpiryError(
        i,
        `upstream expiry ${hop.expiryIn} must be at least ${needed} (downstream expiry ${hop.expiryOut} + upstream ` +
          `channel timeout ${hop.timeout}s + margin ${margin}s)`,
      );
    }
    const latest = now + 2n * hop.timeout - margin;
    if (hop.expiryOut > latest) {
      throw new RouteExpiryError(
        i,
        `downstream expiry ${hop.expiryOut} is after ${latest} (now ${now} + upstream channel timeout and settle window ` +
          `${hop.timeout}s each - margin ${margin}s): the upstream payer could be refunded before the preimage arrives`,
      );
    }
  });
  const last = route.hops[route.hops.length - 1] as RouteHop;
  if (last.expiryOut <= now + margin) {
    throw new RouteExpiryError(
      route.hops.length - 1,
      `the payee's lock expires at ${last.expiryOut}, not after now ${now} + margin ${margin}s`,
    );
  }
}

function checkSelf(route: NetworkRoute, self: ForwarderView): number {
  const node = checksum(self.node);
  const i = route.hops.findIndex((h) => checksum(h.node) === node);
  if (i < 0) throw new RouteShapeError(`${node} is asked to forward a route it is not a hop of`);
  const hop = route.hops[i] as RouteHop;
  if (checksum(hop.channel) !== checksum(self.upstreamChannel)) {
    throw new RouteShapeError(`hop ${i} arrives in ${hop.channel}, not in ${self.upstreamChannel} where the lock is`);
  }
  if (hop.timeout !== self.upstreamTimeout) {
    throw new RouteExpiryError(
      i,
      `the route plans with timeout ${hop.timeout}s, the upstream channel's is ${self.upstreamTimeout}s`,
    );
  }
  const owed = forwardingFee(self.fee, hop.amountOut);
  if (hop.fee < owed) throw new RouteFeeError(hop.fee, owed, `below ${node}'s fee for sending ${hop.amountOut} on`);
  return i;
}

function checkChannels(route: NetworkRoute, graph: ChannelGraph, now: bigint): void {
  for (let i = 1; i < route.hops.length; i++) {
    const hop = route.hops[i] as RouteHop;
    const from = (route.hops[i - 1] as RouteHop).node;
    const edge = graph.edge(hop.channel, from, route.asset, now);
    if (edge === undefined || edge.to !== checksum(hop.node)) {
      throw new RouteCapacityError(
        checksum(hop.channel),
        `not in the graph from ${from} to ${hop.node} in ${route.asset}`,
      );
    }
    if (edge.timeout !== hop.timeout) {
      throw new RouteCapacityError(
        edge.channel,
        `announced with timeout ${edge.timeout}s, the route plans ${hop.timeout}s`,
      );
    }
    if (edge.capacity < hop.amountIn) {
      throw new RouteCapacityError(
        edge.channel,
        `${from} announced ${edge.capacity}, less than the ${hop.amountIn} the hop sends`,
      );
    }
  }
}
