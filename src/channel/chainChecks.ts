/**
 * What a `Channel` checks against the chain before it signs: a deposit claim against the channel's on-chain
 * deposit totals, a reopen against what the close paid (its `AssetDefunded` events). "Cannot read the chain" is
 * never read as "fine": without a reader the check refuses, unless the caller chose to trust deposit claims.
 */
import { checksum } from "../protocol/address.js";
import { DepositError, ReopenError } from "../protocol/errors.js";
import type { ClosePayout } from "../protocol/reopen.js";

import type { ClosePayoutReader, DepositReader } from "./channel.js";

/** The payouts of the on-chain close of the final state `finalNonce` (a reopen may only follow a close on chain). */
export async function readClosePayoutsOf(reader: ClosePayoutReader | undefined, closed: boolean, finalNonce: bigint): Promise<ClosePayout[]> {
  if (reader === undefined) throw new ReopenError("no close payout reader configured: a reopen needs the close's events");
  if (!closed) throw new ReopenError("only a channel closed cooperatively can be reopened");
  return (await reader(finalNonce)).map(normalizePayout);
}

/** A reopen must name exactly what the close paid on chain (`onchain`), asset by asset, in order. */
export function checkReopenPayouts(onchain: readonly ClosePayout[], payouts: readonly ClosePayout[]): void {
  const same =
    onchain.length === payouts.length &&
    onchain.every((p, i) => {
      const q = payouts[i] as ClosePayout;
      return p.asset === q.asset && p.toAlice === q.toAlice && p.toBob === q.toBob && p.defundNonce === q.defundNonce;
    });
  if (!same) throw new ReopenError("the reopen's payouts differ from what the close paid on chain");
}

/**
 * A deposit claim (the totals a deposit update records) is at most what the chain holds. Without a reader it is
 * refused, unless `trust` (test fixtures and benches only) and not `required` (signing the counter-party's
 * deposit intent first always reads the chain).
 */
export async function checkDepositClaim(
  reader: DepositReader | undefined,
  trust: boolean,
  asset: string,
  d: { totalDepositsAlice: bigint; totalDepositsBob: bigint },
  required: boolean,
): Promise<void> {
  if (reader === undefined) {
    if (required) throw new DepositError(asset, "no deposit reader configured: a deposit intent is checked against the chain");
    if (!trust) throw new DepositError(asset, "no deposit reader configured: a deposit claim cannot be checked on chain");
    return;
  }
  const onchain = await reader(checksum(asset));
  if (d.totalDepositsAlice > onchain.alice || d.totalDepositsBob > onchain.bob) {
    throw new DepositError(asset, `claims deposits above the on-chain totals (${onchain.alice}, ${onchain.bob})`);
  }
}

/** A payout with its asset checksummed. */
export function normalizePayout(p: ClosePayout): ClosePayout {
  return { asset: checksum(p.asset), toAlice: p.toAlice, toBob: p.toBob, defundNonce: p.defundNonce };
}
