/** What a routing `Node` is configured with, how it reaches a peer, and what a payer asks of it. */
import type { LockReader } from "../chain/settlements.js";
import type { Acknowledgement, Proposal } from "../channel/channel.js";
import type { SwitchyardStore } from "../stores/store.js";

/** How the node reaches a peer: delivers the node's proposal and returns the peer's acknowledgement. */
export interface PeerLink {
  receive(proposal: Proposal): Promise<Acknowledgement>;
}

export interface NodeConfig {
  /** The node's address: its party in every one of its channels. */
  address: string;
  /** The hashlock resolver payments are routed through. */
  hashlock: string;
  /** Seconds of margin in the route and lifetime rules (default DEFAULT_SAFETY_MARGIN). */
  safetyMargin?: bigint;
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
}

/** What a payer asks the node to do with its upstream lock. */
export interface RouteInstruction {
  /** The payee: the peer of the downstream channel. */
  recipient: string;
  /** The downstream lock's expiry (unix seconds). */
  expiry: bigint;
  /** What the payee gets (default: the upstream amount; less leaves the node a fee). */
  amount?: bigint;
}
