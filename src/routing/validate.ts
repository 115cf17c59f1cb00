/**
 * The routing node's boundary: a payer's proposal and route instruction are parsed (zod, src/wire/schemas.ts)
 * before the node reads a field of them, so a route `expiry` given as a JS number, a missing recipient or a
 * malformed proposal is refused with MalformedMessageError before anything is planned, signed or stored.
 */
import type { Proposal } from "../channel/channel.js";
import { checkedProposal } from "../channel/validate.js";
import { MalformedMessageError } from "../protocol/errors.js";
import { WireValidationError } from "../wire/codes.js";
import { routeInstruction } from "../wire/methods.js";
import { validate } from "../wire/schemas.js";
import type { RouteInstruction } from "./node.js";

/** A route instruction: the recipient, the downstream expiry (a bigint of unix seconds), its amount, the onward path. */
export { routeInstruction };

/** The node's `receive` arguments, checked; `channel` is the address of the channel the proposal arrives in. */
export function checkedRouteCall(
  proposal: unknown,
  route: unknown,
  channel: string,
): { proposal: Proposal; route: RouteInstruction | undefined } {
  const checked = checkedProposal(proposal, channel);
  if (route === undefined) return { proposal: checked, route: undefined };
  try {
    const r = validate(routeInstruction, route, "route instruction");
    return {
      proposal: checked,
      route: {
        recipient: r.recipient,
        expiry: r.expiry,
        ...(r.amount !== undefined ? { amount: r.amount } : {}),
        ...(r.path !== undefined ? { path: r.path } : {}),
      },
    };
  } catch (error) {
    if (error instanceof WireValidationError)
      throw new MalformedMessageError("route instruction", error.message, error.issues);
    throw error;
  }
}
