/**
 * Signing and verification of everything a channel's parties sign, through any EIP-712 signer:
 * - an ethers `Signer` (`signTypedData`), with a fast path for local keys (`BaseWallet`, or a raw private key)
 *   that signs the same digest directly through the active secp256k1 backend (`secp256k1.ts`: libsecp256k1
 *   in Node.js, ethers elsewhere; identical signature, no second hashing);
 * - a browser wallet or any EIP-1193 provider through `eth_signTypedData_v4`, so the user sees the fields;
 * - verification as OpenZeppelin's SignatureChecker does it on chain: a canonical ECDSA signature (65 bytes,
 *   v 27/28, low s, non-zero signer) from the expected address, else, when a chain connection is given, the
 *   expected address's ERC-1271 `isValidSignature` returning the magic value.
 */
import {
  BaseWallet,
  Interface,
  TypedDataEncoder,
  isHexString,
  type Signer,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";

import { checksum } from "./address.js";
import { CryptoInputError, SignatureError } from "./errors.js";
import { finalDigest, stateDigest, withdrawCommitmentDigest } from "./digests.js";
import { keccakBytes } from "./hashes.js";
import { keccakHex, writeHex } from "./hex.js";
import {
  privateKeyAddress,
  privateKeyBytes,
  recoverDigestSigner,
  secp256k1Backend,
  signDigest,
  type Secp256k1Backend,
} from "./secp256k1.js";
import { CHANNEL_STATE_TYPES, FINAL_STATE_TYPES, WITHDRAW_TYPES, channelDomain } from "./typedData.js";
import type { UpdatePayloads } from "./types.js";

/** One EIP-712 signature request: what a wallet displays, and the digest it must sign. */
export interface SignRequest {
  domain: TypedDataDomain;
  types: Record<string, TypedDataField[]>;
  primaryType: string;
  message: Record<string, unknown>;
  digest: string;
}

/** Anything that signs EIP-712 typed data for one address. */
export interface ChannelSigner {
  /** The checksummed address whose signature this produces (an EOA, or an ERC-1271 account). */
  readonly address: string;
  sign(request: SignRequest): Promise<string>;
}

/** The part of an EIP-1193 provider the SDK uses. */
export interface Eip1193Provider {
  request(args: { method: string; params?: readonly unknown[] }): Promise<unknown>;
}

/** The part of a chain connection ERC-1271 verification uses (an ethers Provider fits). */
export interface CallProvider {
  call(tx: { to: string; data: string }): Promise<string>;
}

/** A signer over a local ethers Wallet: signs the digest directly (same bytes as `signTypedData`). */
export function walletSigner(wallet: BaseWallet): ChannelSigner {
  const key = privateKeyBytes(wallet.privateKey);
  return {
    address: wallet.address,
    sign: async (request) => signDigest(key, request.digest),
  };
}

/** A signer over a raw 32-byte private key held by this process (a node, a server-side wallet). */
export function privateKeySigner(privateKey: string | Uint8Array): ChannelSigner {
  const key = new Uint8Array(privateKeyBytes(privateKey)); // a copy: the caller may reuse its buffer
  return {
    address: privateKeyAddress(key),
    sign: async (request) => signDigest(key, request.digest),
  };
}

/** A signer over any ethers Signer (a JSON-RPC account, a hardware wallet, ...). */
export async function ethersSigner(signer: Signer): Promise<ChannelSigner> {
  if (signer instanceof BaseWallet) return walletSigner(signer);
  const address = checksum(await signer.getAddress());
  return {
    address,
    sign: (request) => signer.signTypedData(request.domain, request.types, request.message),
  };
}

/** A signer over an EIP-1193 provider's `eth_signTypedData_v4` for `address` (a browser wallet). */
export function eip1193Signer(provider: Eip1193Provider, address: string): ChannelSigner {
  const account = checksum(address);
  return {
    address: account,
    async sign(request) {
      const result = await provider.request({
        method: "eth_signTypedData_v4",
        params: [account.toLowerCase(), typedDataJson(request)],
      });
      if (typeof result !== "string" || !isHexString(result)) {
        throw new SignatureError(account, `the wallet returned ${String(result)} instead of a signature`);
      }
      return result;
    },
  };
}

/** The JSON document `eth_signTypedData_v4` takes: bigints as decimal strings, with the EIP712Domain type. */
export function typedDataJson(request: SignRequest): string {
  const domainFields: TypedDataField[] = [];
  const d = request.domain;
  if (d.name != null) domainFields.push({ name: "name", type: "string" });
  if (d.version != null) domainFields.push({ name: "version", type: "string" });
  if (d.chainId != null) domainFields.push({ name: "chainId", type: "uint256" });
  if (d.verifyingContract != null) domainFields.push({ name: "verifyingContract", type: "address" });
  const payload = {
    types: { EIP712Domain: domainFields, ...request.types },
    domain: { ...d, chainId: d.chainId == null ? undefined : toJsonNumber(BigInt(d.chainId)) },
    primaryType: request.primaryType,
    message: request.message,
  };
  return JSON.stringify(payload, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value));
}

