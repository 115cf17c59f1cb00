/**
 * On-chain commitments built from what a party's store holds: the calldata (with the target and the typed
 * arguments, so it can be sent raw or through the typed bindings) of every channel call a party may need to act
 * alone — cooperative withdraw and close, dispute and refute, defund, transfer dispute and settlement, exit
 * withdrawal — and the signatures that let anyone (a watchtower) submit a settlement or an exit for its owner.
 *
 *   const c = await Commitments.load(store, channel);
 *   await signer.sendTransaction(c.dispute());            // or: typedChannel.disputeChannel(...c.dispute().args)
 *
 * The builders never sign channel states: everything they encode was co-signed before and stored.
 */
import { TypedDataEncoder, ZeroAddress } from "ethers";

import { channelInterface } from "./abi.js";
import { checksum } from "../protocol/address.js";
import { stateStructHash } from "../protocol/digests.js";
import { CommitmentError } from "../protocol/errors.js";
import type { ChannelRecord, SignedFinal, SignedState, SignedWithdraw } from "../protocol/record.js";
import type { ChannelSigner } from "../protocol/signing.js";
import type { ChannelStore } from "../stores/store.js";
import {
  EXIT_AUTHORIZATION_TYPES,
  TRANSFER_RESOLUTION_TYPES,
  channelDomain,
  type ChannelState,
  type ExitAuthorization,
  type FinalState,
  type TransferResolution,
  type WithdrawCommitment,
} from "../protocol/typedData.js";
import { TransferSet, type Transfer } from "../protocol/transfers.js";

/** One channel call: its target and calldata (a ready transaction request), and the method and typed arguments. */
export interface Call<M extends string, A extends readonly unknown[]> {
  to: string;
  data: string;
  method: M;
  args: A;
}

export type WithdrawCall = Call<"withdraw", [WithdrawCommitment, string, string]>;
export type CloseCall = Call<"closeChannel", [FinalState, string, string]>;
export type DisputeCall = Call<"disputeChannel", [ChannelState, string, string]>;
export type DefundCall = Call<"defundChannel", [ChannelState, string[]]>;
export type DisputeTransferCall = Call<"disputeTransfer", [ChannelState, Transfer, string[]]>;
export type DefundTransferCall = Call<"defundTransfer", [Transfer, string, string]>;
export type WithdrawExitCall = Call<"withdrawExit", [string, string, string, string]>;
/** Alice's tracked ETH deposit (handled by the channel proxy's own code): send `value` with it. */
export type DepositEthCall = Call<"depositAliceEth", []> & { value: bigint };
/** Alice's tracked token deposit (approve the channel first); `value` is always 0. */
export type DepositTokenCall = Call<"depositAlice", [string, bigint]> & { value: bigint };
/** Any call the SDK builds. */
export type ChannelCall =
  | WithdrawCall
  | CloseCall
  | DisputeCall
  | DefundCall
  | DisputeTransferCall
  | DefundTransferCall
  | WithdrawExitCall
  | DepositEthCall
  | DepositTokenCall;

function call<C extends ChannelCall>(to: string, method: C["method"], args: C["args"]): C {
  return { to: checksum(to), data: channelInterface.encodeFunctionData(method, args), method, args } as C;
}

// ───────────────────────────── encoders ─────────────────────────────

/** `withdraw(commitment, aliceSignature, bobSignature)`. */
export function withdrawCall(channel: string, w: SignedWithdraw): WithdrawCall {
  return call(channel, "withdraw", [w.commitment, w.aliceSignature, w.bobSignature]);
}

/** `closeChannel(finalState, aliceSignature, bobSignature)`. */
export function closeCall(channel: string, f: SignedFinal): CloseCall {
  return call(channel, "closeChannel", [f.state, f.aliceSignature, f.bobSignature]);
}

/** `disputeChannel(state, aliceSignature, bobSignature)`: opens a dispute, or refutes one with a newer state. */
export function disputeCall(channel: string, s: SignedState): DisputeCall {
  return call(channel, "disputeChannel", [s.state, s.aliceSignature, s.bobSignature]);
}

/** `defundChannel(disputedState, assets)`. */
export function defundCall(channel: string, disputed: ChannelState, assets: readonly string[]): DefundCall {
  return call(channel, "defundChannel", [disputed, assets.map(checksum)]);
}

/** `disputeTransfer(disputedState, transfer, proof)`. */
export function disputeTransferCall(
  channel: string,
  disputed: ChannelState,
  transfer: Transfer,
  proof: readonly string[],
): DisputeTransferCall {
  return call(channel, "disputeTransfer", [disputed, transfer, [...proof]]);
}

