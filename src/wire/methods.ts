/**
 * The methods a Switchyard node serves on `/v1`, with the schema of each one's params and result, and the
 * notifications it pushes. A method marked `auth: false` is the only kind a connection may call before login.
 * Browser-safe.
 */
import { z } from "zod";

import {
  graphSnapshot,
  networkRoute as anyNetworkRoute,
  routeHop,
  signedAnnouncement,
} from "../routing/network/schemas.js";
import { LOGIN_PRIMARY_TYPE, LOGIN_VERSION } from "./login.js";
import {
  acknowledgement,
  accountSignature,
  address,
  bytes32,
  coSignedUpdate,
  proposal,
  signedState,
  signedWithdraw,
  transfer,
  uint256,
  updateDetails,
} from "./schemas.js";

/** The version path of the WebSocket endpoint and of the HTTP API. */
export const WIRE_VERSION = "v1";

/**
 * The revision of the message flow on `/v1` (which notifications the node pushes, docs/NODE.md "Notifications
 * pushed"), served as `revision` in `node.info` and GET /v1/info. A client refuses a node of another revision
 * (src/wire/revision.ts), and a client older than revision 2 refuses the field itself (its schema is strict): old
 * and new never mix silently. 2: `payment.status` goes to the payer only, and only with what its channel cannot
 * show it (session 7; revision 1 pushed every status to both parties).
 */
export const FLOW_REVISION = 2;

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

/** A node's forwarding fee for an asset (routing/network FeeSchedule): flat + amountOut · ppm / 10^6. */
const ppm = uint256.max(1_000_000n, "parts per million: at most 1000000");
const assetFees = z.strictObject({ flat: uint256, ppm });

export const nodeInfo = z.strictObject({
  version: z.literal(WIRE_VERSION),
  revision: z.literal(FLOW_REVISION),
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
    assets: z.array(z.strictObject({ asset: address, flat: uint256, ppm })),
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
  /** Where the node keeps the channel: "sqlite" or "postgres". */
  store: z.string(),
});
export type ChannelInfo = z.output<typeof channelInfo>;

/** Most co-signed updates one `channel.sync` answer carries (the client asks again while `more`). */
export const SYNC_PAGE = 64;
/** Most active transfers a channel may hold for `channel.restore` to carry them in one answer. */
export const MAX_RESTORE_TRANSFERS = 256;

/** Most onward hops a route instruction may carry (a route of at most MAX_ROUTE_PATH + 1 forwarding nodes). */
export const MAX_ROUTE_PATH = 8;

/** One onward hop of a route across nodes: the next recipient, its lock's expiry and amount (docs/NODE.md "Peering"). */
export const routeStep = z.strictObject({ recipient: address, expiry: uint256, amount: uint256 });

/**
 * A payment the node routes: the recipient of its downstream lock (the payee, or the next node), that lock's
 * expiry, what the recipient gets (default: all), and, across nodes, the `path` the recipient node forwards along
 * (each step one node further; the last step's recipient is the payee).
 */
export const routeInstruction = z.strictObject({
  recipient: address,
  expiry: uint256,
  amount: uint256.optional(),
  path: z.array(routeStep).max(MAX_ROUTE_PATH).readonly().optional(),
});

export const syncResult = z.strictObject({
  /** The node's latest co-signed state (absent at genesis). */
  latest: signedState.optional(),
  /** The co-signed updates from the client's nonce on (the first one is the client's latest: the fork check). */
  updates: z.array(coSignedUpdate).max(SYNC_PAGE + 1),
  /** More updates follow (ask again from the last nonce). */
  more: z.boolean(),
  /** The node's signed, unanswered proposal at the next nonce: the client answers it with channel.acknowledge. */
  pending: proposal.optional(),
  /** The onward route of `pending` when it is a lock forwarded to another node (as the update push carries it). */
  pendingRoute: routeInstruction.optional(),
});
export type SyncResult = z.output<typeof syncResult>;

export const restoreResult = z.strictObject({
  channel: address,
  alice: address,
  bob: address,
  salt: bytes32,
  chainId: uint256,
  timeout: uint256,
  latest: signedState.optional(),
  /** The active transfers, in merkle-tree order (their root must be the latest state's transfersRoot). */
  transfers: z.array(transfer).max(MAX_RESTORE_TRANSFERS),
  /** Co-signed withdraw commitments (each can still be executed on chain once). */
  withdrawals: z.array(signedWithdraw).max(1024),
  nextWithdrawNonce: uint256,
  closed: z.boolean(),
});
export type RestoreResult = z.output<typeof restoreResult>;