function toJsonNumber(value: bigint): number | string {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

// ───────────────────────────── verification ─────────────────────────────

const ERC1271 = new Interface(["function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)"]);
const ERC1271_MAGIC = "0x1626ba7e";

/**
 * The signer of `digest` under OpenZeppelin ECDSA's rules, or a reason it is invalid: 65 bytes, v 27 or 28,
 * r and s in range, s in the lower half (no malleable twin), a non-zero recovered address. Recovery runs on
 * the active secp256k1 backend (`secp256k1.ts`).
 */
export function tryRecover(digest: string, signature: string): { signer: string } | { error: string } {
  try {
    return { signer: recoverDigestSigner(digest, signature) };
  } catch (error) {
    if (error instanceof CryptoInputError) return { error: error.reason };
    throw error;
  }
}

/**
 * ECDSA signatures verified lately: signature → "signer:digest". Recovery is a pure function of the digest and the
 * signature, so a signature once recovered to a signer for a digest recovers to it again; a node checks a
 * client's acknowledgement when it arrives and its Channel checks it again on `complete`, and the second check
 * is this lookup. Only exact strings hit (the same signature, digest and checksummed signer); ERC-1271 results
 * are never kept (a contract may change its mind). Bounded; cleared when full.
 */
const verified = new Map<string, string>();
const MAX_VERIFIED = 4_096;
let verifiedBy: Secp256k1Backend | undefined;

/**
 * Throws SignatureError unless `signature` is `expected`'s signature of `digest`, as SignatureChecker decides:
 * ECDSA first, then (given `chain`) ERC-1271 on `expected`.
 */
export async function verifySignature(
  expected: string,
  digest: string,
  signature: string,
  chain?: CallProvider,
): Promise<void> {
  const signer = checksum(expected);
  const backend = secp256k1Backend();
  if (verifiedBy !== backend) {
    verified.clear(); // what one backend recovered is not taken as another's answer
    verifiedBy = backend;
  }
  if (verified.get(signature) === `${signer}:${digest}`) return;
  const recovered = tryRecover(digest, signature);
  if ("signer" in recovered && recovered.signer === signer) {
    if (verified.size >= MAX_VERIFIED) verified.clear();
    verified.set(signature, `${signer}:${digest}`);
    return;
  }
  if (chain !== undefined && (await isValidErc1271(chain, signer, digest, signature))) return;
  const reason = "signer" in recovered ? `it recovers to ${recovered.signer}` : recovered.error;
  throw new SignatureError(signer, chain === undefined ? reason : `${reason}, and ERC-1271 refused it`);
}

/** Whether the contract at `account` accepts `signature` for `digest` (ERC-1271). False on any failure. */
export async function isValidErc1271(chain: CallProvider, account: string, digest: string, signature: string): Promise<boolean> {
  if (!isHexString(signature)) return false;
  try {
    const data = ERC1271.encodeFunctionData("isValidSignature", [digest, signature]);
    const result = await chain.call({ to: account, data });
    return isHexString(result) && result.length >= 66 && result.slice(0, 10).toLowerCase() === ERC1271_MAGIC;
  } catch {
    return false;
  }
}

// ───────────────────────────── update payloads ─────────────────────────────

/** The EIP-712 digests of an update's payloads, in the channel's domain. */
export interface PayloadDigests {
  state?: string;
  withdraw?: string;
  final?: string;
}

/** A party's signatures of an update's payloads. */
export interface PayloadSignatures {
  state?: string;
  withdraw?: string;
  final?: string;
}

const KINDS = ["state", "withdraw", "final"] as const;

export function payloadDigests(chainId: bigint, channel: string, p: UpdatePayloads): PayloadDigests {
  const digests: PayloadDigests = {};
  if (p.state !== undefined) digests.state = stateDigest(chainId, channel, p.state);
  if (p.withdraw !== undefined) digests.withdraw = withdrawCommitmentDigest(chainId, channel, p.withdraw);
  if (p.final !== undefined) digests.final = finalDigest(chainId, channel, p.final);
  return digests;
}

/**
 * One hash over all the digests of an update: what "the content signed at a nonce" means for the store.
 * keccak256 of the three 32-byte digests (state, withdraw, final) in a row, zero words for absent ones.
 */
export function contentHash(d: PayloadDigests): string {
  const data = new Uint8Array(32 * KINDS.length);
  for (let i = 0; i < KINDS.length; i++) {
    const digest = d[KINDS[i] as (typeof KINDS)[number]];
    if (digest === undefined) continue;
    if (digest.length !== 66) return keccakHex("0x" + KINDS.map((k) => d[k]?.slice(2) ?? "00".repeat(32)).join(""));
    writeHex(digest, 2, 32, data, 32 * i);
  }
  return keccakBytes(data);
}

/** Signs every payload of an update. The caller must have persisted what it signs first (see Channel). */
export async function signPayloads(
  signer: ChannelSigner,
  chainId: bigint,
  channel: string,
  p: UpdatePayloads,
  digests: PayloadDigests,
): Promise<PayloadSignatures> {
  const domain = channelDomain(chainId, channel);
  const out: PayloadSignatures = {};
  if (p.state !== undefined && digests.state !== undefined) {
    out.state = await signer.sign({ domain, types: CHANNEL_STATE_TYPES, primaryType: "ChannelState", message: { ...p.state }, digest: digests.state });
  }
  if (p.withdraw !== undefined && digests.withdraw !== undefined) {
    out.withdraw = await signer.sign({ domain, types: WITHDRAW_TYPES, primaryType: "WithdrawCommitment", message: { ...p.withdraw }, digest: digests.withdraw });
  }
  if (p.final !== undefined && digests.final !== undefined) {
    out.final = await signer.sign({ domain, types: FINAL_STATE_TYPES, primaryType: "FinalState", message: { ...p.final }, digest: digests.final });
  }
  return out;
}

/** Throws SignatureError unless `sigs` holds `signer`'s valid signature of every digest (and nothing else). */
export async function verifyPayloads(
  signer: string,
  digests: PayloadDigests,
  sigs: PayloadSignatures,
  chain?: CallProvider,
): Promise<void> {
  for (const kind of KINDS) {
    const digest = digests[kind];
    const sig = sigs[kind];
    if (digest === undefined) {
      if (sig !== undefined) throw new SignatureError(signer, `unexpected ${kind} signature`);
      continue;
    }
    if (sig === undefined) throw new SignatureError(signer, `missing ${kind} signature`);
    await verifySignature(signer, digest, sig, chain);
  }
}

/** The digest of a typed-data request, as a check that a request is self-consistent. */
export function requestDigest(request: SignRequest): string {
  return TypedDataEncoder.hash(request.domain, request.types, request.message);
}
