/**
 * Where collateral meets the rest of the node:
 * - `channel.requestCollateral {asset, amount}` (login required): the method's spec and its handler, which acts
 *   only on the logged-in client's channel and within the node's policy (a request the policy refuses is
 *   answered INVALID_PARAMS with the reason). The service registers the handler in one line
 *   (`"channel.requestCollateral": requestCollateralHandler({...})`) once the method is in src/wire/methods.ts.
 * - `ensureRouteCollateral`: before the node accepts a routed payment, makes sure the payee's channel has the
 *   inbound capacity for it (just-in-time collateral), so the node never signs an upstream lock it cannot
 *   forward for want of balance.
 */
import { z } from "zod";

import type { Channel, Proposal } from "../channel/channel.js";
import { SwitchyardError } from "../protocol/errors.js";
import type { Node, RouteInstruction } from "../routing/node.js";
import { WireError } from "../wire/codes.js";
import type { MethodSpec } from "../wire/methods.js";
import { address, bytes32, uint256 } from "../wire/schemas.js";
import {
  CollateralCapacityError,
  CollateralPolicyError,
  type CollateralManager,
  type CollateralResult,
  type ProposeToPeer,
} from "./collateral.js";
import type { Session } from "./rpc.js";

export const requestCollateralParams = z.strictObject({ asset: address, amount: uint256 });
export const requestCollateralResult = z.strictObject({
  channel: address,
  asset: address,
  deposited: uint256,
  withdrawn: uint256,
  balance: uint256,
  tx: bytes32.optional(),
});

/** The wire method (add it to METHODS in src/wire/methods.ts under "channel.requestCollateral"). */
export const REQUEST_COLLATERAL: MethodSpec<typeof requestCollateralParams, typeof requestCollateralResult> = {
  auth: true,
  params: requestCollateralParams,
  result: requestCollateralResult,
  summary:
    "the node deposits (as alice) so its balance in the caller's channel reaches max(target, amount), within its collateral policy and the channel capacity, and reconciles it",
};

export interface RequestCollateralDeps {
  collateral: CollateralManager;
  /** The node's channel with a client (the logged-in address). */
  channelOf(client: string): Promise<Channel>;
  /** How the node puts its updates to that client (its sequencer and socket). */
  proposerOf(client: string): ProposeToPeer;
}

/** The handler of `channel.requestCollateral`. */
export function requestCollateralHandler(
  deps: RequestCollateralDeps,
): (params: unknown, session: Session) => Promise<CollateralResult> {
  return async (params, session) => {
    const client = session.auth.address;
    if (client === undefined) throw new WireError("UNAUTHORIZED", "log in first (auth.challenge, then auth.login)");
    const { asset, amount } = requestCollateralParams.parse(params);
    const channel = await deps.channelOf(client);
    try {
      return await deps.collateral.request(channel, asset, amount, deps.proposerOf(client));
    } catch (error) {
      if (error instanceof CollateralPolicyError || error instanceof CollateralCapacityError)
        throw new WireError("INVALID_PARAMS", error.message);
      throw error;
    }
  };
}

/** The payee's channel lacks inbound capacity for a routed payment and the node could not add it. */
export class RouteCollateralError extends SwitchyardError {
  constructor(
    readonly recipient: string,
    cause: Error,
  ) {
    super("ROUTE_COLLATERAL", `no inbound capacity to ${recipient}: ${cause.message}`);
  }
}

/**
 * Just-in-time collateral for a routed payment: before `node.receive(from, proposal, route)`, tops the payee's
 * channel up (through `collateral.ensure`) so the node's balance covers the amount it will lock downstream.
 * Does nothing for a proposal that is not a transfer creation. Throws RouteCollateralError (before the node
 * signs anything upstream) when the policy or the capacity refuses.
 */
export async function ensureRouteCollateral(
  node: Node,
  collateral: CollateralManager,
  proposal: Proposal,
  route: RouteInstruction,
  payee: ProposeToPeer,
): Promise<CollateralResult | undefined> {
  const details = proposal.update?.details;
  if (details?.type !== "create") return undefined;
  const amount = route.amount ?? details.transfer.amount;
  const channel = node.channel(route.recipient);
  try {
    return await collateral.ensure(channel, details.transfer.asset, amount, payee);
  } catch (error) {
    if (error instanceof CollateralPolicyError || error instanceof CollateralCapacityError)
      throw new RouteCollateralError(route.recipient, error);
    throw error;
  }
}