/** A node's proposal pushed to a client; a lock forwarded to another node carries that node's onward route. */
export const updatePush = z.strictObject({ proposal, route: routeInstruction.optional() });
export const paymentNotice = z.strictObject({
  lockHash: bytes32,
  status: z.string().max(32),
  role: z.enum(["payer", "payee"]),
  transferId: bytes32.optional(),
  amount: uint256.optional(),
  /** To the payer of a payment across nodes, at its end: the attempts that failed before (docs/PROTOCOL.md §17.6). */
  attempts: z
    .array(z.strictObject({ path: z.array(address).max(MAX_ROUTE_PATH + 1), refusedBy: address, reason: z.string().max(500) }))
    .max(16)
    .optional(),
  /** The recipients of the route that completed it (the payer's node's downstream peer first, the payee last). */
  route: z.array(address).max(MAX_ROUTE_PATH + 1).optional(),
  /** Refunded for want of another route: the typed error's code (ROUTE_EXHAUSTED) and message. */
  code: z.string().max(64).optional(),
  reason: z.string().max(1_000).optional(),
});
export type PaymentNoticeParams = z.input<typeof paymentNotice>;

/** Most announcements one `graph.announce` request or `graph.announcement` push carries. */
export const MAX_ANNOUNCE_BATCH = 64;
/** A batch of signed announcements (gossip between nodes, docs/NODE.md "Peering"). */
export const announcementBatch = z.strictObject({
  announcements: z.array(signedAnnouncement).max(MAX_ANNOUNCE_BATCH),
});

/**
 * A route across nodes as the payer's node found it (src/routing/network/types.ts NetworkRoute): the network
 * room's schema, with no more hops than a forward's onward path can carry.
 */
export const networkRoute = anyNetworkRoute.extend({ hops: z.array(routeHop).min(1).max(MAX_ROUTE_PATH + 1) });

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
  "channel.propose": method({
    auth: true,
    params: z.strictObject({ details: updateDetails, route: routeInstruction.optional() }),
    result: proposal,
    summary:
      "An unsigned intent (update details, proposer = the client); the node signs it first on its latest state and returns the proposal.",
  }),
  "channel.acknowledge": method({
    auth: true,
    params: z.strictObject({ ack: acknowledgement }),
    result: z.strictObject({ nonce: uint256 }),
    summary: "The client's signatures of the node's pending proposal; answered once the co-signed update is durable.",
  }),
  "channel.sync": method({
    auth: true,
    params: z.strictObject({ nonce: uint256 }),
    result: syncResult,
    summary: "The co-signed updates from the client's latest nonce on, and the node's pending proposal.",
  }),
  "channel.restore": method({
    auth: true,
    params: noParams,
    result: restoreResult,
    summary: "The latest co-signed state, the active transfers and co-signed withdrawals, for an empty client store.",
  }),
  "payment.send": method({
    auth: true,
    params: z.strictObject({ details: updateDetails, route: routeInstruction }),
    result: proposal,
    summary: "A routed payment: the upstream lock as a create intent with its route (as channel.propose with a route).",
  }),
  "channel.requestCollateral": method({
    auth: true,
    params: z.strictObject({ asset: address, amount: uint256 }),
    result: z.strictObject({
      channel: address,
      asset: address,
      deposited: uint256,
      withdrawn: uint256,
      balance: uint256,
      tx: bytes32.optional(),
    }),
    summary:
      "The node deposits (as alice) so its balance in the caller's channel reaches max(target, amount), within its collateral policy and the channel capacity, and reconciles it (a deposit update it pushes) before answering.",
  }),
  "route.find": method({
    auth: true,
    params: z.strictObject({
      payee: address,
      payeeNode: address,
      asset: address,
      amount: uint256,
      lockHash: bytes32,
      /** Seconds from now to the payee's lock expiry (the payee's channel timeout + margin + slack, from its invoice). */
      payeeWindow: uint256.optional(),
      /** The most the payer accepts to pay in fees. */
      maxFee: uint256.optional(),
    }),
    result: networkRoute,
    summary:
      "The cheapest route from the caller to a payee of another node (the node's graph of signed announcements), each hop's amounts, fees and expiries; the payer checks it, then locks `hops[0].amountIn` until `hops[0].expiryIn` with payment.send.",
  }),
  "graph.announce": method({
    auth: true,
    params: announcementBatch,
    result: z.strictObject({ admitted: z.number().int().min(0) }),
    summary: "A peer node's signed announcements (its own and relayed ones); the node checks and keeps them, relays the new ones once.",
  }),
  "graph.snapshot": method({
    auth: true,
    params: noParams,
    result: graphSnapshot,
    summary: "Every live announcement the node holds (for a newly connected peer node).",
  }),
} as const;

export type MethodName = keyof typeof METHODS;
export type ParamsOf<M extends MethodName> = z.input<(typeof METHODS)[M]["params"]>;
export type ResultOf<M extends MethodName> = z.output<(typeof METHODS)[M]["result"]>;

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(METHODS, name);
}

/** Notifications the node pushes (JSON-RPC notifications: no id, never answered). */
export const NOTIFICATIONS = {
  /** The node stops accepting requests and will close the socket once in-flight exchanges are answered. */
  draining: "node.draining",
  /** The node's signed proposal (`{proposal}`); the client answers with channel.acknowledge. */
  update: "channel.update",
  /** What the payer's channel does not show of its routed payment (`{lockHash, status, role}`, revision 2). */
  payment: "payment.status",
  /** Signed announcements a node relays to the peer nodes that dial it (`{announcements}`). */
  announcement: "graph.announcement",
} as const;
