/**
 * `IndexedDbStore`: the SwitchyardStore of a browser wallet, on the browser's IndexedDB (subpath
 * `@switchyard/protocol/stores/indexeddb`; no Node.js code).
 *
 * It runs the engine every backend shares (../engine.ts: the cache of channel records checked with
 * record.ts, the group commit with a savepoint per unit, the counters). A group commit is ONE readwrite
 * IndexedDB transaction, opened with `durability: "strict"` (the browser reports completion only once the
 * data is on disk), that first checks the writer's fencing token and then writes every row of the committed
 * units; `write` resolves on the transaction's `complete` event, so nothing is acknowledged before it is
 * durable, and an aborted transaction writes nothing (IndexedDB transactions are atomic).
 *
 * Checks happen in memory before anything is written: channel entries against the cached record, the node
 * tables (payments, preimages, chain transactions, outbox; loaded at open, small in a wallet) with the same
 * compare-and-set rules as the other backends. A refused unit drops its rows from the commit.
 *
 * One writer per database: the first tab (window, worker) of the site that opens it holds a Web Lock until
 * `close()`; a second one gets StoreLockedError, or, with `takeOver: true`, steals the lock and bumps the
 * fencing token, and the first tab's next write fails with StoreLockedError. Where the browser has no Web
 * Locks, the fencing token alone decides (the newest opener writes). A database upgraded or deleted by
 * another tab (a newer SDK, the user clearing site data) stops this store: StoreLockedError or
 * StoreUnavailableError.
 */
import { checksum } from "../../protocol/address.js";
import { StoreConflictError, StoreLockedError, StoreUnavailableError } from "../../protocol/errors.js";
import { copyData, encodeJson, positionsOf, type ChannelRecord, type CoSignedUpdate } from "../../protocol/record.js";
import { chainTxOf, chainTxsOf, hasPaymentOf, nextNonceOf, outboxOf, paymentOf, paymentsOf, preimageOf, recentPaymentsOf } from "../nodeTables.js";
import { UnitStore, type UndoLog } from "../engine.js";
import type { EntryDelta, Slot } from "../fold.js";
import type {
  ChainTxRecord,
  ChainTxStatus,
  ChainTxWrite,
  CommitPointHook,
  OutboxMessage,
  PaymentRecord,
  PaymentWrite,
  RecentPaymentsFilter,
  PreimageRecord,
  StoredOutboxMessage,
} from "../store.js";
import {
  browserGlobals,
  completion,
  settle,
  type IdbDatabase,
  type IdbDurability,
  type IdbFactory,
  type IdbKey,
  type IdbKeyRangeFactory,
  type LockManagerLike,
} from "./idb.js";
import { channelHigh, channelLow, decodeRow, headRow, nonceKey, recordOf, transferRow } from "./rows.js";
import { loadTables, mapIdbError, put, type Tables } from "./tables.js";
import {
  ALL_STORES,
  OBJECT_STORES as S,
  acquireWriterLock,
  openDatabase,
  takeWriterEpoch,
  type ObjectStoreName,
  type WriterLock,
} from "./schema.js";

export { INDEXEDDB_SCHEMA_VERSION, OBJECT_STORES, lockName } from "./schema.js";
export { mapIdbError } from "./tables.js";
export type { IdbDurability, IdbFactory, IdbKeyRangeFactory, LockManagerLike } from "./idb.js";

export interface IndexedDbStoreOptions {
  /** The IndexedDB factory (default: the runtime's `indexedDB`). */
  indexedDB?: IdbFactory;
  /** `IDBKeyRange` (default: the runtime's). */
  keyRange?: IdbKeyRangeFactory;
  /** The Web Locks manager (default: `navigator.locks`); `null` for none (the fencing token alone decides). */
  locks?: LockManagerLike | null;
  /** Take the store over from the tab that has it open (its later writes fail with StoreLockedError). */
  takeOver?: boolean;
  /** Durability of each commit (default "strict": resolved once on disk). */
  durability?: IdbDurability;
  /** Crash-test hook (see CommitPoint). */
  onCommitPoint?: CommitPointHook;
}

/** One row written (value) or deleted (undefined) by a commit. */
interface RowOp {
  store: ObjectStoreName;
  key: IdbKey;
  value?: string | number;
}

export class IndexedDbStore extends UnitStore {
  /** Rows of the units released into the flush in progress. */
  private ops: RowOp[] = [];
  /** Rows of the unit being applied (dropped when it is refused). */
  private unitOps: RowOp[] = [];
  /** Why this store can no longer reach its database (deleted, closed by the browser). */
  private unavailable: string | undefined;

