/**
 * The vocabulary of routing across nodes (docs/PROTOCOL.md §17): what a node announces about itself and its
 * channels with other nodes, and the route a payment takes over several nodes. Pure data, browser-safe.
 *
 * Conventions every module of src/routing/network/ follows:
 * - addresses are checksummed (EIP-55); amounts, times and counters are bigints (unix seconds for times);
 * - a node-to-node channel's `alice` is the node with the lower address (as a number), its `bob` the other one;
 *   its address is `computeChannelAddress(factory, mastercopy, alice, bob, salt)`;
 * - one asset per route: every hop carries the same asset and the same lock hash.
 *
 * Timeouts must grow towards the payer. Besides `expiryIn - expiryOut >= timeout + margin` (rule 2 of §12), each
 * forwarding node needs its downstream lock to end before the upstream payer could have the upstream lock refunded
 * (§12 rule 3): `expiryOut + margin <= now + timeout + window`, where `window <= timeout` is the upstream lock's
 * settle window. With equal node-channel timeouts T this fails over two node-to-node channels (the second-last
 * node's `expiryOut` is already about now + 2T + 2·margin), and the payer's own channel needs about T + W/2: a route
 * is feasible only over channels whose timeouts rise by about half of the downstream horizon per hop (pathfind.ts
 * plans and checks this; PROTOCOL.md §17.5 argues it).
 */

/** What a node charges to forward one payment in one asset: `flat + amountOut * ppm / 1_000_000` (rounded down). */
export interface FeeSchedule {
  /** A fixed fee per forwarded payment, in the asset's smallest unit. */
  flat: bigint;
  /** Parts per million of the amount the node sends on (at most 1,000,000). */
  ppm: bigint;
}

/**
 * A node's signed statement about its own outbound side of one channel it is a party of (`nodeA` signs it):
 * how much it can send to `nodeB` in `asset`, and what it charges. Newer `seq` replaces older; an entry expires
 * a configured time after `issuedAt`.
 */
export interface ChannelAnnouncement {
  /** The channel: computeChannelAddress(factory, mastercopy, alice, bob, salt) for the pair, alice the lower address. */
  channel: string;
  /** The salt the channel's address was derived with (32 bytes of hex): lets a receiver check the address. */
  salt: string;
  /** The announcing node (the signer): the side that can send `capacityAtoB`. */
  nodeA: string;
  /** The other party of the channel. */
  nodeB: string;
  /** The asset this announcement is about (the zero address for the native currency). */
  asset: string;
  /** What `nodeA` can send to `nodeB` in this channel now (its balance there, as it chooses to announce it). */
  capacityAtoB: bigint;
  /** `nodeA`'s fee for forwarding a payment of `asset` (its FeeSchedule.flat). */
  feeFlat: bigint;
  /** `nodeA`'s fee in parts per million (its FeeSchedule.ppm). */
  feePpm: bigint;
  /** The channel's dispute timeout (seconds of each dispute phase): what the route rule adds per hop. */
  timeout: bigint;
  /** The announcer's sequence number for (channel, asset, nodeA): strictly increasing. */
  seq: bigint;
  /** When the announcer signed it (unix seconds). */
  issuedAt: bigint;
}

/** A node's signed statement about itself: where it listens. Optional: a node may be known by its channels only. */
export interface NodeAnnouncement {
  /** The node's address (the signer). */
  node: string;
  /** Where it serves the wire (a ws:// or wss:// URL; informational, the dialer still logs in). */
  url: string;
  /** The announcer's sequence number for its node announcements: strictly increasing. */
  seq: bigint;
  /** When the announcer signed it (unix seconds). */
  issuedAt: bigint;
}

/** A channel announcement with its signer's EIP-712 signature (announce.ts). */
export interface SignedChannelAnnouncement {
  kind: "channel";
  announcement: ChannelAnnouncement;
  /** 65-byte ECDSA signature by `announcement.nodeA`. */
  signature: string;
}

/** A node announcement with its signer's EIP-712 signature (announce.ts). */
export interface SignedNodeAnnouncement {
  kind: "node";
  announcement: NodeAnnouncement;
  /** 65-byte ECDSA signature by `announcement.node`. */
  signature: string;
}

/** Anything a node gossips. */
export type SignedAnnouncement = SignedChannelAnnouncement | SignedNodeAnnouncement;

