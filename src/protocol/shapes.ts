/**
 * Structural checks of received updates (types and ranges, before any rule): every amount a bigint in uint256,
 * every address well formed (returned checksummed), hex lowercased. Used by the state machine and by
 * `Channel.restore` (which takes an already-signed update and must store it in canonical form).
 */
import { isHexString } from "ethers";

import { checksum } from "./address.js";
import { MalformedUpdateError } from "./errors.js";
import type { ChannelState, WithdrawCommitment } from "./typedData.js";
import { normalizeTransfer, type Transfer } from "./transfers.js";
import type { Update, UpdateDetails } from "./types.js";

const MAX_UINT256 = (1n << 256n) - 1n;

/** `value` as a uint256 bigint, else MalformedUpdateError naming `name`. */
export function uint(name: string, value: unknown): bigint {
  if (typeof value !== "bigint" || value < 0n || value > MAX_UINT256) {
    throw new MalformedUpdateError(`${name} must be a uint256, got ${String(value)}`);
  }
  return value;
}

/** `value` as a checksummed address, else MalformedUpdateError. */
export function address(name: string, value: unknown): string {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(value)) {
    throw new MalformedUpdateError(`${name} must be an address, got ${String(value)}`);
  }
  try {
    return checksum(value);
  } catch {
    throw new MalformedUpdateError(`${name} has a bad checksum: ${value}`);
  }
}

/** `value` as 32 bytes of lowercase hex, else MalformedUpdateError. */
export function bytes32(name: string, value: unknown): string {
  if (typeof value !== "string" || !isHexString(value, 32)) {
    throw new MalformedUpdateError(`${name} must be 32 bytes of hex, got ${String(value)}`);
  }
  return value.toLowerCase();
}

/** `value` as lowercase 0x-prefixed hex bytes, else MalformedUpdateError. */
export function hex(name: string, value: unknown): string {
  if (typeof value !== "string" || !isHexString(value) || value.length % 2 !== 0) {
    throw new MalformedUpdateError(`${name} must be 0x-prefixed hex bytes, got ${String(value)}`);
  }
  return value.toLowerCase();
}

/** A transfer checked field by field and normalized (checksummed addresses, lowercase hex). */
export function checkTransferShape(t: Transfer): Transfer {
  if (typeof t !== "object" || t === null) throw new MalformedUpdateError("missing transfer");
  address("transfer.channel", t.channel);
  address("transfer.resolver", t.resolver);
  address("transfer.asset", t.asset);
  address("transfer.initiator", t.initiator);
  address("transfer.responder", t.responder);
  uint("transfer.amount", t.amount);
  uint("transfer.timeout", t.timeout);
  bytes32("transfer.salt", t.salt);
  hex("transfer.data", t.data);
  return normalizeTransfer(t);
}

/** A withdraw commitment checked field by field and rebuilt in canonical form. */
export function checkWithdrawShape(c: WithdrawCommitment): WithdrawCommitment {
  if (typeof c !== "object" || c === null) throw new MalformedUpdateError("missing withdraw commitment");
  return {
    asset: address("withdraw.asset", c.asset),
    recipient: address("withdraw.recipient", c.recipient),
    amount: uint("withdraw.amount", c.amount),
    nonce: uint("withdraw.nonce", c.nonce),
    callTo: address("withdraw.callTo", c.callTo),
    callData: hex("withdraw.callData", c.callData),
  };
}

/**
 * The details of an update checked for shape (bigint amounts, addresses, hex; MalformedUpdateError) and rebuilt
 * in canonical form (checksummed addresses, lowercase hex, the normalized transfer), without running any rule:
 * for an update both parties already signed (`Channel.restore`).
 */
