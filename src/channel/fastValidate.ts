/**
 * A fast path for the three messages every update carries (the details a party proposes, a proposal, an
 * acknowledgement) in their common shapes: deposit, create and resolve details, plain objects and arrays, every
 * key present with a defined value. It accepts exactly what the wire's zod schemas (src/wire/schemas.ts) accept
 * for those shapes and returns the same output (a fresh copy, checksummed addresses, lowercase hex, bigints in
 * uint256, the keys in the schemas' order). Anything else, valid or not, it leaves to zod (it returns
 * undefined): so every refusal, and every error message and issue list, still comes from the schemas.
 *
 * Why: zod's generic parse was about a tenth of a full update's CPU (reports/bench.md); a hand-written walk of
 * the same rules over the same few shapes is several times cheaper. `test/ts/channel/fastValidate.test.ts`
 * compares both on random valid messages and on random corruptions of them. Browser-safe.
 */
import { checksum } from "../protocol/address.js";
import type { PayloadSignatures } from "../protocol/signing.js";
import type { Transfer } from "../protocol/transfers.js";
import type { AssetState, ChannelState } from "../protocol/typedData.js";
import type { Party, Update, UpdateDetails } from "../protocol/types.js";
import { WIRE_BOUNDS } from "../wire/schemas.js";
import type { Acknowledgement, Proposal } from "./channel.js";

/** Thrown inside the walk when a value is not one of the shapes handled here; caught at the entry points. */
export const NOT_FAST = new Error("not a fast-path shape");

const MAX_UINT256 = (1n << 256n) - 1n;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const SIGNATURE = /^0x[0-9a-fA-F]{130}$/;
const HEX_BYTES = /^0x(?:[0-9a-fA-F]{2})*$/;

export type Fields = Record<string, unknown>;

/** `value` as a plain object (no array, no class instance), else NOT_FAST. */
export function plain(value: unknown): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw NOT_FAST;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw NOT_FAST;
  return value as Fields;
}

/** `value` as a plain object whose keys are exactly `keys` (each with a defined value), else NOT_FAST. */
export function exact(value: unknown, keys: readonly string[]): Fields {
  plain(value);
  const own = Object.keys(value as Fields);
  if (own.length !== keys.length) throw NOT_FAST;
  for (const key of own) if (!keys.includes(key)) throw NOT_FAST;
  return value as Fields;
}

export function address(value: unknown): string {
  if (typeof value !== "string" || !ADDRESS.test(value)) throw NOT_FAST;
  try {
    return checksum(value);
  } catch {
    throw NOT_FAST; // a mixed-case address with a bad checksum: zod refuses it
  }
}

export function uint256(value: unknown): bigint {
  if (typeof value !== "bigint" || value < 0n || value > MAX_UINT256) throw NOT_FAST;
  return value;
}

export function bytes32(value: unknown): string {
  if (typeof value !== "string" || !BYTES32.test(value)) throw NOT_FAST;
  return value.toLowerCase();
}

function hexBytes(value: unknown, maxBytes: number): string {
  if (typeof value !== "string" || value.length > 2 + 2 * maxBytes || !HEX_BYTES.test(value)) throw NOT_FAST;
  return value.toLowerCase();
}

function party(value: unknown): Party {
  if (value !== "alice" && value !== "bob") throw NOT_FAST;
  return value;
}

const ASSET_KEYS = ["asset", "balanceAlice", "balanceBob", "processedAlice", "processedBob", "defundNonce"] as const;
const STATE_KEYS = ["nonce", "timeout", "transfersRoot", "assets"] as const;
const TRANSFER_KEYS = [
  "channel",
  "resolver",
  "asset",
  "amount",
  "initiator",
  "responder",
  "timeout",
  "salt",
  "data",
] as const;
const DEPOSIT_KEYS = ["type", "asset", "totalDepositsAlice", "totalDepositsBob"] as const;
const CREATE_KEYS = ["type", "transfer"] as const;
const RESOLVE_KEYS = ["type", "transferId", "toResponder", "resolverData"] as const;
const UPDATE_KEYS = ["proposer", "details", "state"] as const;
const PROPOSAL_KEYS = ["update", "signatures"] as const;
const ACK_KEYS = ["nonce", "signatures"] as const;
const SIGNATURE_KINDS = ["state", "withdraw", "final"] as const;