  private constructor(
    private readonly db: IdbDatabase,
    private readonly keyRange: IdbKeyRangeFactory,
    private readonly lock: WriterLock,
    private readonly epoch: number,
    private readonly tables: Tables,
    private readonly durability: IdbDurability,
    onCommitPoint?: CommitPointHook,
  ) {
    super(db.name, new Map(), onCommitPoint);
    db.onversionchange = (event) => {
      db.close();
      if (event.newVersion === null)
        this.unavailable = "the database was deleted (by another tab, or site data was cleared)";
      else
        this.fenced ??= new StoreLockedError(
          this.location,
          `another tab opened it at schema version ${event.newVersion}: this one may not write again`,
        );
    };
    db.onclose = () => {
      this.unavailable ??= "the browser closed the connection (site data cleared, or a storage failure)";
    };
  }

  /**
   * Opens (creating or migrating) the database `name` of this site's IndexedDB. Fails with StoreLockedError
   * when another tab has it open (unless `takeOver`), SchemaVersionError when a newer SDK wrote it,
   * StoreCorruptError when it is another application's or a row does not decode, StoreUnavailableError when
   * the runtime has no IndexedDB or refuses to open it.
   */
  static async open(name: string, options: IndexedDbStoreOptions = {}): Promise<IndexedDbStore> {
    const runtime = browserGlobals();
    const factory = options.indexedDB ?? runtime.indexedDB;
    const keyRange = options.keyRange ?? runtime.keyRange;
    if (factory === undefined || keyRange === undefined)
      throw new StoreUnavailableError(name, "this runtime has no IndexedDB (pass `indexedDB` and `keyRange`)");
    const locks = options.locks === null ? undefined : (options.locks ?? runtime.locks);
    const durability = options.durability ?? "strict";
    let store: IndexedDbStore | undefined;
    const lock = await acquireWriterLock(locks, name, options.takeOver === true, (reason) => {
      if (store !== undefined) store.fenced ??= new StoreLockedError(name, `${reason}: this one may not write again`);
    });
    let db: IdbDatabase | undefined;
    try {
      db = await openDatabase(factory, name);
      const epoch = await takeWriterEpoch(db, name, durability);
      const tables = await loadTables(db, name);
      store = new IndexedDbStore(db, keyRange, lock, epoch, tables, durability, options.onCommitPoint);
      return store;
    } catch (error) {
      db?.close();
      lock.release();
      throw mapIdbError(name, error);
    }
  }

  // ───────────────────────────── reads ─────────────────────────────

  private range(channel: string, low: IdbKey = channelLow(channel)): unknown {
    return this.keyRange.bound(low, channelHigh(channel));
  }

  /** A read-only transaction over `stores`, or StoreUnavailableError. */
  private reader(stores: ObjectStoreName[]) {
    if (this.unavailable !== undefined) throw new StoreUnavailableError(this.location, this.unavailable);
    try {
      return this.db.transaction(stores, "readonly");
    } catch (error) {
      throw mapIdbError(this.location, error);
    }
  }

  protected async readSlot(channel: string): Promise<Slot | undefined> {
    try {
      const tx = this.reader([S.channels, S.transfers, S.withdrawals, S.resolutions]);
      const range = this.range(channel);
      const [head, transfers, withdrawals, resolutionKeys, resolutionValues] = await Promise.all([
        settle(tx.objectStore(S.channels).get(channel)),
        settle(tx.objectStore(S.transfers).getAll(range)),
        settle(tx.objectStore(S.withdrawals).getAll(range)),
        settle(tx.objectStore(S.resolutions).getAllKeys(range)),
        settle(tx.objectStore(S.resolutions).getAll(range)),
      ]);
      if (head === undefined) return undefined;
      const record = recordOf(this.location, channel, head, transfers, withdrawals, resolutionKeys, resolutionValues);
      return { record, positions: positionsOf(record) };
    } catch (error) {
      throw mapIdbError(this.location, error);
    }
  }

  protected async listChannels(): Promise<string[]> {
    try {
      const keys = await settle(this.reader([S.channels]).objectStore(S.channels).getAllKeys());
      return keys.map((k) => checksum(String(k)));
    } catch (error) {
      throw mapIdbError(this.location, error);
    }
  }

