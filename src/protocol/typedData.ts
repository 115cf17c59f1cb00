/**
 * The one TypeScript definition of everything a Switchyard channel's parties
 * sign (EIP-712). Mirrors `contracts/types/ChannelTypes.sol` and
 * `contracts/libraries/ChannelHashing.sol`; `test/ts/typedData.parity.test.ts`
 * proves that both sides hash alike.
 */
import { TypedDataEncoder, type TypedDataDomain, type TypedDataField } from "ethers";

export const DOMAIN_NAME = "Switchyard";
export const DOMAIN_VERSION = "1";

/** One asset's part of a channel state (see AssetState in ChannelTypes.sol). */
export interface AssetState {
  asset: string;
  balanceAlice: bigint;
  balanceBob: bigint;
  processedAlice: bigint;
  processedBob: bigint;
  defundNonce: bigint;
}

/** A co-signed channel state. */
export interface ChannelState {
  nonce: bigint;
  timeout: bigint;
  transfersRoot: string;
  assets: AssetState[];
}

/** A co-signed final state that closes the channel cooperatively. */
export interface FinalState {
  nonce: bigint;
  assets: AssetState[];
}

/** A co-signed withdraw commitment. */
export interface WithdrawCommitment {
  asset: string;
  recipient: string;
  amount: bigint;
  nonce: bigint;
  callTo: string;
  callData: string;
}

type Types = Record<string, TypedDataField[]>;

const ASSET_STATE_FIELDS: TypedDataField[] = [
  { name: "asset", type: "address" },
  { name: "balanceAlice", type: "uint256" },
  { name: "balanceBob", type: "uint256" },
  { name: "processedAlice", type: "uint256" },
  { name: "processedBob", type: "uint256" },
  { name: "defundNonce", type: "uint256" },
];

export const CHANNEL_STATE_TYPES: Types = {
  ChannelState: [
    { name: "nonce", type: "uint256" },
    { name: "timeout", type: "uint256" },
    { name: "transfersRoot", type: "bytes32" },
    { name: "assets", type: "AssetState[]" },
  ],
  AssetState: ASSET_STATE_FIELDS,
};

export const FINAL_STATE_TYPES: Types = {
  FinalState: [
    { name: "nonce", type: "uint256" },
    { name: "assets", type: "AssetState[]" },
  ],
  AssetState: ASSET_STATE_FIELDS,
};

export const WITHDRAW_TYPES: Types = {
  WithdrawCommitment: [
    { name: "asset", type: "address" },
    { name: "recipient", type: "address" },
    { name: "amount", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "callTo", type: "address" },
    { name: "callData", type: "bytes" },
  ],
};

/** A responder's authorization for anyone (a watchtower) to settle a transfer with this evidence. */
export interface TransferResolution {
  transferId: string;
  resolverData: string;
}

/** An exit owner's authorization for anyone to pay its claim to `recipient`. */
export interface ExitAuthorization {
  asset: string;
  recipient: string;
  nonce: bigint;
}

export const TRANSFER_RESOLUTION_TYPES: Types = {
  TransferResolution: [
    { name: "transferId", type: "bytes32" },
    { name: "resolverData", type: "bytes" },
  ],
};

export const EXIT_AUTHORIZATION_TYPES: Types = {
  ExitAuthorization: [
    { name: "asset", type: "address" },
    { name: "recipient", type: "address" },
    { name: "nonce", type: "uint256" },
  ],
};

/** The EIP-712 domain of one channel on one chain. */
export function channelDomain(chainId: bigint, channel: string): TypedDataDomain {
  return { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId, verifyingContract: channel };
}

export function hashChannelStateStruct(state: ChannelState): string {
  return TypedDataEncoder.from(CHANNEL_STATE_TYPES).hash(state);
}

export function channelStateDigest(chainId: bigint, channel: string, state: ChannelState): string {
  return TypedDataEncoder.hash(channelDomain(chainId, channel), CHANNEL_STATE_TYPES, state);
}

export function finalStateDigest(chainId: bigint, channel: string, state: FinalState): string {
  return TypedDataEncoder.hash(channelDomain(chainId, channel), FINAL_STATE_TYPES, state);
}

export function withdrawDigest(chainId: bigint, channel: string, w: WithdrawCommitment): string {
  return TypedDataEncoder.hash(channelDomain(chainId, channel), WITHDRAW_TYPES, w);
}

/** The type string of a primary type, exactly as EIP-712 encodes it (for parity tests). */
export function encodeType(types: Types, primaryType: string): string {
  return TypedDataEncoder.from(types).encodeType(primaryType);
}