/** `defundTransfer(transfer, resolverData, responderSignature)`; after the deadline both may be "0x" (a refund). */
export function defundTransferCall(
  channel: string,
  transfer: Transfer,
  resolverData = "0x",
  responderSignature = "0x",
): DefundTransferCall {
  return call(channel, "defundTransfer", [transfer, resolverData, responderSignature]);
}

/** `withdrawExit(asset, owner, recipient, signature)`; the signature is "0x" when the owner sends it. */
export function withdrawExitCall(
  channel: string,
  asset: string,
  owner: string,
  recipient: string,
  signature = "0x",
): WithdrawExitCall {
  return call(channel, "withdrawExit", [checksum(asset), checksum(owner), checksum(recipient), signature]);
}

/**
 * Alice's tracked deposit of `amount` of `asset` (anyone may send it). ETH uses `depositAliceEth()`, which the
 * channel proxy handles without its hop to the mastercopy (the cheapest tracked deposit, same checks, storage
 * and event as `depositAlice`); a token uses `depositAlice(token, amount)` after an approval of the channel.
 */
export function depositAliceCall(channel: string, asset: string, amount: bigint): DepositEthCall | DepositTokenCall {
  if (amount <= 0n) throw new CommitmentError(`a deposit must be positive, got ${amount}`);
  const token = checksum(asset);
  if (token === ZeroAddress) return { ...call<DepositEthCall>(channel, "depositAliceEth", []), value: amount };
  return { ...call<DepositTokenCall>(channel, "depositAlice", [token, amount]), value: 0n };
}

// ───────────────────────────── authorizations ─────────────────────────────

/** The EIP-712 digest of a responder's `TransferResolution` (lets anyone settle with its evidence). */
export function transferResolutionDigest(chainId: bigint, channel: string, r: TransferResolution): string {
  return TypedDataEncoder.hash(channelDomain(chainId, channel), TRANSFER_RESOLUTION_TYPES, r);
}

/** The EIP-712 digest of an owner's `ExitAuthorization` (lets anyone pay its claim to `recipient`). */
export function exitAuthorizationDigest(chainId: bigint, channel: string, a: ExitAuthorization): string {
  return TypedDataEncoder.hash(channelDomain(chainId, channel), EXIT_AUTHORIZATION_TYPES, a);
}

/** The responder's signature of `TransferResolution(transferId, resolverData)` for `defundTransfer`. */
export function signTransferResolution(
  signer: ChannelSigner,
  chainId: bigint,
  channel: string,
  r: TransferResolution,
): Promise<string> {
  return signer.sign({
    domain: channelDomain(chainId, channel),
    types: TRANSFER_RESOLUTION_TYPES,
    primaryType: "TransferResolution",
    message: { ...r },
    digest: transferResolutionDigest(chainId, channel, r),
  });
}

/** The owner's signature of `ExitAuthorization(asset, recipient, nonce)`; `nonce` is the channel's `exitNonce(owner)`. */
export function signExitAuthorization(
  signer: ChannelSigner,
  chainId: bigint,
  channel: string,
  a: ExitAuthorization,
): Promise<string> {
  return signer.sign({
    domain: channelDomain(chainId, channel),
    types: EXIT_AUTHORIZATION_TYPES,
    primaryType: "ExitAuthorization",
    message: { ...a },
    digest: exitAuthorizationDigest(chainId, channel, a),
  });
}

// ───────────────────────────── from the store ─────────────────────────────

/** A state the channel may hold as its disputed one, with its struct hash and active transfers. */
export interface KnownState {
  state: ChannelState;
  /** The EIP-712 struct hash the channel records (`disputedStateHash`). */
  hash: string;
  transfers: TransferSet;
  /** Both signatures, when this party holds them (the latest co-signed state). */
  signed?: SignedState;
}

/**
 * The states of a record the counter-party could have put on chain: the latest co-signed one, and the one this
 * party signed for the next nonce while its counter-signature is missing (the counter-party holds both).
 */
export function knownStates(record: ChannelRecord): KnownState[] {
  const out: KnownState[] = [];
  const transfers = (): TransferSet => TransferSet.from(record.transfers.map((t) => t.transfer));
  if (record.latest !== undefined) {
    out.push({
      state: record.latest.state,
      hash: stateStructHash(record.latest.state),
      transfers: transfers(),
      signed: record.latest,
    });
  }
  const pending = record.pending?.update;
  if (pending !== undefined && pending.details.type !== "close") {
    const set = transfers();
    if (pending.details.type === "create") set.add(pending.details.transfer);
    if (pending.details.type === "resolve") set.remove(pending.details.transferId);
    out.push({ state: pending.state, hash: stateStructHash(pending.state), transfers: set });
  }
  return out;
}

