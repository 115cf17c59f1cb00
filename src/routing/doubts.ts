/**
 * After a commit of the node's store whose outcome is unknown (the connection lost during COMMIT: the PostgreSQL
 * restart of the chaos run), a write the Node saw fail may have landed: a payment's new state and version, a
 * peer's acknowledgement of the intent the Node still waits for. The Node then goes on from nothing it holds in
 * memory about them: before its next exchange, acknowledgement or tick, `StoreDoubts.after` takes the store's
 * payment records back into the table (mergePayments: a record never older than the table's version), re-reads
 * the channel of every peer whose intent the Node waits for (each Channel re-reads itself before its next update
 * anyway, src/channel/channel.ts), and lets go of an intent whose proposal the store no longer holds as pending
 * (it was acknowledged: what its acknowledgement moved is in the records just merged; a payer's lock so acknowledged
 * is "accepted" there and nothing was forwarded, so the Node's tick refunds it).
 */
import type { Channel } from "../channel/channel.js";
import type { PaymentRecord, SwitchyardStore } from "../stores/store.js";
import type { NodePeer } from "./intents.js";
import { mergePayments, type PaymentTable, type RoutedPayment } from "./payments.js";

/** Payment statuses that are not final. */
const OPEN: readonly string[] = ["accepted", "forwarded", "unlocked", "cancelling"];

export class StoreDoubts {
  private seen: number;
  private settling: Promise<void> | undefined;

  constructor(
    private readonly store: SwitchyardStore | undefined,
    private readonly table: PaymentTable,
    private readonly peers: () => Iterable<NodePeer<RoutedPayment>>,
    /** An intent let go of: the Node stops reserving its planned lock (a tick refunds it, "accepted" in the store). */
    private readonly letGo: (planned: RoutedPayment | undefined) => void,
  ) {
    this.seen = store?.doubtfulCommits ?? 0;
  }

  /**
   * Runs `task` once the Node's memory is the store's again (at once, without a microtask, when nothing is in doubt),
   * and `channel` too (a peer's channel the task reads: its pending proposal as the store holds it, which `flush`
   * delivers before anything else; from memory, a signature that landed unseen made the next update DOUBLE_SIGN).
   */
  after<T>(task: () => Promise<T>, channel?: Channel): Promise<T> {
    const settled = (this.store?.doubtfulCommits ?? 0) === this.seen;
    if (settled && channel?.outdated !== true) return task();
    const fresh = async (): Promise<T> => {
      if (channel?.outdated === true) await channel.upToDate();
      return task();
    };
    return settled ? fresh() : this.settle().then(fresh);
  }

  private settle(): Promise<void> {
    this.settling ??= this.readAgain().finally(() => (this.settling = undefined));
    return this.settling;
  }

  private async readAgain(): Promise<void> {
    const store = this.store as SwitchyardStore; // doubts come only from a store
    const doubts = store.doubtfulCommits ?? 0; // read first: a doubt raised meanwhile reads again next time
    const records: PaymentRecord[] = await store.payments({ statuses: OPEN });
    const listed = new Set(records.map((r) => r.lockHash));
    for (const p of this.table.payments.values()) {
      if (!OPEN.includes(p.status) || listed.has(p.lockHash)) continue;
      const record = await store.payment(p.lockHash); // open here, final (or absent) in the store
      if (record !== undefined) records.push(record);
    }
    mergePayments(this.table, records);
    for (const peer of this.peers()) {
      const intent = peer.intent;
      if (intent === undefined) continue;
      await peer.channel.upToDate();
      if (peer.intent !== intent || peer.channel.pending?.update.state.nonce === intent.nonce) continue;
      peer.intent = intent.settle();
      this.letGo(intent.effects.planned);
    }
    this.seen = doubts;
  }
}
