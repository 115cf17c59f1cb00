/**
 * The storage contract of the SDK. `ChannelStore` is what a party's `Channel` and its `Watcher` need;
 * `SwitchyardStore` adds what a node keeps beside its channels (routed payments, learned preimages, outgoing
 * on-chain transactions, an outbox of messages to deliver) and one transactional entry point, `write`, that
 * commits a unit of work (say a co-signed update, the forward record it moves and the message it causes)
 * atomically. Backends: memory (memory.ts), SQLite (sqlite/), PostgreSQL and PGlite (postgres/); the legacy
 * `FileChannelStore` (file.ts) implements `ChannelStore` only.
 *
 * Contract of every implementation (the conformance suite, test/ts/stores/conformance.ts, checks each rule):
 * - a write resolves only once its unit is durable (committed), so a caller that awaits it before letting a
 *   signature leave the process (Channel does) never loses anything it signed;
 * - a unit that does not follow the stored data (wrong nonce, a second content for a signed nonce, anything
 *   but a reopen after a close, a payment or chain transaction at another version than expected) is refused as a whole and
 *   leaves the store exactly as it was; other units committed in the same group commit are not affected;
 * - units on one channel are applied in the order `write` was called;
 * - one writer per store: a second one is refused (StoreLockedError), by a lock or a fencing check inside the
 *   transaction.
 *
 * This module has no Node.js dependency (browser wallets can use it and memory.ts).
 */
import type { ChannelRecord, CoSignedUpdate, PendingSignature, StoreEntry } from "../protocol/record.js";

export { MemoryChannelStore, MemoryDatabase, MemoryStore } from "./memory.js";

/** Where channels are kept. */
export interface ChannelStore {
  /** Every channel this store holds (checksummed addresses). */
  channels(): Promise<string[]>;
  /** A copy of the channel's record, or undefined when the store does not hold it. */
  load(channel: string): Promise<ChannelRecord | undefined>;
  /** Stores a new channel's record (its genesis). Fails if the channel exists. */
  create(record: ChannelRecord): Promise<void>;
  /** Durably records this party's signature of the next nonce, before it is sent. */
  putSigned(channel: string, pending: PendingSignature): Promise<void>;
  /** Durably records a co-signed update: the new latest state and its effects. */
  putCoSigned(channel: string, cosigned: CoSignedUpdate): Promise<void>;
  /** Durably records evidence (e.g. a hashlock preimage) learned for a transfer. */
  putResolution(channel: string, transferId: string, resolverData: string): Promise<void>;
  /** Drops any cached copy of the channel, so the next `load` reads the database (several writers on one). */
  evict?(channel: string): void;
  /**
   * How many commits of this store so far failed with an unknown outcome (the connection lost during COMMIT, a
   * failed sync after it): each may have landed although its writer was told it failed. A holder of in-memory
   * copies (a Channel, the routing Node) re-reads them from the store once this number has changed.
   */
  readonly doubtfulCommits?: number;
}

/** A change to one channel inside a unit of work. */
export type ChannelOp =
  /** A new channel at its genesis (refused if the channel exists). */
  | { op: "create"; record: ChannelRecord }
  /** An entry folded into the channel's record (refused unless it follows the record). */
  | { op: "entry"; channel: string; entry: StoreEntry };

/**
 * A node's record of one routed payment (the routing state machine, made durable). The store keeps `body` (the
 * router's own JSON-encodable view: hops, transfers, expiries, evidence) opaque, and indexes the rest.
 */
export interface PaymentRecord {
  /** The hashlock's lock hash (lowercase 0x hex): one payment per lock. */
  lockHash: string;
  /** The router's state (e.g. accepted, forwarded, unlocked, completed, cancelling, refunded). */
  status: string;
  upstreamPeer: string;
  upstreamTransferId: string;
  downstreamPeer?: string;
  downstreamTransferId?: string;
  /** JSON-encodable (bigints allowed). */
  body: unknown;
  /** Unix milliseconds of the last change. */
  updatedAt: number;
  /** 1 when created, +1 per change; set by the store. */
  version: number;
}

/** `SwitchyardStore.recentPayments`: the final statuses, and how many payments in them to read (the latest). */
export interface RecentPaymentsFilter {
  finished: readonly string[];
  latest: number;
}

/** Writes `payment` if the stored one is at `expectedVersion` (0: it must not exist yet). */
export interface PaymentWrite {
  payment: Omit<PaymentRecord, "version">;
  expectedVersion: number;
}

/** A preimage the node learned (from a peer's resolve, or from the chain), by lock hash. */
export interface PreimageRecord {
  lockHash: string;
  /** abi.encode(preimage), as the hashlock resolver takes it. */
  resolverData: string;
  /** Where it was learned ("peer", "chain", ...). */
  source: string;
  learnedAt: number;
}

export type ChainTxStatus =
  /** Recorded, not yet broadcast (no nonce may be assigned yet). */
  | "queued"
  /** Broadcast at least once; waiting for a receipt. */
  | "sent"
  /** A receipt is known (success or revert, see `receipt.status`). */
  | "mined"
  /** Given up (reported to the operator). */
  | "failed";

/** One broadcast of a chain transaction (a fee bump is another attempt at the same nonce). */
export interface ChainTxAttempt {
  hash: string;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  /** The attempt's gas limit (kept so the attempt can be signed again after a restart). */
  gasLimit?: bigint;
  /** Unix milliseconds. */
  sentAt: number;
}

export interface ChainTxReceipt {
  hash: string;
  blockNumber: bigint;
  /** 1 success, 0 reverted. */
  status: number;
  gasUsed: bigint;
}