export interface DefundOptions {
  /** The assets to pay out (default: every asset the state lists). */
  assets?: readonly string[];
  /** The disputed state's struct hash (default: the latest co-signed state). */
  stateHash?: string;
}

export interface DefundTransferOptions {
  /** The responder's evidence (default: what the store knows for the transfer, else "0x" — a refund). */
  resolverData?: string;
  /** The responder's `TransferResolution` signature, for a sender other than the responder. */
  responderSignature?: string;
}

/** Every call a party can make on its channel from its stored record. */
export class Commitments {
  readonly channel: string;
  private readonly states: KnownState[];

  constructor(private readonly record: ChannelRecord) {
    this.channel = checksum(record.setup.channel);
    this.states = knownStates(record);
  }

  /** Reads the channel's record from `store`. */
  static async load(store: ChannelStore, channel: string): Promise<Commitments> {
    const record = await store.load(channel);
    if (record === undefined) throw new CommitmentError(`the store does not hold channel ${channel}`);
    return new Commitments(record);
  }

  /** This party's address. */
  get owner(): string {
    return checksum(this.record.me === "alice" ? this.record.setup.alice : this.record.setup.bob);
  }

  /** The known state with struct hash `hash` (default: the latest co-signed state). */
  state(hash?: string): KnownState {
    const found =
      hash === undefined
        ? this.states.find((s) => s.signed !== undefined)
        : this.states.find((s) => s.hash === hash.toLowerCase());
    if (found === undefined) {
      throw new CommitmentError(
        hash === undefined ? "no co-signed state yet: nothing to dispute" : `state ${hash} is not one this party knows`,
      );
    }
    return found;
  }

  /** Disputes (or refutes a dispute) with the latest co-signed state. */
  dispute(): DisputeCall {
    return disputeCall(this.channel, this.state().signed as SignedState);
  }

  /** Pays out assets of the disputed state in its defund phase. */
  defund(options: DefundOptions = {}): DefundCall {
    const { state } = this.state(options.stateHash);
    return defundCall(this.channel, state, options.assets ?? state.assets.map((a) => a.asset));
  }

  /** Proves an active transfer of the disputed state (its proof from the incremental tree) and opens its window. */
  disputeTransfer(transferId: string, stateHash?: string): DisputeTransferCall {
    const known = this.state(stateHash);
    const active = known.transfers.get(transferId);
    if (active === undefined) throw new CommitmentError(`transfer ${transferId} is not active in state ${known.hash}`);
    return disputeTransferCall(this.channel, known.state, active.transfer, known.transfers.proof(active.id));
  }

  /** Settles a disputed transfer: with the stored evidence before its deadline, or as a refund after it. */
  defundTransfer(transferId: string, options: DefundTransferOptions = {}): DefundTransferCall {
    const transfer = this.transfer(transferId);
    const resolverData = options.resolverData ?? this.record.resolutions[transferId.toLowerCase()] ?? "0x";
    return defundTransferCall(this.channel, transfer, resolverData, options.responderSignature ?? "0x");
  }

  /** A transfer active in any known state. */
  transfer(transferId: string): Transfer {
    for (const s of this.states) {
      const active = s.transfers.get(transferId);
      if (active !== undefined) return active.transfer;
    }
    throw new CommitmentError(`transfer ${transferId} is not active in any state this party knows`);
  }

  /** The stored evidence for a transfer (e.g. a preimage), if any. */
  evidence(transferId: string): string | undefined {
    return this.record.resolutions[transferId.toLowerCase()];
  }

  /** The co-signed withdraw commitment with withdraw nonce `nonce`. */
  withdraw(nonce: bigint): WithdrawCall {
    const w = this.record.withdrawals.find((x) => x.commitment.nonce === nonce);
    if (w === undefined) throw new CommitmentError(`no co-signed withdraw commitment with nonce ${nonce}`);
    return withdrawCall(this.channel, w);
  }

  /** Every co-signed withdraw commitment, oldest first (each runs once on chain). */
  withdrawals(): WithdrawCall[] {
    return this.record.withdrawals.map((w) => withdrawCall(this.channel, w));
  }

  /** The cooperative close with the co-signed final state. */
  close(): CloseCall {
    if (this.record.final === undefined)
      throw new CommitmentError("no co-signed final state: the channel was not closed");
    return closeCall(this.channel, this.record.final);
  }

  /** Pays this party's exit on `asset` to `recipient` (default: itself); `signature` when another account sends it. */
  withdrawExit(asset: string, recipient: string = this.owner, signature = "0x"): WithdrawExitCall {
    return withdrawExitCall(this.channel, asset, this.owner, recipient, signature);
  }
}
