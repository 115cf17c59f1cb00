/**
 * `MemoryStore`: the SwitchyardStore in memory (tests, browser wallets that persist elsewhere, the bench's
 * baseline). Its tables live in a `MemoryDatabase` object, so a test can "reopen" a store (a new MemoryStore
 * over the same database) and open a second writer on it (which fences the first: StoreLockedError). No
 * Node.js dependency.
 */
import { checksum } from "../protocol/address.js";
import { SchemaVersionError, StoreConflictError, StoreLockedError } from "../protocol/errors.js";
import { copyData, type ChannelRecord, type CoSignedUpdate } from "../protocol/record.js";
import { chainTxOf, chainTxsOf, hasPaymentOf, nextNonceOf, outboxOf, paymentOf, paymentsOf, preimageOf, recentPaymentsOf } from "./nodeTables.js";
import { UnitStore, type Step, type UndoLog } from "./engine.js";
import type { EntryDelta, Slot } from "./fold.js";
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
} from "./store.js";

/** The schema version the memory backend writes (kept equal to the SQL schema's). */
export const MEMORY_SCHEMA_VERSION = 1;

/** The tables of a memory store: outlive a MemoryStore object, so tests can reopen them. */
export class MemoryDatabase {
  schemaVersion = MEMORY_SCHEMA_VERSION;
  /** Fencing token: bumped by every open; a store whose token is not the current one may not write. */
  writerEpoch = 0;
  readonly slots = new Map<string, Slot>();
  readonly payments = new Map<string, PaymentRecord>();
  readonly preimages = new Map<string, PreimageRecord>();
  readonly chainTxs = new Map<string, ChainTxRecord>();
  readonly outbox = new Map<string, StoredOutboxMessage>();
  /** Co-signed updates per channel, in nonce order. */
  readonly history = new Map<string, CoSignedUpdate[]>();
  outboxSeq = 0;
}

/** A deep copy of plain data, as the JSON encoding round-trips it (bigints survive), without encoding. */
function copy<T>(value: T): T {
  return copyData(value);
}

/** Sets `map[key]` and logs how to restore it. */
function put<K, V>(map: Map<K, V>, key: K, value: V, undo: UndoLog): void {
  const had = map.has(key);
  const old = map.get(key);
  map.set(key, value);
  undo.push(() => (had ? map.set(key, old as V) : map.delete(key)));
}

export class MemoryStore extends UnitStore {
  private readonly epoch: number;

  /** Opens a store over `db` (a new, empty database by default); fences any earlier store over it. */
  constructor(
    private readonly db: MemoryDatabase = new MemoryDatabase(),
    onCommitPoint?: CommitPointHook,
  ) {
    if (db.schemaVersion > MEMORY_SCHEMA_VERSION)
      throw new SchemaVersionError("memory", db.schemaVersion, MEMORY_SCHEMA_VERSION);
    super("memory", db.slots, onCommitPoint);
    db.writerEpoch += 1;
    this.epoch = db.writerEpoch;
  }

  /** The same as `new MemoryStore(db)`. */
  static open(db?: MemoryDatabase, onCommitPoint?: CommitPointHook): MemoryStore {
    return new MemoryStore(db, onCommitPoint);
  }

  protected async readSlot(): Promise<Slot | undefined> {
    return undefined; // every committed record is in `slots` (the database's own map)
  }

  protected async listChannels(): Promise<string[]> {
    return [...this.db.slots.keys()];
  }

  // The transaction steps complete synchronously (no microtask per step): a memory "commit" is the fold itself.
  protected begin(): Step {
    if (this.db.writerEpoch !== this.epoch)
      throw new StoreLockedError("memory", "another MemoryStore was opened on this database");
  }

  protected savepoint(): Step {}
  protected releaseSavepoint(): Step {}
  protected rollbackToSavepoint(): Step {}
  protected commit(): Step {}
  protected async rollback(): Promise<void> {}
  protected async closeBackend(): Promise<void> {}

  protected mapError(error: unknown): unknown {
    return error;
  }

  protected override onAmbiguousCommit(): void {
    // A memory commit cannot fail halfway.
  }

  protected writeCreate(_channel: string, _record: ChannelRecord): Step {}

  protected writeEntry(channel: string, _record: ChannelRecord, delta: EntryDelta, undo: UndoLog): Step {
    if (delta.cosigned === undefined) return;
    let list = this.db.history.get(channel);
    if (list === undefined) {
      list = [];
      this.db.history.set(channel, list);
    }
    const updates = list;
    updates.push(delta.cosigned);
    undo.push(() => void updates.pop());
  }

