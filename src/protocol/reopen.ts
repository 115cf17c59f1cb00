/**
 * The reopen update: the first state of a closed channel's next life cycle (PROTOCOL.md §8, "carry-on after a
 * close"). Pure: it reads the closed state and what the close paid on chain, never the chain itself.
 *
 * The contracts accept newer states after a close: the close record only refuses nonces up to the final one,
 * and each asset's defund nonce refuses a second payout of the same figures. A close paid each side its final
 * balance plus the deposits the final state had not processed, against the cumulative totals at that moment:
 *
 *   toAlice = balanceAlice + (totalAlice − processedAlice),  toBob = balanceBob + (totalBob − processedBob)
 *
 * so the totals the close paid against are `processed + paid − balance`, and the state that carries on is
 * nonce + 1, no transfer, both balances 0, processed = those totals and defund nonce + 1 for every asset the
 * close settled. Deposits that arrived after the close are above those totals and are reconciled by an ordinary
 * deposit update later. The figures must come from the close's own `AssetDefunded` events (what it paid), not
 * from the views, which already count later deposits.
 */
import { ZeroHash } from "ethers";

import { checksum } from "./address.js";
import { ReopenError } from "./errors.js";
import type { AssetState, ChannelState } from "./typedData.js";

/** The largest defund nonce a channel records (uint24 in the ledger slot: DefundNonceTooLarge above it). */
export const MAX_DEFUND_NONCE = (1n << 24n) - 1n;

/** What the close paid out of one asset: its `AssetDefunded(asset, toAlice, toBob, defundNonce)` event. */
export interface ClosePayout {
  asset: string;
  toAlice: bigint;
  toBob: bigint;
  defundNonce: bigint;
}

/** Starts the next life cycle of a channel closed on chain, from what the close paid (its events, in order). */
export interface ReopenDetails {
  type: "reopen";
  payouts: ClosePayout[];
}

/**
 * The state that carries a closed channel on: `closed` is the final state's channel state (the state machine's
 * latest state after the close). Throws ReopenError when `payouts` is not exactly one payout per asset of the
 * closed state, in its order, at its defund nonce, paying each side at least its final balance.
 */
export function reopenState(closed: ChannelState, details: ReopenDetails): ChannelState {
  const { payouts } = details;
  if (!Array.isArray(payouts)) throw new ReopenError("a reopen lists the close's payouts");
  if (payouts.length !== closed.assets.length) {
    throw new ReopenError(`the close settled ${closed.assets.length} asset(s), the reopen lists ${payouts.length}`);
  }
  const assets = closed.assets.map((a, i): AssetState => {
    const p = payouts[i] as ClosePayout;
    const where = `payouts[${i}]`;
    for (const field of ["toAlice", "toBob", "defundNonce"] as const) {
      const v = p[field];
      if (typeof v !== "bigint" || v < 0n || v >= 1n << 256n) throw new ReopenError(`${where}.${field} must be a uint256`);
    }
    let asset: string;
    try {
      asset = checksum(p.asset);
    } catch {
      throw new ReopenError(`${where}.asset must be an address, got ${String(p.asset)}`);
    }
    if (asset !== checksum(a.asset)) throw new ReopenError(`${where} is asset ${asset}, the close settled ${a.asset} there`);
    if (p.defundNonce !== a.defundNonce) {
      throw new ReopenError(`${where}: paid at defund nonce ${p.defundNonce}, the final state used ${a.defundNonce}`);
    }
    if (p.toAlice < a.balanceAlice || p.toBob < a.balanceBob) {
      throw new ReopenError(
        `${where}: the close paid (${p.toAlice}, ${p.toBob}), less than the final balances (${a.balanceAlice}, ${a.balanceBob})`,
      );
    }
    if (a.defundNonce + 1n > MAX_DEFUND_NONCE) {
      throw new ReopenError(`${where}: defund nonce ${a.defundNonce} is the last one the channel can record`);
    }
    return {
      asset: a.asset,
      balanceAlice: 0n,
      balanceBob: 0n,
      processedAlice: a.processedAlice + p.toAlice - a.balanceAlice,
      processedBob: a.processedBob + p.toBob - a.balanceBob,
      defundNonce: a.defundNonce + 1n,
    };
  });
  return { nonce: closed.nonce + 1n, timeout: closed.timeout, transfersRoot: ZeroHash, assets };
}
