/**
 * zod schemas of what nodes gossip (docs/PROTOCOL.md §17): signed announcements and graph snapshots, strict, with
 * addresses checksummed and bigints as bigints (src/wire/schemas.ts primitives). Shape only: signatures, channel
 * addresses, sequence numbers and capacities are checked by announce.ts and graph.ts. Browser-safe.
 */
import { z } from "zod";

import { MalformedMessageError } from "../../protocol/errors.js";
import { WireValidationError } from "../../wire/codes.js";
import { address, bytes32, signature, uint256, validate } from "../../wire/schemas.js";
import type {
  ChannelAnnouncement,
  GraphSnapshot,
  NetworkRoute,
  NodeAnnouncement,
  RouteHop,
  SignedAnnouncement,
} from "./types.js";

/** Longest node URL accepted in a node announcement. */
export const MAX_URL_LENGTH = 512;
/** Most announcements in one snapshot (a far larger network than any test needs; bounds one message). */
export const MAX_SNAPSHOT_ANNOUNCEMENTS = 4096;

const ppm = uint256.max(1_000_000n, "parts per million: at most 1000000");

export const channelAnnouncement = z.strictObject({
  channel: address,
  salt: bytes32,
  nodeA: address,
  nodeB: address,
  asset: address,
  capacityAtoB: uint256,
  feeFlat: uint256,
  feePpm: ppm,
  timeout: uint256,
  seq: uint256,
  issuedAt: uint256,
});

export const nodeAnnouncement = z.strictObject({
  node: address,
  url: z
    .string()
    .max(MAX_URL_LENGTH)
    .regex(/^wss?:\/\/\S+$/, "expected a ws:// or wss:// URL"),
  seq: uint256,
  issuedAt: uint256,
});

export const signedAnnouncement = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("channel"), announcement: channelAnnouncement, signature }),
  z.strictObject({ kind: z.literal("node"), announcement: nodeAnnouncement, signature }),
]);

export const graphSnapshot = z.strictObject({
  takenAt: uint256,
  announcements: z.array(signedAnnouncement).max(MAX_SNAPSHOT_ANNOUNCEMENTS),
});

/** Most hops a route on the wire may carry (far above any configured `maxHops`). */
export const MAX_ROUTE_HOPS = 16;

export const routeHop = z.strictObject({
  node: address,
  channel: address,
  asset: address,
  amountIn: uint256,
  amountOut: uint256,
  expiryIn: uint256,
  expiryOut: uint256,
  fee: uint256,
  timeout: uint256,
});

/** A route as nodes pass it on when they forward (checked in full by validate.ts `checkNetworkRoute`). */
export const networkRoute = z.strictObject({
  payer: address,
  payerNode: address,
  payee: address,
  payeeNode: address,
  asset: address,
  lockHash: bytes32,
  amount: uint256,
  hops: z.array(routeHop).min(1).max(MAX_ROUTE_HOPS),
  totalFee: uint256,
});

/** Parses a route received with a forward; throws MalformedMessageError for anything else. */
export function parseRoute(value: unknown): NetworkRoute {
  return parse(networkRoute, value, "route");
}

/** Parses a gossiped announcement; throws MalformedMessageError (with the issues) for anything else. */
export function parseAnnouncement(value: unknown): SignedAnnouncement {
  return parse(signedAnnouncement, value, "announcement");
}

/** Parses a `graph.snapshot` reply; throws MalformedMessageError for anything else. */
export function parseSnapshot(value: unknown): GraphSnapshot {
  return parse(graphSnapshot, value, "graph snapshot");
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  try {
    return validate(schema, value, what);
  } catch (error) {
    if (error instanceof WireValidationError) throw new MalformedMessageError(what, error.message, error.issues);
    throw error;
  }
}

// Compile-time agreement between the schemas and the interfaces of types.ts.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Check<T extends true> = T;
export type NetworkSchemaAgreement = [
  Check<Same<z.output<typeof channelAnnouncement>, ChannelAnnouncement>>,
  Check<Same<z.output<typeof nodeAnnouncement>, NodeAnnouncement>>,
  Check<Same<z.output<typeof signedAnnouncement>, SignedAnnouncement>>,
  Check<Same<z.output<typeof graphSnapshot>, GraphSnapshot>>,
  Check<Same<z.output<typeof routeHop>, RouteHop>>,
  Check<Same<z.output<typeof networkRoute>, NetworkRoute>>,
];