  async history(channel: string, afterNonce = -1n): Promise<CoSignedUpdate[]> {
    const list = this.db.history.get(checksum(channel)) ?? [];
    return copy(list.filter((c) => c.update.state.nonce > afterNonce));
  }

  protected async writePayment(write: PaymentWrite, undo: UndoLog): Promise<void> {
    const key = write.payment.lockHash;
    const current = this.db.payments.get(key)?.version ?? 0;
    if (current !== write.expectedVersion) {
      throw new StoreConflictError(
        "payment",
        key,
        `stored version ${current}, the write expected ${write.expectedVersion}`,
      );
    }
    put(this.db.payments, key, { ...write.payment, version: current + 1 }, undo);
  }

  protected async writePreimage(preimage: PreimageRecord, undo: UndoLog): Promise<void> {
    const known = this.db.preimages.get(preimage.lockHash);
    if (known !== undefined) {
      if (known.resolverData !== preimage.resolverData)
        throw new StoreConflictError("preimage", preimage.lockHash, "another preimage is stored for this lock");
      return;
    }
    put(this.db.preimages, preimage.lockHash, preimage, undo);
  }

  protected async writeChainTx(write: ChainTxWrite, undo: UndoLog): Promise<void> {
    const { tx } = write;
    const current = this.db.chainTxs.get(tx.id)?.version ?? 0;
    if (current !== write.expectedVersion) {
      throw new StoreConflictError(
        "chain transaction",
        tx.id,
        `stored version ${current}, the write expected ${write.expectedVersion}`,
      );
    }
    if (tx.nonce !== undefined) {
      for (const other of this.db.chainTxs.values()) {
        if (other.id !== tx.id && other.sender === tx.sender && other.nonce === tx.nonce) {
          throw new StoreConflictError(
            "chain transaction",
            tx.id,
            `nonce ${tx.nonce} of ${tx.sender} is taken by ${other.id}`,
          );
        }
      }
    }
    put(this.db.chainTxs, tx.id, { ...tx, version: current + 1 }, undo);
  }

  protected async writeOutbox(message: OutboxMessage, undo: UndoLog): Promise<void> {
    if (this.db.outbox.has(message.id))
      throw new StoreConflictError("outbox message", message.id, "the id is already in the outbox");
    this.db.outboxSeq += 1;
    put(this.db.outbox, message.id, { ...message, seq: this.db.outboxSeq }, undo);
  }

  protected async writeDelivered(id: string, undo: UndoLog): Promise<void> {
    const old = this.db.outbox.get(id);
    if (old === undefined) return;
    this.db.outbox.delete(id);
    undo.push(() => this.db.outbox.set(id, old));
  }

  async payment(lockHash: string): Promise<PaymentRecord | undefined> {
    return paymentOf(this.db, lockHash);
  }

  async hasPayment(lockHash: string): Promise<boolean> {
    return hasPaymentOf(this.db, lockHash);
  }

  async payments(filter: { statuses?: readonly string[] } = {}): Promise<PaymentRecord[]> {
    return paymentsOf(this.db, filter);
  }

  async recentPayments(filter: RecentPaymentsFilter): Promise<PaymentRecord[]> {
    return recentPaymentsOf(this.db, filter);
  }

  async preimage(lockHash: string): Promise<PreimageRecord | undefined> {
    return preimageOf(this.db, lockHash);
  }

  async chainTx(id: string): Promise<ChainTxRecord | undefined> {
    return chainTxOf(this.db, id);
  }

  async chainTxs(filter: { statuses?: readonly ChainTxStatus[]; sender?: string } = {}): Promise<ChainTxRecord[]> {
    return chainTxsOf(this.db, filter);
  }

  async nextNonce(sender: string): Promise<bigint | undefined> {
    return nextNonceOf(this.db, sender);
  }

  async outbox(filter: { recipient?: string; limit?: number } = {}): Promise<StoredOutboxMessage[]> {
    return outboxOf(this.db, filter);
  }
}

/**
 * The ChannelStore in memory of earlier releases: now a MemoryStore over its own database (same behaviour,
 * plus units of work). Kept so `new MemoryChannelStore()` goes on working.
 */
export class MemoryChannelStore extends MemoryStore {}
