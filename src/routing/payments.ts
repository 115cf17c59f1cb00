/** The node's payment table: a routed payment's status, its two hops, and what a `Node.tick()` reports. */
import { RouteError } from "../protocol/errors.js";
import { transferId, type Transfer } from "../protocol/transfers.js";
import type { Proposal } from "../channel/channel.js";
import type { ResolveDetails, Update } from "../protocol/types.js";
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

/** One failed attempt of a payment across nodes at the payer's node (docs/PROTOCOL.md §17.6): the route and why it failed. */
export interface RouteAttempt {
  /** The recipients of the attempt's locks, the payer's node's downstream peer first, the payee last. */
  path: string[];
  /** The downstream peer that refused, cancelled or could not be reached. */
  refusedBy: string;
  reason: string;
  /** Unix ms when the attempt failed. */
  failedAt: number;
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
  /** At the payer's node: the attempts that failed before the current route (each refunded before the next). */
  attempts?: RouteAttempt[];
  /** At the payer's node: why no further route was tried (the payment is then refunded). */
  exhausted?: string;
  /** Unix ms when the node accepted the upstream lock (the start of its retry window). */
  startedAt?: number;
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

/** The version each unit `paymentUnit` built expects of its payment, by the state it writes (see `committedVersion`). */
const expectedOf = new WeakMap<RoutedPayment, number>();

/** The store unit that writes `next` (a payment's new state, without its last error) at `expectedVersion`. */
export function paymentUnit(next: RoutedPayment, expectedVersion: number, extra: WriteUnit = {}): WriteUnit {
  expectedOf.set(next, expectedVersion);
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

/**
 * The stored version of a payment once the unit that wrote `next` committed: the version that unit expected, plus
 * one. Not the table's version plus one: in a cluster a read of the stored row (another exchange of this process on
 * the payment's other channel, or the leader's tick) may be merged between the commit and this call, and counting
 * that version twice put the table ahead of the row for good (every later write of the payment refused, "the
 * stored version is not N", the payment left "accepted"). A state written by no unit counts one more.
 */
export function committedVersion(table: PaymentTable, next: RoutedPayment): number {
  const expected = expectedOf.get(next);
  return expected !== undefined ? expected + 1 : (table.versions.get(next.lockHash) ?? 0) + 1;
}

/**
 * The payee's claim of `p`'s downstream lock that the node signed and still holds as its pending proposal
 * (`pending`, the downstream channel's: the payee's acknowledgement never arrived), as `resolutionOf` gives it.
 * The payee holds the node's signature of it and can enforce it on chain, so the node must take it as claimed
 * (and claim upstream with its preimage), never refund the payer (the chaos run's "node pays twice").
 */
export function pendingClaimOf(p: RoutedPayment, pending: Update | undefined, upstreamChannel: string): ReturnType<typeof resolutionOf> {
  const d = pending?.details;
  if (d?.type !== "resolve" || d.resolverData === "0x" || p.status !== "forwarded" || p.downstream === undefined) return undefined;
  return d.transferId.toLowerCase() === p.downstream.transferId.toLowerCase() ? resolutionOf(p, d, upstreamChannel) : undefined;
}

/**
 * What the payee's resolve `details` of `p`'s downstream transfer does to it (cancelling on a cancel; unlocked with
 * the preimage, which the upstream channel's record and the preimage table get in the same unit); undefined when
 * `p` is not waiting for it.
 */
export function resolutionOf(
  p: RoutedPayment,
  details: ResolveDetails,
  upstreamChannel: string,
): { payment: RoutedPayment; next: RoutedPayment; extra?: WriteUnit } | undefined {
  if (p.status !== "forwarded" && p.status !== "cancelling") return undefined;
  if (details.resolverData === "0x") return { payment: p, next: { ...p, status: "cancelling" } };
  const resolverData = details.resolverData.toLowerCase();
  const next: RoutedPayment = { ...p, status: "unlocked", resolverData };
  const extra: WriteUnit = {
    channels: [{ op: "entry", channel: upstreamChannel, entry: { kind: "resolution", transferId: p.upstream.transferId, resolverData } }],
    preimages: [{ lockHash: p.lockHash, resolverData, source: "peer", learnedAt: Date.now() }],
  };
  return { payment: p, next, extra };
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

/** The onward route of the forwarded lock `proposal` creates (re-delivered with it), if it crosses nodes. */
export function onwardRoute(table: PaymentTable, proposal: Proposal): RouteInstruction | undefined {
  const details = proposal.update.details;
  if (details.type !== "create") return undefined;
  const lockHash = table.byDownstream.get(transferId(details.transfer).toLowerCase());
  return lockHash === undefined ? undefined : table.payments.get(lockHash)?.onward;
}

/**
 * The payment whose upstream lock `update` resolves, when `update` is the node's own resolve of it (a claim or a
 * refund the node proposed to the payer), with the state its co-signature gives it: completed (paid) or refunded.
 * An acknowledgement of it that comes after the node stopped waiting stores that state in its unit, so the
 * payment never lags its channel (the chaos run's "unlocked" at the end checks, seed 909).
 */
export function upstreamResolved(
  table: PaymentTable,
  peer: string,
  update: Update | undefined,
  node: "alice" | "bob",
): { payment: RoutedPayment; next: RoutedPayment } | undefined {
  const d = update?.details;
  if (d?.type !== "resolve" || update?.proposer !== node) return undefined;
  const id = d.transferId.toLowerCase();
  for (const p of table.payments.values()) {
    if (p.upstream.peer !== peer || p.upstream.transferId.toLowerCase() !== id) continue;
    if (p.status === "completed" || p.status === "refunded") return undefined;
    const next: RoutedPayment = { ...p, status: d.toResponder === 0n ? "refunded" : "completed" };
    delete next.error;
    return { payment: p, next };
  }
  return undefined;
}