  async history(channel: string, afterNonce = -1n): Promise<CoSignedUpdate[]> {
    const c = checksum(channel);
    try {
      const low = afterNonce < 0n ? channelLow(c) : [c, nonceKey(afterNonce + 1n)];
      const rows = await settle(this.reader([S.updates]).objectStore(S.updates).getAll(this.range(c, low)));
      return rows.map((r) => decodeRow<CoSignedUpdate>(this.location, r, `an update of channel ${c}`));
    } catch (error) {
      throw mapIdbError(this.location, error);
    }
  }

  async payment(lockHash: string): Promise<PaymentRecord | undefined> {
    return paymentOf(this.tables, lockHash);
  }

  async hasPayment(lockHash: string): Promise<boolean> {
    return hasPaymentOf(this.tables, lockHash);
  }

  async payments(filter: { statuses?: readonly string[] } = {}): Promise<PaymentRecord[]> {
    return paymentsOf(this.tables, filter);
  }

  async recentPayments(filter: RecentPaymentsFilter): Promise<PaymentRecord[]> {
    return recentPaymentsOf(this.tables, filter);
  }

  async preimage(lockHash: string): Promise<PreimageRecord | undefined> {
    return preimageOf(this.tables, lockHash);
  }

  async chainTx(id: string): Promise<ChainTxRecord | undefined> {
    return chainTxOf(this.tables, id);
  }

  async chainTxs(filter: { statuses?: readonly ChainTxStatus[]; sender?: string } = {}): Promise<ChainTxRecord[]> {
    return chainTxsOf(this.tables, filter);
  }

  async nextNonce(sender: string): Promise<bigint | undefined> {
    return nextNonceOf(this.tables, sender);
  }

  async outbox(filter: { recipient?: string; limit?: number } = {}): Promise<StoredOutboxMessage[]> {
    return outboxOf(this.tables, filter);
  }

  // ───────────────────────────── transaction steps ─────────────────────────────

  protected async begin(): Promise<void> {
    if (this.fenced !== undefined) throw this.fenced;
    if (this.unavailable !== undefined) throw new StoreUnavailableError(this.location, this.unavailable);
    this.ops = [];
    this.unitOps = [];
  }

  protected async savepoint(): Promise<void> {
    this.unitOps = [];
  }

  protected async releaseSavepoint(): Promise<void> {
    for (const op of this.unitOps) this.ops.push(op);
    this.unitOps = [];
  }

  protected async rollbackToSavepoint(): Promise<void> {
    this.unitOps = [];
  }

  /** One durable readwrite transaction: the fencing check, then every row of the committed units. */
  protected async commit(): Promise<void> {
    const ops = this.ops;
    this.ops = [];
    if (ops.length === 0) return;
    if (this.unavailable !== undefined) throw new StoreUnavailableError(this.location, this.unavailable);
    let refusal: unknown;
    const tx = this.db.transaction(ALL_STORES, "readwrite", { durability: this.durability });
    const done = completion(tx, () => refusal);
    const epoch = tx.objectStore(S.meta).get("writerEpoch");
    epoch.onsuccess = () => {
      if (epoch.result !== this.epoch) {
        refusal = new StoreLockedError(
          this.location,
          `another writer opened the store (writer ${String(epoch.result)}, this one is ${this.epoch}): this one may not write again`,
        );
        this.fenced = refusal as StoreLockedError;
        tx.abort();
        return;
      }
      for (const op of ops) {
        const target = tx.objectStore(op.store);
        if (op.value === undefined) target.delete(op.key);
        else target.put(op.value, op.key);
      }
    };
    this.commitPoint("commit-sent", this.flushUnits);
    await done;
  }

  protected async rollback(): Promise<void> {
    this.ops = [];
    this.unitOps = [];
  }

  protected override onAmbiguousCommit(): void {
    // An IndexedDB transaction that did not complete wrote nothing; the engine has undone the cache already.
  }

  protected mapError(error: unknown): unknown {
    return mapIdbError(this.location, error);
  }

  protected async closeBackend(): Promise<void> {
    this.db.close();
    this.lock.release();
  }

  // ───────────────────────────── writes ─────────────────────────────

  private row(store: ObjectStoreName, key: IdbKey, value?: string | number): void {
    this.unitOps.push(value === undefined ? { store, key } : { store, key, value });
  }

