/**
 * The shared vocabulary of the SDK: a channel's fixed setup, the deployment's limits, the updates parties
 * exchange, and the resolver policies the SDK accepts.
 */
import type { ChannelState, FinalState, WithdrawCommitment } from "./typedData.js";
import type { ReopenDetails } from "./reopen.js";
import type { Transfer } from "./transfers.js";

/** A party's role: alice deposits through tracked calls (the node), bob by plain transfers (the user). */
export type Party = "alice" | "bob";

/** What both parties agree on before the first update, fixed for the channel's life. */
export interface ChannelSetup {
  chainId: bigint;
  /** The channel address (CREATE2 from the factory over alice, bob and a salt). */
  channel: string;
  alice: string;
  bob: string;
  /** Seconds of each dispute phase; within the deployment's [minTimeout, maxTimeout]. */
  timeout: bigint;
}

/** One asset's limits in a deployment (IDeploymentConfig.limitsOf). */
export interface AssetLimit {
  channelCapacity: bigint;
  transferCap: bigint;
}

/** The deployment's public, immutable limits (IDeploymentConfig). */
export interface DeploymentLimits {
  minTimeout: bigint;
  maxTimeout: bigint;
  /** Limits by checksummed asset address; an asset not listed has no limits. */
  assets: ReadonlyMap<string, AssetLimit>;
}

/** What a resolver policy may look at besides the transfer. */
export interface PolicyEnv {
  /** The current unix time in seconds, as the checking party sees it. */
  now: bigint;
  /** The channel's dispute timeout (seconds of each dispute phase). */
  channelTimeout: bigint;
}

/**
 * The SDK's rules for one accepted resolver contract: how to check a transfer's terms before signing it,
 * and how to evaluate a responder's evidence off chain, as the contract would.
 */
export interface ResolverPolicy {
  /** The resolver contract's checksummed address. */
  readonly address: string;
  /** A short human-readable name (e.g. "hashlock"). */
  readonly name: string;
  /** Throws a typed error when `transfer.data` is malformed or unsafe to sign. */
  validateTerms(transfer: Transfer, env: PolicyEnv): void;
  /** What the resolver would pay the responder for `resolverData`; throws a ResolutionError when invalid. */
  outcome(transfer: Transfer, transferId: string, resolverData: string, env: PolicyEnv): bigint;
}

/** Everything the state machine checks an update against. */
export interface UpdateContext {
  setup: ChannelSetup;
  limits: DeploymentLimits;
  /** Accepted resolvers by checksummed address. */
  resolvers: ReadonlyMap<string, ResolverPolicy>;
  /** The current unix time in seconds. */
  now: bigint;
}

/** Reconciles on-chain deposits of `asset`: the channel's cumulative totals (IChannelCore.totalDeposits*). */
export interface DepositDetails {
  type: "deposit";
  asset: string;
  totalDepositsAlice: bigint;
  totalDepositsBob: bigint;
}

/** Locks `transfer.amount` of the initiator's balance in a new conditional transfer. */
export interface CreateDetails {
  type: "create";
  transfer: Transfer;
}

/** Removes an active transfer: the responder gets `toResponder`, the initiator the rest. */
export interface ResolveDetails {
  type: "resolve";
  transferId: string;
  toResponder: bigint;
  /** The responder's evidence for the resolver ("0x" for a cancel, which pays the responder nothing). */
  resolverData: string;
}

/** Moves `commitment.amount` out of `party`'s balance into a co-signed withdraw commitment. */
export interface WithdrawDetails {
  type: "withdraw";
  party: Party;
  commitment: WithdrawCommitment;
}

/**
 * A plain transfer: moves `amount` of `asset` from the proposer's balance to the other party's in one update
 * (no conditional transfer, no transfers-root change). A payment between the two parties of one channel (a client
 * paying its node, the node refunding an overpayment) needs no lock: both sign the resulting balances at once.
 */
export interface PlainTransferDetails {
  type: "plain";
  asset: string;
  amount: bigint;
}

/** Closes the channel cooperatively with a final state (no transfer may be active). */
export interface CloseDetails {
  type: "close";
}

export type { ReopenDetails } from "./reopen.js";

export type UpdateDetails =
  | DepositDetails
  | CreateDetails
  | ResolveDetails
  | WithdrawDetails
  | CloseDetails
  | ReopenDetails
  | PlainTransferDetails;
export type UpdateType = UpdateDetails["type"];

/** An update as proposed: what changes, who proposes it, and the state it leads to (what the proposer signs). */
export interface Update {
  proposer: Party;
  details: UpdateDetails;
  /** The resulting channel state; its nonce is the update's nonce. */
  state: ChannelState;
}

/** The payloads a party signs for one update, in this order. */
export interface UpdatePayloads {
  /** The resulting channel state (absent for a close, which signs only the final state). */
  state?: ChannelState;
  withdraw?: WithdrawCommitment;
  final?: FinalState;
}
