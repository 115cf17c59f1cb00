/**
 * Pathfinding over the channel graph (docs/PROTOCOL.md §17): the payer's node looks for the route to the payee's
 * node with the lowest total fee that every hop can carry, within a bounded number of forwarding nodes, and plans
 * its amounts and expiries backwards from the payee:
 * - the payee's lock (the last hop's `expiryOut`) ends at `now + payeeWindow`;
 * - each hop's upstream lock ends its upstream channel's timeout plus the margin later: `expiryIn = expiryOut + T + m`;
 * - each hop's node is paid its fee on top of what it sends on: `amountIn = amountOut + fee(amountOut)`;
 * - an inter-node channel is usable in a direction when its sender announced at least `amountIn` of capacity;
 * - each hop must meet the settle-window rule (§12 rule 3) with the SDK's window (= the channel's timeout):
 *   `expiryOut + m <= now + 2T`. This is what bounds a route's length when timeouts do not grow towards the payer.
 *
 * Ties on the fee go to fewer hops, then to the lexicographically smaller sequence of nodes, then of channels, so
 * the answer does not depend on the order announcements arrived in. The search is a depth-first walk backwards
 * from the payee's node over simple paths, pruned by the best fee found so far and by `maxFee`; a visit budget
 * bounds its work on large graphs. Pure and browser-safe.
 */
import { checksum } from "../../protocol/address.js";
import { DEFAULT_SAFETY_MARGIN } from "../../protocol/policies.js";

import { NoRouteError } from "./errors.js";
import { forwardingFee } from "./fees.js";
import type { ChannelGraph } from "./graph.js";
import type { FeeSchedule, GraphEdge, NetworkRoute, RouteExclusions, RouteHop, RouteRequest } from "./types.js";

/** Most forwarding nodes in a route (`route.hops.length`) by default: up to three node-to-node channels. */
export const DEFAULT_MAX_HOPS = 4;
/**
 * Seconds from now to the payee's lock expiry by default: one default channel timeout (86,400 s, the node config's
 * `channelTimeout`) plus the default margin, plus 600 s for the route's forwarding time and clock skew, so that the
 * payee's node can meet the lifetime rule `E >= now + T + m` for its payee.
 */
export const DEFAULT_PAYEE_WINDOW = 86_400n + DEFAULT_SAFETY_MARGIN + 600n;
/** Node expansions one search may make by default before it answers with the best route found so far. */
export const DEFAULT_MAX_VISITS = 200_000;

export interface PathfindOptions {
  /** Unix time in seconds (the payer's node's clock). */
  now: bigint;
  /** Seconds of safety margin per hop (default DEFAULT_SAFETY_MARGIN, as the single-node rules). */
  margin?: bigint;
  /** Most forwarding nodes in a route, payer's and payee's node included (default DEFAULT_MAX_HOPS). */
  maxHops?: number;
  /** Seconds from now to the payee's lock expiry, when the request names none (default DEFAULT_PAYEE_WINDOW). */
  payeeWindow?: bigint;
  /** Nodes and channels to avoid. */
  exclude?: RouteExclusions;
  /** A node's fee schedule when the caller knows it better than the graph (its own `fees`, a payee node's info). */
  feeOf?: (node: string, asset: string) => FeeSchedule | undefined;
  /** Node expansions before the search stops (default DEFAULT_MAX_VISITS). */
  maxVisits?: number;
}

/** Compares two routes: lower total fee, then fewer hops, then nodes, then channels (lexicographically). */
export function compareRoutes(x: NetworkRoute, y: NetworkRoute): number {
  if (x.totalFee !== y.totalFee) return x.totalFee < y.totalFee ? -1 : 1;
  if (x.hops.length !== y.hops.length) return x.hops.length - y.hops.length;
  for (let i = 0; i < x.hops.length; i++) {
    const a = x.hops[i] as RouteHop;
    const b = y.hops[i] as RouteHop;
    if (a.node !== b.node) return a.node < b.node ? -1 : 1;
  }
  for (let i = 0; i < x.hops.length; i++) {
    const a = x.hops[i] as RouteHop;
    const b = y.hops[i] as RouteHop;
    if (a.channel !== b.channel) return a.channel < b.channel ? -1 : 1;
  }
  return 0;
}

