/**
 * `route.find` (docs/NODE.md "Peering"): the payer's node computes a route across nodes from its graph of signed
 * announcements (src/routing/network findRoute: cheapest fee within capacity, bounded hops, expiries planned
 * backwards with the route rules), checks it (checkNetworkRoute: shape, loops, expiries, the payer's fee bound)
 * and answers it; the payer checks it again, locks `hops[0].amountIn` until `hops[0].expiryIn` and sends the
 * instruction routes' `routeInstructionOf` (src/routing/network/instruction.ts) makes of it with `payment.send`.
 */
import { checksum } from "../../protocol/address.js";
import { RouteError } from "../../protocol/errors.js";
import type { ChannelGraph } from "../../routing/network/graph.js";
import { findRoute } from "../../routing/network/pathfind.js";
import type { NetworkRoute } from "../../routing/network/types.js";
import { checkNetworkRoute } from "../../routing/network/validate.js";
import type { FeePolicy } from "../options.js";

export interface RouteFindParams {
  payee: string;
  payeeNode: string;
  asset: string;
  amount: bigint;
  lockHash: string;
  payeeWindow?: bigint;
  maxFee?: bigint;
}

export interface RouteFindContext {
  self: string;
  graph: ChannelGraph;
  fees: FeePolicy;
  now: bigint;
  /** The payer's channel with this node and its timeout. */
  payerChannel: string;
  payerTimeout: bigint;
}

/** The checked cheapest route from `payer` (a user of this node) to `params.payee` at `params.payeeNode`. */
export function findNetworkRoute(payer: string, params: RouteFindParams, ctx: RouteFindContext): NetworkRoute {
  if (checksum(params.payeeNode) === ctx.self) {
    throw new RouteError("the payee is this node's own user: send the payment with a one-node route");
  }
  const route = findRoute(
    ctx.graph,
    {
      payer: checksum(payer),
      payerChannel: ctx.payerChannel,
      payerTimeout: ctx.payerTimeout,
      payerNode: ctx.self,
      payee: params.payee,
      payeeNode: params.payeeNode,
      asset: params.asset,
      amount: params.amount,
      lockHash: params.lockHash,
      ...(params.payeeWindow !== undefined ? { payeeWindow: params.payeeWindow } : {}),
      ...(params.maxFee !== undefined ? { maxFee: params.maxFee } : {}),
    },
    {
      now: ctx.now,
      feeOf: (node, asset) => (node === ctx.self ? (ctx.fees.assets.get(checksum(asset)) ?? ctx.fees.default) : undefined),
    },
  );
  checkNetworkRoute(route, { now: ctx.now, ...(params.maxFee !== undefined ? { maxFee: params.maxFee } : {}), graph: ctx.graph });
  return route;
}
