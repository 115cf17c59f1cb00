/**
 * Encoding, decoding and signing helpers for Switchyard's two conditional-transfer
 * resolvers. Mirrors `contracts/resolvers/HashlockResolver.sol` and
 * `contracts/resolvers/SignedTransferResolver.sol`;
 * `test/ts/resolvers.test.ts` proves that both sides agree.
 */
import {
  AbiCoder,
  TypedDataEncoder,
  getAddress,
  hexlify,
  type BytesLike,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";

import { sha256Bytes } from "./hashes.js";
import { hexToBytes } from "./hex.js";
import { randomWord } from "./random.js";

const abi = AbiCoder.defaultAbiCoder();

const HEX_DIGITS = /^0x[0-9a-fA-F]*$/;

/** Throws unless `value` is a 0x-prefixed hex string of exactly `bytes` bytes (ethers' isHexString(value, bytes)). */
function requireBytes(value: string, bytes: number, what: string): string {
  if (typeof value !== "string" || value.length !== 2 + 2 * bytes || !HEX_DIGITS.test(value)) {
    throw new Error(`${what} must be a 0x-prefixed ${bytes}-byte hex string, got ${value}`);
  }
  return value.toLowerCase();
}

// ---------------------------------------------------------------------------
// Hashlock (HTLC) transfers
// ---------------------------------------------------------------------------

/** Terms of a hashlock transfer: `abi.encode(bytes32 lockHash, uint256 expiry)`. */
export interface HashlockTerms {
  /** `sha256(preimage)` over the 32-byte preimage (see {@link hashlockLock}). */
  lockHash: string;
  /** Absolute unix timestamp (seconds) from which the preimage is refused. */
  expiry: bigint;
}

/**
 * The lock of a preimage: SHA-256 of its 32 bytes, as the contract computes
 * `sha256(abi.encode(preimage))`. The same value as a Lightning / Bitcoin HTLC
 * payment hash, so one preimage can settle a cross-chain atomic swap.
 */
export function hashlockLock(preimage: string): string {
  return sha256Bytes(hexToBytes(requireBytes(preimage, 32, "preimage")));
}

/** A fresh random 32-byte preimage. */
export function randomPreimage(): string {
  return randomWord();
}

const MAX_UINT256 = (1n << 256n) - 1n;

/**
 * `abi.encode(bytes32 lockHash, uint256 expiry)`: two static words, written as hex (ethers' AbiCoder built its
 * coders and ParamTypes on every call: about a twentieth of a client's CPU per payment, reports/bench.md);
 * `encodeHashlockTermsWithAbiCoder` is the reference the tests compare with.
 */
export function encodeHashlockTerms(terms: HashlockTerms): string {
  const { expiry } = terms;
  if (typeof expiry !== "bigint") throw new TypeError(`expiry must be a bigint, got ${typeof expiry}`);
  if (expiry < 0n) throw new Error("expiry must not be negative");
  if (expiry > MAX_UINT256) throw new RangeError(`expiry is not a uint256: ${expiry}`);
  return requireBytes(terms.lockHash, 32, "lockHash") + expiry.toString(16).padStart(64, "0");
}

/** encodeHashlockTerms through ethers' AbiCoder (the reference). */
export function encodeHashlockTermsWithAbiCoder(terms: HashlockTerms): string {
  if (terms.expiry < 0n) throw new Error("expiry must not be negative");
  return abi.encode(["bytes32", "uint256"], [requireBytes(terms.lockHash, 32, "lockHash"), terms.expiry]);
}

/** The two words of `abi.encode(bytes32, uint256)` read back (slicing is decoding for static words). */
export function decodeHashlockTerms(data: BytesLike): HashlockTerms {
  const bytes = requireBytes(
    typeof data === "string" && HEX_DIGITS.test(data) ? data : hexlify(data),
    64,
    "hashlock terms",
  );
  return { lockHash: bytes.slice(0, 66), expiry: BigInt("0x" + bytes.slice(66)) };
}

/**
 * The responder's evidence for a hashlock transfer: `abi.encode(bytes32 preimage)`, which is the preimage's
 * own 32 bytes (lowercase hex, as the AbiCoder writes it; `encodeHashlockResolutionWithAbiCoder` is the reference).
 */
export function encodeHashlockResolution(preimage: string): string {
  return requireBytes(preimage, 32, "preimage");
}

/** encodeHashlockResolution through ethers' AbiCoder (the reference). */
export function encodeHashlockResolutionWithAbiCoder(preimage: string): string {
  return abi.encode(["bytes32"], [requireBytes(preimage, 32, "preimage")]);
}

export function decodeHashlockResolution(data: BytesLike): string {
  // A hex string is checked as it is (hexlify would only validate it and lowercase it, as requireBytes does).
  return requireBytes(
    typeof data === "string" && HEX_DIGITS.test(data) ? data : hexlify(data),
    32,
    "hashlock resolution",
  );
}

// ---------------------------------------------------------------------------
// Signed (oracle-attested) transfers
// ---------------------------------------------------------------------------

export const SIGNED_TRANSFER_DOMAIN_NAME = "Switchyard SignedTransferResolver";
export const SIGNED_TRANSFER_DOMAIN_VERSION = "1";

export const SIGNED_TRANSFER_OUTCOME_TYPES: Record<string, TypedDataField[]> = {
  TransferOutcome: [
    { name: "transferId", type: "bytes32" },
    { name: "toResponder", type: "uint256" },
    { name: "outcomeData", type: "bytes" },
  ],
};

/** What the named signer attests: how much of transfer `transferId` goes to the responder. */
export interface TransferOutcome {
  transferId: string;
  toResponder: bigint;
  /** Free-form attested data (for example an oracle's answer); `"0x"` for none. */
  outcomeData: string;
}

/** The responder's evidence for a signed transfer: an outcome and the signer's signature of it. */
export interface SignedTransferResolution {
  toResponder: bigint;
  outcomeData: string;
  signature: string;
}

/** Anything that signs EIP-712 typed data like an ethers v6 `Signer` (a Wallet, a JSON-RPC signer). */
export interface TypedDataSignerLike {
  signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string>;
}

/** Terms of a signed transfer: `abi.encode(address signer)`. */
export function encodeSignedTransferTerms(signer: string): string {
  return abi.encode(["address"], [getAddress(signer)]);
}

export function decodeSignedTransferTerms(data: BytesLike): string {
  const bytes = hexlify(data);
  requireBytes(bytes, 32, "signed transfer terms");
  const [signer] = abi.decode(["address"], bytes);
  return getAddress(String(signer));
}

/** The EIP-712 domain of one SignedTransferResolver deployment on one chain. */
export function signedTransferDomain(chainId: bigint, resolver: string): TypedDataDomain {
  return {
    name: SIGNED_TRANSFER_DOMAIN_NAME,
    version: SIGNED_TRANSFER_DOMAIN_VERSION,
    chainId,
    verifyingContract: getAddress(resolver),
  };
}

function outcomeValue(outcome: TransferOutcome): Record<string, unknown> {
  return {
    transferId: requireBytes(outcome.transferId, 32, "transferId"),
    toResponder: outcome.toResponder,
    outcomeData: hexlify(outcome.outcomeData),
  };
}

/** The digest the signer signs; equals `SignedTransferResolver.outcomeDigest`. */
export function transferOutcomeDigest(chainId: bigint, resolver: string, outcome: TransferOutcome): string {
  return TypedDataEncoder.hash(
    signedTransferDomain(chainId, resolver),
    SIGNED_TRANSFER_OUTCOME_TYPES,
    outcomeValue(outcome),
  );
}

/**
 * Has `signer` sign `outcome` for the resolver at `resolver` on chain `chainId`.
 * The signer must be the address named in the transfer's terms (or, for an
 * ERC-1271 account named there, a key that account accepts).
 */
export async function signTransferOutcome(
  signer: TypedDataSignerLike,
  chainId: bigint,
  resolver: string,
  outcome: TransferOutcome,
): Promise<string> {
  return signer.signTypedData(
    signedTransferDomain(chainId, resolver),
    SIGNED_TRANSFER_OUTCOME_TYPES,
    outcomeValue(outcome),
  );
}

/** `abi.encode(uint256 toResponder, bytes outcomeData, bytes signature)`. */
export function encodeSignedTransferResolution(resolution: SignedTransferResolution): string {
  if (resolution.toResponder < 0n) throw new Error("toResponder must not be negative");
  return abi.encode(
    ["uint256", "bytes", "bytes"],
    [resolution.toResponder, hexlify(resolution.outcomeData), hexlify(resolution.signature)],
  );
}

export function decodeSignedTransferResolution(data: BytesLike): SignedTransferResolution {
  const [toResponder, outcomeData, signature] = abi.decode(["uint256", "bytes", "bytes"], data);
  return {
    toResponder: BigInt(toResponder as bigint),
    outcomeData: String(outcomeData),
    signature: String(signature),
  };
}
