/**
 * The reads of a node's tables (payments, preimages, chain transactions, outbox) when they live in memory: the
 * memory store keeps them there, the IndexedDB store loads them at open. Every result is a copy. Browser-safe.
 */
import { checksum } from "../protocol/address.js";
import { copyData } from "../protocol/record.js";

import type { ChainTxRecord, ChainTxStatus, PaymentRecord, PreimageRecord, RecentPaymentsFilter, StoredOutboxMessage } from "./store.js";

/** A node's tables in memory, by key (lock hash, intent id, message id). */
export interface NodeTables {
  readonly payments: Map<string, PaymentRecord>;
  readonly preimages: Map<string, PreimageRecord>;
  readonly chainTxs: Map<string, ChainTxRecord>;
  readonly outbox: Map<string, StoredOutboxMessage>;
}

/** The payment locked with `lockHash`. */
export function paymentOf(tables: NodeTables, lockHash: string): PaymentRecord | undefined {
  return copyData(tables.payments.get(lockHash.toLowerCase()));
}

/**
 * SwitchyardStore.hasPayment: whether the table holds the lock hash. It holds the rows of the group commit in
 * progress too (written into the maps as each unit is applied, undone if it is refused or its commit fails).
 */
export function hasPaymentOf(tables: NodeTables, lockHash: string): boolean {
  return tables.payments.has(lockHash.toLowerCase());
}

/** The payments (with one of `statuses`, if given), by lock hash. */
export function paymentsOf(tables: NodeTables, filter: { statuses?: readonly string[] }): PaymentRecord[] {
  const all = [...tables.payments.values()].filter((p) => filter.statuses === undefined || filter.statuses.includes(p.status));
  return copyData(all.sort((a, b) => (a.lockHash < b.lockHash ? -1 : 1)));
}

/** The payments not in a `finished` status and the `latest` of those that are, by last change (SwitchyardStore.recentPayments). */
export function recentPaymentsOf(tables: NodeTables, filter: RecentPaymentsFilter): PaymentRecord[] {
  const byChange = (a: PaymentRecord, b: PaymentRecord): number =>
    a.updatedAt !== b.updatedAt ? a.updatedAt - b.updatedAt : a.lockHash < b.lockHash ? -1 : a.lockHash > b.lockHash ? 1 : 0;
  const open: PaymentRecord[] = [];
  const finished: PaymentRecord[] = [];
  for (const p of tables.payments.values()) (filter.finished.includes(p.status) ? finished : open).push(p);
  const latest = Math.max(0, Math.floor(filter.latest));
  const kept = latest === 0 ? [] : finished.sort(byChange).slice(-latest);
  return copyData([...open, ...kept].sort(byChange));
}

/** The preimage of `lockHash`. */
export function preimageOf(tables: NodeTables, lockHash: string): PreimageRecord | undefined {
  return copyData(tables.preimages.get(lockHash.toLowerCase()));
}

/** The chain transaction `id`. */
export function chainTxOf(tables: NodeTables, id: string): ChainTxRecord | undefined {
  return copyData(tables.chainTxs.get(id));
}

/** The chain transactions (with one of `statuses`, from `sender`, if given), by id. */
export function chainTxsOf(tables: NodeTables, filter: { statuses?: readonly ChainTxStatus[]; sender?: string }): ChainTxRecord[] {
  const sender = filter.sender === undefined ? undefined : checksum(filter.sender);
  const all = [...tables.chainTxs.values()].filter(
    (t) => (filter.statuses === undefined || filter.statuses.includes(t.status)) && (sender === undefined || t.sender === sender),
  );
  return copyData(all.sort((a, b) => (a.id < b.id ? -1 : 1)));
}

/** One above the highest nonce `sender` used, or undefined when it used none. */
export function nextNonceOf(tables: NodeTables, sender: string): bigint | undefined {
  const who = checksum(sender);
  let next: bigint | undefined;
  for (const t of tables.chainTxs.values()) {
    if (t.sender === who && t.nonce !== undefined && (next === undefined || t.nonce + 1n > next)) next = t.nonce + 1n;
  }
  return next;
}

/** The outbox (to `recipient`, at most `limit`, if given), in sequence order. */
export function outboxOf(tables: NodeTables, filter: { recipient?: string; limit?: number }): StoredOutboxMessage[] {
  const all = [...tables.outbox.values()]
    .filter((m) => filter.recipient === undefined || m.recipient === filter.recipient)
    .sort((a, b) => a.seq - b.seq);
  return copyData(filter.limit === undefined ? all : all.slice(0, Math.max(0, Math.floor(filter.limit))));
}
