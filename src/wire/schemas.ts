/**
 * zod schemas for every SDK message that crosses the wire, so nothing unchecked reaches the state machine:
 * strict objects (an unknown key is refused), addresses checked (EIP-55 when mixed case) and returned
 * checksummed, hex lowercased, bigints as bigints (the SDK's `{"$n": "…"}` encoding; a JSON number is refused)
 * within uint256, signatures 65 bytes, and every array and byte string bounded.
 *
 * The output types are the SDK's own (`Update`, `Proposal`, …): the assertions at the end fail to compile when
 * a schema and its interface drift apart. Browser-safe.
 */
import { z } from "zod";

import { checksum } from "../protocol/address.js";
import type { Acknowledgement, Proposal } from "../channel/channel.js";
import type { CoSignedUpdate, SignedState, SignedWithdraw } from "../protocol/record.js";
import type { PayloadSignatures } from "../protocol/signing.js";
import type { Transfer } from "../protocol/transfers.js";
import type { AssetState, ChannelState, FinalState, WithdrawCommitment } from "../protocol/typedData.js";
import type { Update, UpdateDetails } from "../protocol/types.js";
import { WireValidationError } from "./codes.js";

/** Bounds of the wire (each far above what an honest message needs). */
export const WIRE_BOUNDS = {
  /** Assets in one channel state. */
  maxAssets: 64,
  /** Bytes of a transfer's `data` (resolver terms). */
  maxTransferDataBytes: 4096,
  /** Bytes of a withdraw commitment's `callData`. */
  maxCallDataBytes: 16_384,
  /** Bytes of a resolver's evidence. */
  maxResolverDataBytes: 4096,
  /** Bytes of an ERC-1271 login signature (an EOA's is 65). */
  maxAccountSignatureBytes: 2048,
} as const;

const MAX_UINT256 = (1n << 256n) - 1n;
const HEX_BYTES = /^0x(?:[0-9a-fA-F]{2})*$/;
const ADDRESS_SHAPE = /^0x[0-9a-fA-F]{40}$/;

/** A 20-byte address; a mixed-case one must match its EIP-55 checksum. Output: checksummed. */
export const address = z
  .string()
  .max(42)
  .regex(ADDRESS_SHAPE, "expected a 0x-prefixed 20-byte address")
  .transform((value, ctx) => {
    try {
      return checksum(value); // ethers' getAddress, memoized: it hashes the address (JS keccak) on every call
    } catch {
      ctx.addIssue({ code: "custom", message: "mixed-case address does not match its EIP-55 checksum" });
      return z.NEVER;
    }
  });

/** 0x-prefixed even-length hex of at most `maxBytes` bytes. Output: lowercase. */
export function hexBytes(maxBytes: number): z.ZodType<string, string> {
  return z
    .string()
    .max(2 + 2 * maxBytes, `expected at most ${maxBytes} bytes`)
    .regex(HEX_BYTES, "expected 0x-prefixed hex with an even number of digits")
    .transform((v) => v.toLowerCase());
}

/** Exactly `bytes` bytes of 0x-prefixed hex. Output: lowercase. */
export function fixedHex(bytes: number, what: string): z.ZodType<string, string> {
  const pattern = new RegExp(`^0x[0-9a-fA-F]{${2 * bytes}}$`);
  return z
    .string()
    .max(2 + 2 * bytes)
    .regex(pattern, `expected ${what}: 0x and ${2 * bytes} hex digits`)
    .transform((v) => v.toLowerCase());
}

export const bytes32 = fixedHex(32, "32 bytes");
/** An ECDSA signature as the SDK produces and verifies it: r ‖ s ‖ v, 65 bytes. */
export const signature = fixedHex(65, "a 65-byte signature");
/** A login signature: 65 bytes from an EOA, or an ERC-1271 account's own encoding (bounded). */
export const accountSignature = z
  .string()
  .min(2 + 130, "expected at least 65 bytes")
  .pipe(hexBytes(WIRE_BOUNDS.maxAccountSignatureBytes));

/** A uint256 carried as a bigint (`{"$n": "<decimal>"}` on the wire). */
export const uint256 = z
  .bigint({ error: 'expected a bigint ({"$n": "<decimal>"})' })
  .min(0n, "expected a non-negative integer")
  .max(MAX_UINT256, "expected a uint256");

export const party = z.enum(["alice", "bob"]);

export const assetState = z.strictObject({
  asset: address,
  balanceAlice: uint256,
  balanceBob: uint256,
  processedAlice: uint256,
  processedBob: uint256,
  defundNonce: uint256,
});

const assets = z.array(assetState).max(WIRE_BOUNDS.maxAssets);