  protected async writeCreate(channel: string, record: ChannelRecord): Promise<void> {
    this.row(S.channels, channel, headRow(record));
    record.transfers.forEach((t, i) => this.row(S.transfers, [channel, t.id], transferRow(i, t)));
    record.withdrawals.forEach((w, i) => this.row(S.withdrawals, [channel, i], encodeJson(w)));
    for (const [id, data] of Object.entries(record.resolutions)) this.row(S.resolutions, [channel, id], data);
  }

  protected async writeEntry(channel: string, record: ChannelRecord, delta: EntryDelta): Promise<void> {
    if (delta.kind !== "resolution") this.row(S.channels, channel, headRow(record));
    if (delta.added !== undefined)
      this.row(
        S.transfers,
        [channel, delta.added.transfer.id],
        transferRow(delta.added.position, delta.added.transfer),
      );
    if (delta.removed !== undefined) this.row(S.transfers, [channel, delta.removed]);
    if (delta.moved !== undefined) {
      const moved = record.transfers[delta.moved.position];
      if (moved !== undefined) this.row(S.transfers, [channel, moved.id], transferRow(delta.moved.position, moved));
    }
    if (delta.withdrawal !== undefined)
      this.row(S.withdrawals, [channel, delta.withdrawal.index], encodeJson(delta.withdrawal.signed));
    if (delta.resolution !== undefined)
      this.row(S.resolutions, [channel, delta.resolution.transferId], delta.resolution.resolverData);
    if (delta.cosigned !== undefined)
      this.row(S.updates, [channel, nonceKey(delta.cosigned.update.state.nonce)], encodeJson(delta.cosigned));
  }

  protected async writePayment(write: PaymentWrite, undo: UndoLog): Promise<void> {
    const key = write.payment.lockHash;
    const current = this.tables.payments.get(key)?.version ?? 0;
    if (current !== write.expectedVersion)
      throw new StoreConflictError(
        "payment",
        key,
        `stored version ${current}, the write expected ${write.expectedVersion}`,
      );
    const stored: PaymentRecord = { ...write.payment, version: current + 1 };
    put(this.tables.payments, key, stored, undo);
    this.row(S.payments, key, encodeJson(stored));
  }

  protected async writePreimage(preimage: PreimageRecord, undo: UndoLog): Promise<void> {
    const known = this.tables.preimages.get(preimage.lockHash);
    if (known !== undefined) {
      if (known.resolverData !== preimage.resolverData)
        throw new StoreConflictError("preimage", preimage.lockHash, "another preimage is stored for this lock");
      return;
    }
    put(this.tables.preimages, preimage.lockHash, preimage, undo);
    this.row(S.preimages, preimage.lockHash, encodeJson(preimage));
  }

  protected async writeChainTx(write: ChainTxWrite, undo: UndoLog): Promise<void> {
    const { tx } = write;
    const current = this.tables.chainTxs.get(tx.id)?.version ?? 0;
    if (current !== write.expectedVersion)
      throw new StoreConflictError(
        "chain transaction",
        tx.id,
        `stored version ${current}, the write expected ${write.expectedVersion}`,
      );
    if (tx.nonce !== undefined) {
      for (const other of this.tables.chainTxs.values()) {
        if (other.id !== tx.id && other.sender === tx.sender && other.nonce === tx.nonce)
          throw new StoreConflictError(
            "chain transaction",
            tx.id,
            `nonce ${tx.nonce} of ${tx.sender} is taken by ${other.id}`,
          );
      }
    }
    const stored: ChainTxRecord = { ...tx, version: current + 1 };
    put(this.tables.chainTxs, tx.id, stored, undo);
    this.row(S.chainTxs, tx.id, encodeJson(stored));
  }

  protected async writeOutbox(message: OutboxMessage, undo: UndoLog): Promise<void> {
    if (this.tables.outbox.has(message.id))
      throw new StoreConflictError("outbox message", message.id, "the id is already in the outbox");
    const seq = this.tables.outboxSeq + 1;
    this.tables.outboxSeq = seq;
    undo.push(() => (this.tables.outboxSeq = seq - 1));
    const stored: StoredOutboxMessage = { ...message, seq };
    put(this.tables.outbox, message.id, stored, undo);
    this.row(S.outbox, message.id, encodeJson(stored));
  }

  protected async writeDelivered(id: string, undo: UndoLog): Promise<void> {
    const old = this.tables.outbox.get(id);
    if (old === undefined) return;
    this.tables.outbox.delete(id);
    undo.push(() => this.tables.outbox.set(id, old));
    this.row(S.outbox, id);
  }
}