/**
 * One forwarding node of a route. The node receives a lock of `amountIn` expiring at `expiryIn` in `channel` (from
 * the previous hop's node; for the first hop, from the payer in the payer's channel with its node) and sends a lock
 * of `amountOut` expiring at `expiryOut` to the next hop's node (for the last hop, to the payee in the payee's
 * channel with its node). Each hop is checkable with what its node knows:
 * `expiryIn - expiryOut >= timeout + margin` and `fee = amountIn - amountOut`.
 */
export interface RouteHop {
  /** The forwarding node. */
  node: string;
  /** The channel the node receives the lock in (its upstream channel). */
  channel: string;
  /** The asset of the payment (the same on every hop). */
  asset: string;
  /** What the node is locked upstream (in `channel`). */
  amountIn: bigint;
  /** What the node locks downstream (to the next hop, or to the payee). */
  amountOut: bigint;
  /** The upstream lock's expiry (unix seconds). */
  expiryIn: bigint;
  /** The downstream lock's expiry (unix seconds). */
  expiryOut: bigint;
  /** The node's fee: `amountIn - amountOut`. */
  fee: bigint;
  /** The dispute timeout of `channel` (the upstream channel), in seconds. */
  timeout: bigint;
}

/**
 * A payment's route from the payer's node to the payee's node: the forwarding nodes in order, the first being the
 * payer's node and the last the payee's node (one hop when both are the same node).
 */
export interface NetworkRoute {
  /** The paying user (its lock to `payerNode` is the first hop's upstream lock). */
  payer: string;
  /** The payer's node: `hops[0].node`. */
  payerNode: string;
  /** The payee (a user of `payeeNode`; what it hands out, with its node, like an invoice). */
  payee: string;
  /** The payee's node: `hops[hops.length - 1].node`. */
  payeeNode: string;
  /** The asset paid. */
  asset: string;
  /** The hashlock every hop locks with (bytes32). */
  lockHash: string;
  /** What the payee receives: the last hop's `amountOut`. */
  amount: bigint;
  /** The forwarding nodes, payer's node first. */
  hops: RouteHop[];
  /** The sum of the hops' fees: `hops[0].amountIn - amount`. */
  totalFee: bigint;
}

/** Nodes and channels a route must avoid (a hop that refused, a silent node): pathfind.ts `alternatives`. Checksummed addresses. */
export interface RouteExclusions {
  nodes?: ReadonlySet<string>;
  channels?: ReadonlySet<string>;
}

/** One direction of a channel in the graph (graph.ts): what `from` can send to `to`, from `from`'s announcement. */
export interface GraphEdge {
  channel: string;
  /** The announcing node: the sender in this direction. */
  from: string;
  to: string;
  asset: string;
  /** What `from` announced it can send (`capacityAtoB`). */
  capacity: bigint;
  /** `from`'s fee schedule for `asset`. */
  fee: FeeSchedule;
  /** The channel's dispute timeout, in seconds. */
  timeout: bigint;
  seq: bigint;
  issuedAt: bigint;
  /** When the entry stops counting (unix seconds): `issuedAt` + the graph's time to live. */
  expiresAt: bigint;
}

/** What a payer's node asks the pathfinder for (pathfind.ts `findRoute`). */
export interface RouteRequest {
  /** The paying user and its channel with the payer's node (the first hop's upstream channel). */
  payer: string;
  payerChannel: string;
  /** The dispute timeout of `payerChannel`, in seconds. */
  payerTimeout: bigint;
  /** The node computing the route: the first hop. */
  payerNode: string;
  /** The payee and its node (the invoice). */
  payee: string;
  payeeNode: string;
  asset: string;
  /** What the payee must receive. */
  amount: bigint;
  lockHash: string;
  /** Seconds from now to the payee's lock expiry (at least the payee channel's timeout + margin; default in config). */
  payeeWindow?: bigint;
  /** The most the payer accepts to pay in fees (undefined: no bound). */
  maxFee?: bigint;
  /**
   * The latest the first hop's upstream lock may expire (undefined: no bound): a retry at the payer's node plans for
   * the payer's lock already made, whose expiry is fixed.
   */
  maxExpiryIn?: bigint;
}

/** A serialisable copy of a graph (the `graph.snapshot` reply): the verified announcements it holds. */
export interface GraphSnapshot {
  /** Unix seconds at which the snapshot was taken. */
  takenAt: bigint;
  announcements: SignedAnnouncement[];
}
