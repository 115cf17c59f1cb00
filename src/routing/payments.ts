/** The node's payment table: a routed payment's status, its two hops, and what a `Node.tick()` reports. */
import { RouteError } from "../protocol/errors.js";
import type { Transfer } from "../protocol/transfers.js";
import type { RouteInstruction } from "./config.js";
import type { PaymentRecord, WriteUnit } from "../stores/store.js";

export type PaymentStatus =
  /** Locked upstream; nothing signed downstream. */
  | "accepted"
  /** Locked on both hops. */
  | "forwarded"
  /** The preimage is known; the upstream claim is outstanding. */
  | "unlocked"
  /** Claimed upstream. */
  | "completed"
  /** The downstream can no longer be claimed; the upstream refund is outstanding. */
  | "cancelling"
  /** Refunded upstream. */
  | "refunded";

export interface Hop {
  peer: string;
  transferId: string;
  transfer: Transfer;
  expiry: bigint;
}

export interface RoutedPayment {
  lockHash: string;
  status: PaymentStatus;
  upstream: Hop;
  downstream?: Hop;
  /** Across nodes: the route the downstream peer (a node) forwards along, sent with the downstream lock. */
  onward?: RouteInstruction;
  /** The responder's evidence (abi.encode(preimage)) once known. */
  resolverData?: string;
  /** The last failure (a silent or refusing peer), if the last attempt failed. */
  error?: string;
}

export interface NodeTickReport {
  /** Lock hashes claimed upstream in this tick. */
  claimed: string[];
  /** Lock hashes refunded upstream in this tick. */
  refunded: string[];
  /** Peers whose channel the node must now dispute on chain to claim upstream before the lock expires. */
  mustDispute: string[];
  /** What failed (a silent peer), by lock hash. */
  failed: Array<{ lockHash: string; error: string }>;
  /** Payments past their downstream expiry that the node cannot refund yet, and why (the chain may show a claim). */
  waiting: Array<{ lockHash: string; reason: string }>;
}

/** The store unit that writes `next` (a payment's new state, without its last error) at `expectedVersion`. */
export function paymentUnit(next: RoutedPayment, expectedVersion: number, extra: WriteUnit = {}): WriteUnit {
  const body: RoutedPayment = { ...next };
  delete body.error;
  const payment: Omit<PaymentRecord, "version"> = {
    lockHash: next.lockHash,
    status: next.status,
    upstreamPeer: next.upstream.peer,
    upstreamTransferId: next.upstream.transferId,
    body,
    updatedAt: Date.now(),
    ...(next.downstream !== undefined ? { downstreamPeer: next.downstream.peer, downstreamTransferId: next.downstream.transferId } : {}),
  };
  return { ...extra, payments: [{ payment, expectedVersion }] };
}

/** The in-memory payment table of a Node: payments by lock hash, their stored versions, downstream ids. */
export interface PaymentTable {
  payments: Map<string, RoutedPayment>;
  versions: Map<string, number>;
  /** Downstream transfer id → lock hash. */
  byDownstream: Map<string, string>;
}

/**
 * Takes stored payment records into `table` (at start, and in a cluster each time another process may have
 * moved them): a known payment object is updated in place (code that holds it sees the stored state), never
 * with a record older than the version this process has.
 */
export function mergePayments(table: PaymentTable, records: readonly PaymentRecord[]): void {
  for (const r of records) {
    const p = r.body as RoutedPayment;
    if (p?.lockHash !== r.lockHash || p.upstream === undefined) throw new RouteError(`stored payment ${r.lockHash} is not a routed payment`);
    const known = table.payments.get(r.lockHash);
    const version = table.versions.get(r.lockHash) ?? 0;
    if (known === undefined) table.payments.set(r.lockHash, p);
    else if (version <= r.version) {
      Object.assign(known, p);
      if (p.error === undefined) delete known.error;
    }
    table.versions.set(r.lockHash, Math.max(r.version, version));
    if (p.downstream !== undefined && p.status !== "accepted") table.byDownstream.set(p.downstream.transferId, r.lockHash);
  }
}
