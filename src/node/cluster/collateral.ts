/**
 * Just-in-time collateral for a payment a follower routes (cluster mode: only the leader does chain work). The
 * leader's `ensure` sends nothing when the node's balance in the payee's channel already covers the payment; the
 * follower makes that same check on the channel as the database holds it now, and asks the leader (a bus call and
 * its reply, with the leader's own re-read) only when a deposit may be needed. Between the check and the node's
 * signature another process may spend that balance, exactly as between the leader's check and the signature: the
 * forward is then refused by the channel (never signed above the balance) and the payment refunded.
 */
import type { UpdateDetails } from "../../protocol/types.js";
import type { NodeChannels } from "../channels.js";
import { nodeBalance } from "../collateral.js";
import type { RouteInstructionParams } from "../rpc.js";

/** Whether the leader must be asked for collateral before the node signs the payer's lock `details` along `route`. */
export async function collateralNeeded(channels: NodeChannels, details: UpdateDetails, route: RouteInstructionParams): Promise<boolean> {
  if (details.type !== "create") return false; // ensureRouteCollateral moves nothing for anything else
  const payee = await channels.current(route.recipient); // re-read unless this process holds its lock
  return nodeBalance(payee, details.transfer.asset) < (route.amount ?? details.transfer.amount);
}