export function checkDetailsShape(details: UpdateDetails): UpdateDetails {
  if (typeof details !== "object" || details === null) throw new MalformedUpdateError("update.details is missing");
  switch (details.type) {
    case "deposit":
      return {
        type: "deposit",
        asset: address("deposit asset", details.asset),
        totalDepositsAlice: uint("totalDepositsAlice", details.totalDepositsAlice),
        totalDepositsBob: uint("totalDepositsBob", details.totalDepositsBob),
      };
    case "create":
      return { type: "create", transfer: checkTransferShape(details.transfer) };
    case "resolve":
      return {
        type: "resolve",
        transferId: bytes32("transferId", details.transferId),
        toResponder: uint("toResponder", details.toResponder),
        resolverData: hex("resolverData", details.resolverData),
      };
    case "withdraw":
      if (details.party !== "alice" && details.party !== "bob") throw new MalformedUpdateError(`unknown withdrawer ${String(details.party)}`);
      return { type: "withdraw", party: details.party, commitment: checkWithdrawShape(details.commitment) };
    case "close":
      return { type: "close" };
    case "plain":
      return { type: "plain", asset: address("plain transfer asset", details.asset), amount: uint("amount", details.amount) };
    case "reopen":
      if (!Array.isArray(details.payouts)) throw new MalformedUpdateError("a reopen lists the close's payouts");
      return {
        type: "reopen",
        payouts: details.payouts.map((p, i) => ({
          asset: address(`payouts[${i}].asset`, p.asset),
          toAlice: uint(`payouts[${i}].toAlice`, p.toAlice),
          toBob: uint(`payouts[${i}].toBob`, p.toBob),
          defundNonce: uint(`payouts[${i}].defundNonce`, p.defundNonce),
        })),
      };
    default:
      throw new MalformedUpdateError(`unknown update type ${String((details as { type: unknown }).type)}`);
  }
}

/** Structural checks of a received update (types and ranges), before any rule. */
export function checkUpdateShape(update: Update): void {
  if (typeof update !== "object" || update === null) throw new MalformedUpdateError("update is not an object");
  const { state } = update;
  if (typeof state !== "object" || state === null || !Array.isArray(state.assets)) {
    throw new MalformedUpdateError("update.state is missing or has no asset list");
  }
  uint("state.nonce", state.nonce);
  uint("state.timeout", state.timeout);
  bytes32("state.transfersRoot", state.transfersRoot);
  state.assets.forEach((a, i) => {
    address(`assets[${i}].asset`, a.asset);
    for (const field of ["balanceAlice", "balanceBob", "processedAlice", "processedBob", "defundNonce"] as const) {
      uint(`assets[${i}].${field}`, a[field]);
    }
  });
  checkDistinctAssets(state.assets);
  if (typeof update.details !== "object" || update.details === null) throw new MalformedUpdateError("update.details is missing");
}

/** MalformedUpdateError when an asset appears twice in a state's list (the addresses are well formed). */
export function checkDistinctAssets(assets: ReadonlyArray<{ asset: string }>): void {
  if (assets.length < 2) return;
  const seen = new Set<string>();
  for (const a of assets) {
    const asset = checksum(a.asset);
    if (seen.has(asset)) throw new MalformedUpdateError(`asset ${asset} appears twice`);
    seen.add(asset);
  }
}

/**
 * A co-signed update from the counter-party, checked for shape and rebuilt field by field in canonical form
 * (what `restore` stores). Throws MalformedUpdateError on a wrong type (a string amount, a missing field).
 */
export function canonicalUpdate(update: Update): Update {
  checkUpdateShape(update);
  if (update.proposer !== "alice" && update.proposer !== "bob") throw new MalformedUpdateError(`unknown proposer ${String(update.proposer)}`);
  const s = update.state;
  const state: ChannelState = {
    nonce: s.nonce,
    timeout: s.timeout,
    transfersRoot: s.transfersRoot.toLowerCase(),
    assets: s.assets.map((a) => ({
      asset: checksum(a.asset),
      balanceAlice: a.balanceAlice,
      balanceBob: a.balanceBob,
      processedAlice: a.processedAlice,
      processedBob: a.processedBob,
      defundNonce: a.defundNonce,
    })),
  };
  return { proposer: update.proposer, details: checkDetailsShape(update.details), state };
}
