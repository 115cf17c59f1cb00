/**
 * The routing Node's view of the cluster (src/routing/config.ts NodeCluster): channel locks, and the stored
 * payments that cross a channel, read straight from the node's schema (the store caches no payments, but this
 * process's Node does: in a cluster it merges these before each exchange).
 */
import type { Pool } from "pg";

import { checksum } from "../../protocol/address.js";
import type { NodeCluster } from "../../routing/config.js";
import { paymentOf } from "../../stores/sql/rows.js";
import type { PaymentRecord } from "../../stores/store.js";
import type { ChannelLocks } from "./locks.js";

/** How long an "accepted" payment is taken to be in another process's hands (its forward under way). */
export const FORWARD_GRACE_MS = 30_000;
const COLUMNS =
  "lock_hash, status, upstream_peer, upstream_transfer_id, downstream_peer, downstream_transfer_id, body, updated_at, version";

/** What the reads need of a payment in this process's routing Node (a RoutedPayment). */
interface LocalPayment {
  lockHash: string;
  status: string;
  upstream: { peer: string };
  downstream?: { peer: string };
}

export class ClusterPayments implements NodeCluster {
  private readonly seen = new Map<string, { status: string; updatedAt: number }>();
  /** Opens a peer's channel in this process's routing Node (set by the NodeRouter). */
  openPeer: (peer: string) => Promise<void> = async () => undefined;
  /**
   * The payments this process's routing Node holds (set by the NodeRouter): those it holds open are read too,
   * whatever their stored status, so a payment another process ended is merged here. (Reading every payment
   * that ended lately instead grew with the rate: at 15 payments/s each exchange read hundreds of rows.)
   */
  local: () => Iterable<LocalPayment> = () => [];
  private readonly table: string;

  constructor(
    private readonly locks: ChannelLocks,
    private readonly pool: Pool,
    schema: string,
    /** When the presence heartbeat last found this process the only one alive (Presence.aloneSince). */
    private readonly aloneSince: () => number | undefined = () => undefined,
  ) {
    this.table = `"${schema}".sy_payments`;
  }

  hold<T>(channel: string, task: () => Promise<T>, linger?: (result: T) => Promise<void>): Promise<T> {
    return this.locks.hold(channel, task, linger);
  }

  async peers(peers: readonly string[]): Promise<void> {
    for (const peer of new Set(peers)) await this.openPeer(peer);
  }

  async payments(peer: string): Promise<PaymentRecord[]> {
    const key = checksum(peer);
    return this.read(`(upstream_peer = $2 OR downstream_peer = $2) AND`, [key], key);
  }

  /** Every open payment (and those this process holds open): the leader's tick merges them first. */
  async open(): Promise<PaymentRecord[]> {
    return this.read("", []);
  }

  /** The lock hashes of the payments this process holds open (crossing `peer`'s channel, if given). */
  private openHere(peer?: string): string[] {
    const hashes: string[] = [];
    for (const p of this.local()) {
      if (p.status === "completed" || p.status === "refunded") continue;
      if (peer === undefined || checksum(p.upstream.peer) === peer || (p.downstream !== undefined && checksum(p.downstream.peer) === peer))
        hashes.push(p.lockHash.toLowerCase());
    }
    return hashes;
  }

  /**
   * Whether an "accepted" payment may still be forwarded by another process: changed within FORWARD_GRACE_MS, and
   * not before the presence heartbeat found every other process gone (then none forwards it: a process killed with
   * the forward in its memory leaves it to this one's tick at once, not after the grace). The compare-and-set on the
   * payment's version keeps a refund racing a forward safe either way.
   */
  young(lockHash: string): boolean {
    const s = this.seen.get(lockHash);
    if (s === undefined || s.status !== "accepted" || Date.now() - s.updatedAt >= FORWARD_GRACE_MS) return false;
    const alone = this.aloneSince();
    return alone === undefined || s.updatedAt >= alone;
  }

  private async read(where: string, params: string[], peer?: string): Promise<PaymentRecord[]> {
    const rows = await this.pool.query<Record<string, unknown>>(
      `SELECT ${COLUMNS} FROM ${this.table} WHERE ${where} (status NOT IN ('completed', 'refunded') OR lock_hash = ANY($1))`,
      [this.openHere(peer), ...params],
    );
    const records = rows.rows.map((r) => paymentOf(this.table, r));
    for (const r of records) {
      if (r.status === "completed" || r.status === "refunded") this.seen.delete(r.lockHash);
      else this.seen.set(r.lockHash, { status: r.status, updatedAt: r.updatedAt });
    }
    return records;
  }
}