export const channelState = z.strictObject({
  nonce: uint256,
  timeout: uint256,
  transfersRoot: bytes32,
  assets,
});

export const finalState = z.strictObject({ nonce: uint256, assets });

export const withdrawCommitment = z.strictObject({
  asset: address,
  recipient: address,
  amount: uint256,
  nonce: uint256,
  callTo: address,
  callData: hexBytes(WIRE_BOUNDS.maxCallDataBytes),
});

export const transfer = z.strictObject({
  channel: address,
  resolver: address,
  asset: address,
  amount: uint256,
  initiator: address,
  responder: address,
  timeout: uint256,
  salt: bytes32,
  data: hexBytes(WIRE_BOUNDS.maxTransferDataBytes),
});

export const updateDetails = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("deposit"),
    asset: address,
    totalDepositsAlice: uint256,
    totalDepositsBob: uint256,
  }),
  z.strictObject({ type: z.literal("create"), transfer }),
  z.strictObject({
    type: z.literal("resolve"),
    transferId: bytes32,
    toResponder: uint256,
    resolverData: hexBytes(WIRE_BOUNDS.maxResolverDataBytes),
  }),
  z.strictObject({ type: z.literal("withdraw"), party, commitment: withdrawCommitment }),
  z.strictObject({ type: z.literal("close") }),
  z.strictObject({ type: z.literal("plain"), asset: address, amount: uint256 }),
  z.strictObject({
    type: z.literal("reopen"),
    payouts: z
      .array(z.strictObject({ asset: address, toAlice: uint256, toBob: uint256, defundNonce: uint256 }))
      .max(WIRE_BOUNDS.maxAssets),
  }),
]);

export const update = z.strictObject({ proposer: party, details: updateDetails, state: channelState });

export const payloadSignatures = z.strictObject({
  state: signature.optional(),
  withdraw: signature.optional(),
  final: signature.optional(),
});

export const proposal = z.strictObject({ update, signatures: payloadSignatures });

export const acknowledgement = z.strictObject({ nonce: uint256, signatures: payloadSignatures });

export const signedState = z.strictObject({ state: channelState, aliceSignature: signature, bobSignature: signature });

export const signedWithdraw = z.strictObject({
  commitment: withdrawCommitment,
  aliceSignature: signature,
  bobSignature: signature,
});

export const coSignedUpdate = z.strictObject({
  update,
  transferId: bytes32.optional(),
  alice: payloadSignatures,
  bob: payloadSignatures,
});

/** The path of an issue as a dotted string ("update.details.transfer.amount", "assets.0.asset"). */
function pathOf(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join(".") || "(root)";
}

/**
 * Parses `value` with `schema`; throws WireValidationError (`kind`, INVALID_PARAMS by default) listing every
 * issue and nothing else, whatever `value` is.
 */
export function validate<T>(
  schema: z.ZodType<T>,
  value: unknown,
  what: string,
  kind: "INVALID_REQUEST" | "INVALID_PARAMS" = "INVALID_PARAMS",
): T {
  let result: ReturnType<typeof schema.safeParse>;
  try {
    result = schema.safeParse(value);
  } catch {
    // A schema never throws on data; a getter or proxy in a hand-built value could. Refuse it like bad data.
    throw new WireValidationError(kind, `${what}: unreadable value`, [{ path: "(root)", message: "unreadable value" }]);
  }
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 20).map((i) => ({ path: pathOf(i.path), message: i.message }));
  const first = issues[0];
  const summary = first === undefined ? "invalid" : `${first.path}: ${first.message}`;
  throw new WireValidationError(kind, `${what} is invalid (${summary})`, issues);
}

// ───────────── compile-time agreement between the schemas and the SDK's interfaces ─────────────

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Check<T extends true> = T;
export type SchemaAgreement = [
  Check<Same<z.output<typeof assetState>, AssetState>>,
  Check<Same<z.output<typeof channelState>, ChannelState>>,
  Check<Same<z.output<typeof finalState>, FinalState>>,
  Check<Same<z.output<typeof withdrawCommitment>, WithdrawCommitment>>,
  Check<Same<z.output<typeof transfer>, Transfer>>,
  Check<Same<z.output<typeof updateDetails>, UpdateDetails>>,
  Check<Same<z.output<typeof update>, Update>>,
  Check<Same<z.output<typeof payloadSignatures>, PayloadSignatures>>,
  Check<Same<z.output<typeof proposal>, Proposal>>,
  Check<Same<z.output<typeof acknowledgement>, Acknowledgement>>,
  Check<Same<z.output<typeof signedState>, SignedState>>,
  Check<Same<z.output<typeof coSignedUpdate>, CoSignedUpdate>>,
  Check<Same<z.output<typeof signedWithdraw>, SignedWithdraw>>,
];
