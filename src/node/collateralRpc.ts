/**
 * Where collateral meets the rest of the node:
 * - `channel.requestCollateral {asset, amount}` (login required): the method's spec and its handler, which acts
 *   only on the logged-in client's channel and within the node's policy (a request the policy refuses is
 *   answered INVALID_PARAMS with the reason). The service registers it (src/node/service.ts).
 * - `ensureRouteCollateral`: before the node accepts a routed payment, makes sure the payee's channel has the
 *   inbound capacity for it (just-in-time collateral), so the node never signs an upstream lock it cannot
 *   forward for want of balance.
 */
import type { Channel, Proposal } from "../channel/channel.js";
import { RouteError } from "../protocol/errors.js";
import type { UpdateDetails } from "../protocol/types.js";
import type { Node, RouteInstruction } from "../routing/node.js";
import { WireError } from "../wire/codes.js";
import { METHODS } from "../wire/methods.js";
import {
  CollateralCapacityError,
  CollateralPolicyError,
  type CollateralManager,
  type CollateralResult,
  type ProposeToPeer,
} from "./collateral.js";
import type { Session } from "./rpc.js";

/** The wire method `channel.requestCollateral` (its spec lives in src/wire/methods.ts with the others). */
export const REQUEST_COLLATERAL = METHODS["channel.requestCollateral"];
export const requestCollateralParams = REQUEST_COLLATERAL.params;
export const requestCollateralResult = REQUEST_COLLATERAL.result;

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

/**
 * The payee's channel lacks inbound capacity for a routed payment and the node could not add it (a RouteError:
 * the payer's `payment.send` is answered `ROUTE`, 4119, before the node signs anything upstream).
 */
export class RouteCollateralError extends RouteError {
  constructor(
    readonly recipient: string,
    cause: Error,
  ) {
    super(`no inbound capacity to ${recipient}: ${cause.message}`);
  }
}

/**
 * Just-in-time collateral for a routed payment: before `node.receive(from, proposal, route)` (or, sequenced,
 * `node.intent(from, details, route)`: pass the details), tops the payee's
 * channel up (through `collateral.ensure`) so the node's balance covers the amount it will lock downstream.
 * Does nothing for a proposal that is not a transfer creation. Throws RouteCollateralError (before the node
 * signs anything upstream) when the policy or the capacity refuses.
 */
export async function ensureRouteCollateral(
  node: Node,
  collateral: CollateralManager,
  proposal: Proposal | UpdateDetails,
  route: RouteInstruction,
  payee: ProposeToPeer,
): Promise<CollateralResult | undefined> {
  const details = "update" in proposal ? proposal.update?.details : proposal;
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
