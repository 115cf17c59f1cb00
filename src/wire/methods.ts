/**
 * The methods a Switchyard node serves on `/v1`, with the schema of each one's params and result, and the
 * notifications it pushes. A method marked `auth: false` is the only kind a connection may call before login.
 * Browser-safe.
 */
import { z } from "zod";

import { LOGIN_PRIMARY_TYPE, LOGIN_VERSION } from "./login.js";
import { accountSignature, address, bytes32, signedState, uint256 } from "./schemas.js";

/** The version path of the WebSocket endpoint and of the HTTP API. */
export const WIRE_VERSION = "v1";

const noParams = z.union([z.strictObject({}), z.array(z.never()).max(0)]).optional();

const typedDataField = z.strictObject({ name: z.string(), type: z.string() });
export const loginChallenge = z.strictObject({
  domain: z.strictObject({
    name: z.string().max(64),
    version: z.literal(LOGIN_VERSION),
    chainId: uint256,
    verifyingContract: address,
  }),
  types: z.record(z.string(), z.array(typedDataField)),
  primaryType: z.literal(LOGIN_PRIMARY_TYPE),
  message: z.strictObject({ client: address, nonce: bytes32, issuedAt: uint256, expiry: uint256 }),
});

const assetFees = z.strictObject({ flat: uint256, ppm: uint256 });

export const nodeInfo = z.strictObject({
  version: z.literal(WIRE_VERSION),
  name: z.string(),
  node: address,
  chainId: uint256,
  deployment: z.record(z.string(), address),
  limits: z.strictObject({
    minTimeout: uint256,
    maxTimeout: uint256,
    assets: z.array(z.strictObject({ asset: address, channelCapacity: uint256, transferCap: uint256 })),
  }),
  wire: z.strictObject({
    maxMessageBytes: z.number().int(),
    ratePerSecond: z.number(),
    burst: z.number().int(),
    maxInFlight: z.number().int(),
    challengeTtlSeconds: z.number().int(),
  }),
  fees: z.strictObject({
    default: assetFees,
    assets: z.array(z.strictObject({ asset: address, flat: uint256, ppm: uint256 })),
  }),
  resolvers: z.array(z.strictObject({ name: z.string(), address })),
  methods: z.array(z.string()),
});
export type NodeInfo = z.output<typeof nodeInfo>;

export const channelInfo = z.strictObject({
  channel: address,
  alice: address,
  bob: address,
  salt: bytes32,
  chainId: uint256,
  timeout: uint256,
  nonce: uint256,
  latest: signedState.optional(),
  /** Where the node keeps the channel: "memory" until the durable stores land. */
  store: z.string(),
});
export type ChannelInfo = z.output<typeof channelInfo>;

/** One method: whether it needs a login, its params and its result. */
export interface MethodSpec<P extends z.ZodType, R extends z.ZodType> {
  auth: boolean;
  params: P;
  result: R;
  summary: string;
}

function method<P extends z.ZodType, R extends z.ZodType>(spec: MethodSpec<P, R>): MethodSpec<P, R> {
  return spec;
}

export const METHODS = {
  "auth.challenge": method({
    auth: false,
    params: z.strictObject({ address }),
    result: loginChallenge,
    summary: "Issues a login challenge (EIP-712 typed data) for an address, bound to this connection.",
  }),
  "auth.login": method({
    auth: false,
    params: z.strictObject({ nonce: bytes32, signature: accountSignature }),
    result: z.strictObject({ address }),
    summary: "Answers a challenge of this connection with the address's signature; binds the address to it.",
  }),
  "node.info": method({
    auth: true,
    params: noParams,
    result: nodeInfo,
    summary: "What GET /v1/info serves: node address, chain, deployment, limits, fees, resolvers.",
  }),
  "channel.get": method({
    auth: true,
    params: noParams,
    result: channelInfo,
    summary: "The logged-in client's channel with the node (node = alice, client = bob): address and latest state.",
  }),
} as const;

export type MethodName = keyof typeof METHODS;
export type ParamsOf<M extends MethodName> = z.input<(typeof METHODS)[M]["params"]>;
export type ResultOf<M extends MethodName> = z.output<(typeof METHODS)[M]["result"]>;

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(METHODS, name);
}

/** Methods planned for the channel and routing parts; named here so no one reuses the names otherwise. */
export const PLANNED_METHODS = [
  "channel.propose",
  "channel.acknowledge",
  "channel.sync",
  "channel.restore",
  "channel.requestCollateral",
  "payment.send",
  "payment.resolve",
] as const;

/** Notifications the node pushes (JSON-RPC notifications: no id, never answered). */
export const NOTIFICATIONS = {
  /** The node stops accepting requests and will close the socket once in-flight exchanges are answered. */
  draining: "node.draining",
} as const;
