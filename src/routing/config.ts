/** What a routing `Node` is configured with, how it reaches a peer, and what a payer asks of it. */
import type { LockReader } from "../chain/settlements.js";
import type { Acknowledgement, Proposal } from "../channel/channel.js";
import type { UpdateDetails } from "../protocol/types.js";
import type { PaymentRecord, SwitchyardStore, WriteUnit } from "../stores/store.js";
import type { RoutedPayment } from "./payments.js";

/**
 * How the node reaches a peer: delivers the node's proposal (a forwarded lock with the onward `route` the peer, a
 * node, forwards along) and returns the peer's acknowledgement. For a peer that sequences the channel (another
 * node that is `alice`, this node `bob`: src/node/peers/), `sequenced` runs the node's update as an intent.
 */
export interface PeerLink {
  receive(proposal: Proposal, route?: RouteInstruction): Promise<Acknowledgement>;
  /**
   * The node's update as bob: sends `details` (with `route` for a lock) as an intent, checks alice's signed
   * proposal is exactly it, signs and stores it with `also` in one unit, acknowledges; resolves once co-signed.
   * Throws IntentRefusedError when alice refused the intent (nothing was signed by either side).
   */
  sequenced?(details: UpdateDetails, route: RouteInstruction | undefined, also: WriteUnit | undefined): Promise<void>;
  /** False when the peer cannot be reached now (no session): the node then signs nothing for it (default: reachable). */
  reachable?(): boolean;
}

/** Why a payment's downstream attempt failed with nothing left live downstream (what `NodeConfig.reroute` is told). */
export interface RouteFailure {
  /** The downstream peer that refused, cancelled or could not be reached. */
  peer: string;
  /** The node's channel with that peer. */
  channel: string;
  reason: string;
  /** The dispute timeout of the payer's channel with the node. */
  upstreamTimeout: bigint;
  /** Unix seconds (the node's routing clock). */
  now: bigint;
}

/** The payer's node's answer to a failed attempt: the next route for the same upstream lock, or why there is none. */
export type RerouteDecision = { route: RouteInstruction } | { exhausted: string };


export interface NodeConfig {
  /** The node's address: its party in every one of its channels. */
  address: string;
  /** The hashlock resolver payments are routed through. */
  hashlock: string;
  /** Seconds of margin in the route and lifetime rules (default DEFAULT_SAFETY_MARGIN). */
  safetyMargin?: bigint;
  /**
   * With a store: how many finished payments (completed or refunded) the node keeps in its table, the latest
   * ones (default FINISHED_IN_MEMORY); older ones are in the store only, where a payer's new lock hash is looked up
   * before the node signs (still refused once routed), and a restart reads only the latest ones back.
   */
  finishedInMemory?: number;
  /**
   * Called with a payment each time the node takes a new state of it (`committed`: entered the table, moved on):
   * lets its host act on what changed instead of scanning the whole table (src/node/payments.ts notifyChanges).
   * Changes merged from the store (`mergePayments`, cluster mode) do not call it.
   */
  changed?: (payment: RoutedPayment) => void;
  /** Unix time in seconds (default: the system clock). */
  clock?: () => bigint;
  /** Milliseconds the node waits for a peer's answer (default 10,000). */
  peerTimeoutMs?: number;
  /** The store of every channel of the node: makes the payment table durable (see the module comment). */
  store?: SwitchyardStore;
  /**
   * Reads a downstream lock's on-chain record (`lockReader` in src/chain/watcher.ts). Without it the node never
   * refunds upstream a payment whose downstream lock it signed, unless the payee cancels it off chain.
   */
  locks?: LockReader;
  /**
   * What the node charges to forward `amountOut` of `asset` to another node or from one (its announced fee):
   * a lock whose route crosses nodes must leave the node at least this (RouteError before anything is signed).
   */
  fee?: (asset: string, amountOut: bigint) => bigint;
  /** Whether `address` is another node (a peer the node forwards to or from along a path). */
  isNode?: (address: string) => boolean;
  /**
   * The payer's node's retry across nodes (src/node/peers/retry.ts, docs/PROTOCOL.md §17.6): asked for another
   * route when an attempt failed with nothing live downstream (refused before anything was signed, or cancelled),
   * `p.attempts` already holding the failed one. Without it, or when it answers `exhausted`, the payer is refunded.
   */
  reroute?: (p: RoutedPayment, failure: RouteFailure) => RerouteDecision;
  /** Several node processes on one database (src/node/cluster/): see NodeCluster. */
  cluster?: NodeCluster;
}

/**
 * How a Node shares its channels with other processes of the same node: every exchange with a peer runs under
 * the peer's channel lock in the database, after re-reading the channel and the payments that cross it.
 */
export interface NodeCluster {
  /** Runs `task` under `channel`'s database lock, kept until `linger(result)` settles too. */
  hold<T>(channel: string, task: () => Promise<T>, linger?: (result: T) => Promise<void>): Promise<T>;
  /** The stored payments that cross `peer`'s channel and are open (or that this process holds open). */
  payments(peer: string): Promise<PaymentRecord[]>;
  /** True for a payment another process may be forwarding right now ("accepted" and changed lately): tick leaves it. */
  young(lockHash: string): boolean;
  /** Opens the node's channels with `peers` in this process (a payment's other hop), before its records merge. */
  peers(peers: readonly string[]): Promise<void>;
}

/** What a payer asks the node to do with its upstream lock. */
export interface RouteInstruction {
  /** The payee: the peer of the downstream channel. */
  recipient: string;
  /** The downstream lock's expiry (unix seconds). */
  expiry: bigint;
  /** What the payee gets (default: the upstream amount; less leaves the node a fee). */
  amount?: bigint;
  /** Across nodes: the hops after `recipient` (a node), which forwards along them; the last one's recipient is the payee. */
  path?: readonly RouteStep[];
}

/** One onward hop of a route across nodes. */
export interface RouteStep {
  recipient: string;
  expiry: bigint;
  amount: bigint;
}