function assetState(value: unknown): AssetState {
  const a = exact(value, ASSET_KEYS);
  return {
    asset: address(a.asset),
    balanceAlice: uint256(a.balanceAlice),
    balanceBob: uint256(a.balanceBob),
    processedAlice: uint256(a.processedAlice),
    processedBob: uint256(a.processedBob),
    defundNonce: uint256(a.defundNonce),
  };
}

function channelState(value: unknown): ChannelState {
  const s = exact(value, STATE_KEYS);
  const nonce = uint256(s.nonce);
  const timeout = uint256(s.timeout);
  const transfersRoot = bytes32(s.transfersRoot);
  const list = s.assets;
  if (!Array.isArray(list) || Object.getPrototypeOf(list) !== Array.prototype || list.length > WIRE_BOUNDS.maxAssets)
    throw NOT_FAST;
  const assets: AssetState[] = new Array<AssetState>(list.length);
  for (let i = 0; i < list.length; i++) assets[i] = assetState(list[i]);
  return { nonce, timeout, transfersRoot, assets };
}

function transfer(value: unknown): Transfer {
  const t = exact(value, TRANSFER_KEYS);
  return {
    channel: address(t.channel),
    resolver: address(t.resolver),
    asset: address(t.asset),
    amount: uint256(t.amount),
    initiator: address(t.initiator),
    responder: address(t.responder),
    timeout: uint256(t.timeout),
    salt: bytes32(t.salt),
    data: hexBytes(t.data, WIRE_BOUNDS.maxTransferDataBytes),
  };
}

function details(value: unknown): UpdateDetails {
  const type = typeof value === "object" && value !== null ? (value as Fields).type : undefined;
  if (type === "create") {
    const d = exact(value, CREATE_KEYS);
    return { type: "create", transfer: transfer(d.transfer) };
  }
  if (type === "resolve") {
    const d = exact(value, RESOLVE_KEYS);
    return {
      type: "resolve",
      transferId: bytes32(d.transferId),
      toResponder: uint256(d.toResponder),
      resolverData: hexBytes(d.resolverData, WIRE_BOUNDS.maxResolverDataBytes),
    };
  }
  if (type === "deposit") {
    const d = exact(value, DEPOSIT_KEYS);
    return {
      type: "deposit",
      asset: address(d.asset),
      totalDepositsAlice: uint256(d.totalDepositsAlice),
      totalDepositsBob: uint256(d.totalDepositsBob),
    };
  }
  throw NOT_FAST; // withdraw, close, reopen, any other type: zod
}

function signatures(value: unknown): PayloadSignatures {
  const v = plain(value);
  const own = Object.keys(v);
  const out: PayloadSignatures = {};
  let seen = 0;
  for (const kind of SIGNATURE_KINDS) {
    if (!own.includes(kind)) continue;
    const sig = v[kind];
    if (typeof sig !== "string" || !SIGNATURE.test(sig)) throw NOT_FAST; // an explicit undefined included
    out[kind] = sig.toLowerCase();
    seen++;
  }
  if (seen !== own.length) throw NOT_FAST;
  return out;
}

function update(value: unknown): Update {
  const u = exact(value, UPDATE_KEYS);
  return { proposer: party(u.proposer), details: details(u.details), state: channelState(u.state) };
}

/** Runs `walk`; undefined when the value is not a fast-path shape (or reading it threw): zod decides then. */
export function attempt<T>(walk: () => T): T | undefined {
  try {
    return walk();
  } catch {
    return undefined;
  }
}

/** The details, as `updateDetails.parse` gives them, or undefined: not a fast-path shape (zod decides). */
export function fastDetails(value: unknown): UpdateDetails | undefined {
  return attempt(() => details(value));
}

/** The proposal, as `proposal.parse` gives it, or undefined: not a fast-path shape (zod decides). */
export function fastProposal(value: unknown): Proposal | undefined {
  return attempt(() => {
    const p = exact(value, PROPOSAL_KEYS);
    return { update: update(p.update), signatures: signatures(p.signatures) };
  });
}

/** The acknowledgement, as `acknowledgement.parse` gives it, or undefined: not a fast-path shape (zod decides). */
export function fastAcknowledgement(value: unknown): Acknowledgement | undefined {
  return attempt(() => {
    const a = exact(value, ACK_KEYS);
    return { nonce: uint256(a.nonce), signatures: signatures(a.signatures) };
  });
}
