/**
 * Verifies a channel a client restores from its node (`channel.restore`): nothing the node says is taken
 * without both parties' signatures over it. Browser-safe.
 */
import { checksum } from "../protocol/address.js";
import { stateDigest, withdrawCommitmentDigest } from "../protocol/digests.js";
import { MalformedUpdateError, StoreError, TamperedUpdateError } from "../protocol/errors.js";
import type { ChannelRecord } from "../protocol/record.js";
import { verifySignature, type CallProvider } from "../protocol/signing.js";
import { TransferSet, normalizeTransfer, transferId } from "../protocol/transfers.js";
import type { ChannelSetup } from "../protocol/types.js";
import type { RestoreResult } from "./methods.js";

/**
 * The record of a channel restored from the node, every part verified against what both parties signed: the
 * setup (the CREATE2 address was checked by the caller), both signatures of the latest state, the transfers
 * root recomputed from the active transfers (each normalised and re-hashed), both signatures of every
 * withdraw commitment. Later updates come through `sync` (nonce continuity, Channel.restore).
 */
export async function restoredRecord(
  r: RestoreResult,
  setup: ChannelSetup,
  chain?: CallProvider,
): Promise<ChannelRecord> {
  if (
    r.channel !== setup.channel ||
    r.alice !== setup.alice ||
    r.bob !== setup.bob ||
    r.chainId !== setup.chainId ||
    r.timeout !== setup.timeout
  ) {
    throw new MalformedUpdateError("the restored channel's setup is not this channel's");
  }
  const latest = r.latest;
  if (latest === undefined) throw new StoreError("the node holds no co-signed state to restore");
  if (latest.state.timeout !== setup.timeout)
    throw new MalformedUpdateError("the restored state's timeout is not the channel's");
  const digest = stateDigest(setup.chainId, setup.channel, latest.state);
  await verifySignature(setup.alice, digest, latest.aliceSignature, chain);
  await verifySignature(setup.bob, digest, latest.bobSignature, chain);
  const transfers = r.transfers.map((t) => normalizeTransfer(t));
  for (const t of transfers) {
    if (checksum(t.channel) !== setup.channel)
      throw new MalformedUpdateError(`restored transfer ${transferId(t)} is of another channel`);
  }
  const set = TransferSet.from(transfers);
  if (set.root !== latest.state.transfersRoot.toLowerCase()) {
    throw new TamperedUpdateError(
      "transfersRoot",
      `the active transfers give ${set.root}, the signed state says ${latest.state.transfersRoot}`,
    );
  }
  for (const w of r.withdrawals) {
    const wd = withdrawCommitmentDigest(setup.chainId, setup.channel, w.commitment);
    await verifySignature(setup.alice, wd, w.aliceSignature, chain);
    await verifySignature(setup.bob, wd, w.bobSignature, chain);
  }
  return {
    setup,
    me: "bob",
    latest,
    state: latest.state,
    transfers: set.list().map((t) => ({ id: t.id, transfer: t.transfer })),
    nextWithdrawNonce: r.nextWithdrawNonce,
    withdrawals: r.withdrawals,
    closed: r.closed,
    resolutions: {},
  };
}