/** The cheapest route for `request`; throws NoRouteError when the graph holds none. */
export function findRoute(graph: ChannelGraph, request: RouteRequest, options: PathfindOptions): NetworkRoute {
  const req = normalizeRequest(request);
  const margin = options.margin ?? DEFAULT_SAFETY_MARGIN;
  const maxHops = options.maxHops ?? DEFAULT_MAX_HOPS;
  const window = req.payeeWindow ?? options.payeeWindow ?? DEFAULT_PAYEE_WINDOW;
  const now = options.now;
  if (req.amount <= 0n) throw new NoRouteError(`the amount must be positive, got ${req.amount}`);
  if (!Number.isInteger(maxHops) || maxHops < 1)
    throw new NoRouteError(`maxHops must be a positive integer, got ${maxHops}`);
  const exclude = normalizeExclusions(options.exclude);
  for (const node of [req.payerNode, req.payeeNode]) {
    if (exclude.nodes.has(node)) throw new NoRouteError(`${node} is excluded and is an end of the route`);
  }
  const fees = new Map<string, FeeSchedule | undefined>();
  const feeOf = (node: string): FeeSchedule | undefined => {
    if (!fees.has(node)) fees.set(node, options.feeOf?.(node, req.asset) ?? graph.feeOf(node, req.asset, now));
    return fees.get(node);
  };
  // The live edges into each node, read once (in the graph's stable order).
  const into = new Map<string, GraphEdge[]>();
  for (const edge of graph.edges(req.asset, now)) {
    const list = into.get(edge.to);
    if (list === undefined) into.set(edge.to, [edge]);
    else list.push(edge);
  }
  const maxVisits = options.maxVisits ?? DEFAULT_MAX_VISITS;
  let visits = 0;
  let best: NetworkRoute | undefined;

  const visit = (node: string, amountOut: bigint, expiryOut: bigint, seen: Set<string>, tail: RouteHop[]): void => {
    if (++visits > maxVisits) return;
    const schedule = feeOf(node);
    if (schedule === undefined) return;
    const fee = forwardingFee(schedule, amountOut);
    const amountIn = amountOut + fee;
    const totalFee = amountIn - req.amount;
    if (req.maxFee !== undefined && totalFee > req.maxFee) return;
    if (
      best !== undefined &&
      (totalFee > best.totalFee || (totalFee === best.totalFee && tail.length + 1 > best.hops.length))
    )
      return;
    const hopAt = (channel: string, timeout: bigint): RouteHop | undefined => {
      if (expiryOut + margin > now + 2n * timeout) return undefined; // §12 rule 3 with window = timeout
      return {
        node,
        channel,
        asset: req.asset,
        amountIn,
        amountOut,
        expiryIn: expiryOut + timeout + margin,
        expiryOut,
        fee,
        timeout,
      };
    };
    if (node === req.payerNode) {
      const hop = hopAt(req.payerChannel, req.payerTimeout);
      if (hop === undefined || (req.maxExpiryIn !== undefined && hop.expiryIn > req.maxExpiryIn)) return;
      const route: NetworkRoute = {
        payer: req.payer,
        payerNode: req.payerNode,
        payee: req.payee,
        payeeNode: req.payeeNode,
        asset: req.asset,
        lockHash: req.lockHash,
        amount: req.amount,
        hops: [hop, ...tail],
        totalFee,
      };
      if (best === undefined || compareRoutes(route, best) < 0) best = route;
      return;
    }
    if (tail.length + 1 >= maxHops) return;
    for (const edge of into.get(node) ?? []) {
      if (seen.has(edge.from) || exclude.nodes.has(edge.from) || exclude.channels.has(edge.channel)) continue;
      if (edge.capacity < amountIn) continue;
      const hop = hopAt(edge.channel, edge.timeout);
      if (hop === undefined) continue;
      seen.add(edge.from);
      visit(edge.from, amountIn, hop.expiryIn, seen, [hop, ...tail]);
      seen.delete(edge.from);
    }
  };

  visit(req.payeeNode, req.amount, now + window, new Set([req.payeeNode]), []);
  if (best === undefined) {
    const why =
      visits > maxVisits
        ? `the search stopped after ${maxVisits} visits`
        : "no path meets capacity, fees and expiry rules";
    throw new NoRouteError(`${req.payerNode} → ${req.payeeNode}, ${req.amount} of ${req.asset}: ${why}`);
  }
  return best;
}

/**
 * The cheapest route that avoids `refused` as well as `options.exclude`: what the payer's node asks for after a hop
 * refused (see `refusalExclusions`). Throws NoRouteError when none is left.
 */
export function alternatives(
  graph: ChannelGraph,
  request: RouteRequest,
  options: PathfindOptions,
  refused: RouteExclusions,
): NetworkRoute {
  const base = normalizeExclusions(options.exclude);
  const more = normalizeExclusions(refused);
  return findRoute(graph, request, {
    ...options,
    exclude: {
      nodes: new Set([...base.nodes, ...more.nodes]),
      channels: new Set([...base.channels, ...more.channels]),
    },
  });
}

/**
 * What to avoid once `node` refused (or did not answer for) `route`: the node itself when it forwards in the middle,
 * else the channel that reaches it (the payee's node cannot be avoided, only another way into it).
 */
export function refusalExclusions(route: NetworkRoute, node: string): RouteExclusions {
  const who = checksum(node);
  const i = route.hops.findIndex((h) => h.node === who);
  if (i < 0) return {};
  const hop = route.hops[i] as RouteHop;
  if (i > 0 && i < route.hops.length - 1) return { nodes: new Set([who]) };
  return i === 0 ? {} : { channels: new Set([hop.channel]) };
}

function normalizeRequest(r: RouteRequest): RouteRequest {
  return {
    ...r,
    payer: checksum(r.payer),
    payerChannel: checksum(r.payerChannel),
    payerNode: checksum(r.payerNode),
    payee: checksum(r.payee),
    payeeNode: checksum(r.payeeNode),
    asset: checksum(r.asset),
    lockHash: r.lockHash.toLowerCase(),
  };
}

function normalizeExclusions(e: RouteExclusions | undefined): { nodes: Set<string>; channels: Set<string> } {
  return {
    nodes: new Set([...(e?.nodes ?? [])].map(checksum)),
    channels: new Set([...(e?.channels ?? [])].map(checksum)),
  };
}
