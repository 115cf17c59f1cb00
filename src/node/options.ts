/**
 * What a running node service is made of, resolved from the config file (src/node/config.ts) or built by hand
 * (tests, embedding): the node's key, chain, deployment, policies, and the wire's limits.
 */
import type { Provider } from "ethers";

import type { RetryPolicy } from "./peers/retry.js";
import type { PeerConfig } from "./peers/roles.js";
import type { BaseWallet } from "ethers";
import type { Logger } from "pino";

import type { LockReader } from "../chain/settlements.js";
import type { CallProvider, ChannelSigner } from "../protocol/signing.js";
import type { DeploymentLimits } from "../protocol/types.js";
import type { SwitchyardStore } from "../stores/store.js";
import type { Cluster } from "./cluster/index.js";
import { DEFAULT_MAX_PAYMENTS_IN_FLIGHT } from "./admission.js";

/** Limits of the public socket, per connection unless said otherwise. */
export interface WireLimits {
  /** Bytes of one message; a longer one is answered PAYLOAD_TOO_LARGE (and above 4× it the socket is closed). */
  maxMessageBytes: number;
  /** Nesting of arrays and objects in one message. */
  maxDepth: number;
  /** Token bucket: sustained requests per second, and the burst. */
  ratePerSecond: number;
  burst: number;
  /** Requests of one connection being handled at once. */
  maxInFlight: number;
  /** Misbehaviour points (one per bad message) at which the connection is closed, and ms per point of decay. */
  misbehaviourLimit: number;
  misbehaviourDecayMs: number;
  /** Seconds a login challenge may be answered, and how many one connection may hold. */
  challengeTtlSeconds: number;
  maxChallenges: number;
  /** Open connections in all. */
  maxConnections: number;
  /**
   * Routed payments in flight in all (admitted, not yet completed or refunded): the next `payment.send` is refused
   * with OVERLOADED before the node signs anything (src/node/admission.ts; 0: no bound).
   */
  maxPaymentsInFlight: number;
  /** How long SIGTERM waits for in-flight exchanges before it closes the sockets anyway. */
  drainTimeoutMs: number;
}

export const DEFAULT_WIRE_LIMITS: WireLimits = {
  maxMessageBytes: 65_536,
  maxDepth: 16,
  ratePerSecond: 50,
  burst: 100,
  maxInFlight: 16,
  misbehaviourLimit: 10,
  misbehaviourDecayMs: 10_000,
  challengeTtlSeconds: 300,
  maxChallenges: 4,
  maxConnections: 1_000,
  maxPaymentsInFlight: DEFAULT_MAX_PAYMENTS_IN_FLIGHT,
  drainTimeoutMs: 10_000,
};

/** A flat fee plus parts per million of the amount, for routing a payment in one asset. */
export interface AssetFee {
  flat: bigint;
  ppm: bigint;
}

export interface FeePolicy {
  default: AssetFee;
  assets: ReadonlyMap<string, AssetFee>;
}

/** The node's collateral per asset in each channel: top up below `min` to `target`, never above `max`. */
export interface CollateralPolicy {
  asset: string;
  min: bigint;
  target: bigint;
  max: bigint;
}

export interface DeploymentInfo {
  /** Contract name → checksummed address (ChannelFactory, ChannelMastercopy, HashlockResolver, SignedTransferResolver). */
  addresses: Readonly<Record<string, string>>;
  limits: DeploymentLimits;
}

export interface NodeServiceOptions {
  /** Shown to users in the login typed data's domain and in /v1/info. */
  name: string;
  host: string;
  /** 0 takes a free port. */
  port: number;
  chainId: bigint;
  /** The node's key: its address is `alice` in every channel and the login domain's verifyingContract. */
  wallet: BaseWallet;
  deployment: DeploymentInfo;
  /** Signs the node's channel payloads (default: `wallet`'s key in this process; an HSM or a test log). */
  signer?: ChannelSigner;
  fees: FeePolicy;
  collateral: readonly CollateralPolicy[];
  /** Dispute timeout (seconds) of the channels the node opens. */
  channelTimeout: bigint;
  /** The durable store: a SQLite file or a PostgreSQL URL, opened at start (channels and payments live there). */
  store: { kind: "sqlite" | "postgres"; url: string };
  /** An already opened store instead (embedding, tests); the service closes it when it drains. */
  openedStore?: SwitchyardStore;
  /** How long a client's intent waits for the node's unanswered proposal (default 10 s). */
  intentWaitMs?: number;
  /** Routes hashlock payments between clients (default true when the deployment has a HashlockResolver). */
  routing?: boolean;
  /** Milliseconds between two runs of the routing tick (claims, refunds, re-deliveries; default 2000). */
  routingTickMs?: number;
  /** Milliseconds the node waits for a client's acknowledgement of its proposal (default 5000). */
  peerTimeoutMs?: number;
  wire: WireLimits;
  /** The chain as an ethers Provider (gossip reads what a channel holds on chain before it admits a capacity). */
  provider?: Provider;
  /** Unix seconds the routing Node reads lock expiries against (default: the system clock; startNode: the chain's). */
  routingClock?: () => bigint;
  /** The node's peer nodes (src/node/peers/): the lower address of a pair listens, the higher dials (with `url`). */
  peers?: readonly PeerConfig[];
  /** The payer's node's retry across nodes (default src/node/peers/retry.ts DEFAULT_RETRY: 3 attempts within 30 s). */
  routeRetry?: RetryPolicy;
  /** The chain connection: ERC-1271 login, on-chain deposit reads, readiness. */
  chain?: CallProvider;
  /** Reads a downstream lock on chain (src/chain/settlements.ts lockReader): lets routing refund an expired forward. */
  locks?: LockReader;
  /** Resolves when the chain answers with the configured chain id; /ready is 503 while it does not. */
  chainReady?: () => Promise<boolean>;
  logger: Logger;
  /** Unix time in ms (default Date.now). */
  clock?: () => number;
  /**
   * Several node processes on one PostgreSQL database (src/node/cluster/, docs/NODE.md "Running N processes"):
   * joined by the caller, with the store opened shared; the service stops it when it drains.
   */
  cluster?: Cluster;
}