/** An on-chain transaction the node sends: its intent, nonce, every attempt and the receipt. */
export interface ChainTxRecord {
  /** The caller's id (e.g. "deposit:<channel>:<asset>:<n>"): one record per intent. */
  id: string;
  sender: string;
  /** Assigned when first broadcast; unique per sender. */
  nonce?: bigint;
  to: string;
  data: string;
  value: bigint;
  /** What it is for (deposit, withdraw, dispute...), free text for operators. */
  purpose: string;
  status: ChainTxStatus;
  attempts: ChainTxAttempt[];
  receipt?: ChainTxReceipt;
  createdAt: number;
  /** 1 when created, +1 per change; set by the store. */
  version: number;
}

/** Writes `tx` if the stored one is at `expectedVersion` (0: it must not exist yet). */
export interface ChainTxWrite {
  tx: Omit<ChainTxRecord, "version">;
  expectedVersion: number;
}

/** A message to deliver to a peer once the unit that produced it commits (removed when delivered). */
export interface OutboxMessage {
  /** Unique id chosen by the caller. */
  id: string;
  recipient: string;
  channel?: string;
  /** JSON-encodable (bigints allowed). */
  body: unknown;
  createdAt: number;
}

/** An outbox message as stored: with its position in the outbox (delivery order). */
export interface StoredOutboxMessage extends OutboxMessage {
  seq: number;
}

/** Everything one transaction writes. Each part is checked against the stored data inside the transaction. */
export interface WriteUnit {
  channels?: ChannelOp[];
  payments?: PaymentWrite[];
  /** Inserted; the same lock hash with other data is refused (StoreConflictError). */
  preimages?: PreimageRecord[];
  chainTxs?: ChainTxWrite[];
  /** Enqueued (an id already in the outbox is refused). */
  outbox?: OutboxMessage[];
  /** Outbox ids delivered: removed (unknown ids are ignored: delivery is at least once). */
  delivered?: string[];
}

/** Counters that show group commit at work. */
export interface StoreStats {
  /** Durable commits (transactions) made by `write`. */
  commits: number;
  /** Units committed. */
  units: number;
  /** Units refused (rolled back to their savepoint). */
  refused: number;
  /** The largest number of units one commit carried. */
  maxUnitsPerCommit: number;
}

/**
 * A point of a group commit, for crash tests (a child process kills itself there): "begin" (BEGIN done and the
 * writer checked), "unit-written" (a unit's writes done, before its savepoint is released), "before-commit",
 * "commit-sent" (PostgreSQL: COMMIT issued, its reply not yet received), "committed" (before any unit's
 * promise resolves).
 */
export type CommitPoint = "begin" | "unit-written" | "before-commit" | "commit-sent" | "committed";

/** Called synchronously at each commit point with the number of units in the group commit. */
export type CommitPointHook = (point: CommitPoint, units: number) => void;

/** A full store: channels plus the node's tables, with atomic units of work and group commit. */
export interface SwitchyardStore extends ChannelStore {
  /** Commits `unit` in one transaction (grouped with concurrent units); resolves once it is durable. */
  write(unit: WriteUnit): Promise<void>;
  payment(lockHash: string): Promise<PaymentRecord | undefined>;
  /**
   * Whether a payment with this lock hash is stored, or being stored, without waiting for the group commit in
   * progress (`payment` does, on SQLite: through its WAL's fsync). True for every payment whose write resolved
   * before the call, false for a lock hash never written; for a unit not yet acknowledged it may answer true:
   * its row committed but not yet durable (the fsync under way), or written by the group commit running now,
   * which may still roll back. Use it only where a false "true" is safe: the routing Node refuses a payer's lock
   * hash it finds here (src/routing/nodeBase.ts `refuseRetired`).
   */
  hasPayment(lockHash: string): Promise<boolean>;
  /** Payments, optionally only those with one of `statuses`, by lock hash. */
  payments(filter?: { statuses?: readonly string[] }): Promise<PaymentRecord[]>;
  /**
   * What a node reloads after a restart, not its whole history: every payment whose status is not one of
   * `finished`, and the `latest` most recently changed of those whose status is; ordered by their last change
   * (`updatedAt`, then lock hash).
   */
  recentPayments(filter: RecentPaymentsFilter): Promise<PaymentRecord[]>;
  preimage(lockHash: string): Promise<PreimageRecord | undefined>;
  chainTx(id: string): Promise<ChainTxRecord | undefined>;
  chainTxs(filter?: { statuses?: readonly ChainTxStatus[]; sender?: string }): Promise<ChainTxRecord[]>;
  /** One above the highest nonce recorded for `sender`, or undefined when none is. */
  nextNonce(sender: string): Promise<bigint | undefined>;
  /**
   * The channel's co-signed updates with a nonce above `afterNonce` (default: all), in nonce order: with both
   * parties' signatures, to bring a counter-party that fell behind up to date or to audit the channel.
   */
  history(channel: string, afterNonce?: bigint): Promise<CoSignedUpdate[]>;
  /** Undelivered messages in the order they were enqueued. */
  outbox(filter?: { recipient?: string; limit?: number }): Promise<StoredOutboxMessage[]>;
  stats(): StoreStats;
  /** Waits for queued writes, releases the writer lock and closes the database. */
  close(): Promise<void>;
}

/** True when `store` supports units of work (every backend but the legacy file store). */
export function isSwitchyardStore(store: ChannelStore): store is SwitchyardStore {
  return typeof (store as Partial<SwitchyardStore>).write === "function";
}
