/**
 * `UnitStore`: what every SwitchyardStore backend shares: a cache of channel records (checked and folded
 * with record.ts, undone when a unit or its commit fails), the group commit (units queued and flushed once
 * per event-loop turn as one transaction; a savepoint per unit only when a unit of it is refused), and the counters. A backend supplies the
 * transaction steps and the writes of each part of a unit; the memory backend (memory.ts) and the SQL backends
 * (sql/) are the two kinds.
 *
 * Only one flush runs at a time, so the cache changes only inside a flush and a unit is checked against the
 * record as every earlier unit left it; units on one channel keep the order in which `write` was called.
 */
import { InFlightUnits } from "./inflight.js";
import { checksum } from "../protocol/address.js";
import { StoreError, StoreLockedError, StoreUnavailableError, SwitchyardError } from "../protocol/errors.js";
import { cloneRecord, positionsOf, type ChannelRecord, type CoSignedUpdate, type PendingSignature } from "../protocol/record.js";
import { foldEntry, type EntryDelta, type Slot } from "./fold.js";
import { normalizeUnit } from "./unitInput.js";
import { copyUnit } from "./unitCopy.js";
import type {
  ChainTxRecord,
  ChainTxStatus,
  ChainTxWrite,
  ChannelOp,
  CommitPoint,
  CommitPointHook,
  OutboxMessage,
  PaymentRecord,
  PaymentWrite,
  RecentPaymentsFilter,
  PreimageRecord,
  StoreStats,
  StoredOutboxMessage,
  SwitchyardStore,
  WriteUnit,
} from "./store.js";

/** Undo steps of a unit, run in reverse when it is refused or its commit fails. */
export type UndoLog = Array<() => void>;

/**
 * What a transaction step of a backend returns: a promise for one that waits on a database, nothing for one
 * that completes synchronously (the memory backend). The engine awaits only promises, so a synchronous backend
 * does not pay an event-loop microtask per step; the order of the steps is the same either way.
 */
export type Step = Promise<void> | void;

interface Queued {
  unit: WriteUnit;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const defer: (task: () => void) => void =
  typeof setImmediate === "function" ? (task) => void setImmediate(task) : (task) => void setTimeout(task, 0);

export abstract class UnitStore implements SwitchyardStore {
  /** Cached channel records (the committed state, plus the folds of the flush in progress). */
  protected readonly slots: Map<string, Slot>;
  private readonly loading = new Map<string, Promise<Slot | undefined>>();
  /** Reads begun before an `evict` of their channel. */
  private readonly stale = new WeakSet<Promise<Slot | undefined>>();
  /** A shared store's units queued or being committed, per channel (an `evict` of one waits for them). */
  private readonly inFlight = new InFlightUnits((channel) => this.drop(channel));
  protected evicts = false;
  private queue: Queued[] = [];
  private scheduled = false;
  private flushing: Promise<void> | undefined;
  private closed = false;
  /** Set once another writer took the store over: every later write fails with it. */
  protected fenced: StoreLockedError | undefined;
  private readonly counters: StoreStats = { commits: 0, units: 0, refused: 0, maxUnitsPerCommit: 0 };
  private doubtful = 0; // commits whose outcome is unknown (ChannelStore.doubtfulCommits)

  protected constructor(
    /** Names the store in errors (a path, a URL without password, "memory"). */
    readonly location: string,
    slots: Map<string, Slot> = new Map(),
    private readonly onCommitPoint?: CommitPointHook,
  ) {
    this.slots = slots;
  }

  /** Reports a commit point to the crash-test hook, if any. */
  protected commitPoint(point: CommitPoint, units: number): void {
    this.onCommitPoint?.(point, units);
  }

  /**
   * True for a backend whose savepoints cost round trips or statements and whose writes need no savepoint to
   * take effect (SQL): a flush then writes its units without savepoints first and uses them only when a unit of
   * it is refused (see flush). Other backends (memory, IndexedDB) always take one per unit.
   */
  protected readonly savepointsOnRefusal: boolean = false;

  /** Units in the flush in progress. */
  protected flushUnits = 0;

  // ───────────────────────────── backend hooks ─────────────────────────────

  /** Reads a channel's committed record from the database (undefined when absent). */
  protected abstract readSlot(channel: string): Promise<Slot | undefined>;
  protected abstract listChannels(): Promise<string[]>;
  /** Begins the flush's transaction and checks this store is still the writer (StoreLockedError if not). */
  protected abstract begin(): Step;
  protected abstract savepoint(): Step;
  protected abstract releaseSavepoint(): Step;
  protected abstract rollbackToSavepoint(): Step;
  protected abstract commit(): Step;
  protected abstract rollback(): Promise<void>;
  protected abstract writeCreate(channel: string, record: ChannelRecord, undo: UndoLog): Step;
  protected abstract writeEntry(channel: string, record: ChannelRecord, delta: EntryDelta, undo: UndoLog): Step;
  protected abstract writePayment(write: PaymentWrite, undo: UndoLog): Promise<void>;
  protected abstract writePreimage(preimage: PreimageRecord, undo: UndoLog): Promise<void>;
  protected abstract writeChainTx(write: ChainTxWrite, undo: UndoLog): Promise<void>;
  protected abstract writeOutbox(message: OutboxMessage, undo: UndoLog): Promise<void>;
  protected abstract writeDelivered(id: string, undo: UndoLog): Promise<void>;
  /** Turns a backend failure into a typed store error (refusals pass through unchanged). */
  protected abstract mapError(error: unknown): unknown;
  /** Called after a commit whose outcome is unknown (the connection broke): the cache may be behind. */
  protected onAmbiguousCommit(): void {
    this.slots.clear();
  }
  protected abstract closeBackend(): Promise<void>;

  abstract payment(lockHash: string): Promise<PaymentRecord | undefined>;
  abstract hasPayment(lockHash: string): Promise<boolean>;
  abstract payments(filter?: { statuses?: readonly string[] }): Promise<PaymentRecord[]>;
  abstract recentPayments(filter: RecentPaymentsFilter): Promise<PaymentRecord[]>;
  abstract preimage(lockHash: string): Promise<PreimageRecord | undefined>;
  abstract chainTx(id: string): Promise<ChainTxRecord | undefined>;
  abstract chainTxs(filter?: { statuses?: readonly ChainTxStatus[]; sender?: string }): Promise<ChainTxRecord[]>;
  abstract nextNonce(sender: string): Promise<bigint | undefined>;
  abstract history(channel: string, afterNonce?: bigint): Promise<CoSignedUpdate[]>;
  abstract outbox(filter?: { recipient?: string; limit?: number }): Promise<StoredOutboxMessage[]>;

  // ───────────────────────────── ChannelStore ─────────────────────────────

  async channels(): Promise<string[]> {
    return this.listChannels();
  }

  async load(channel: string): Promise<ChannelRecord | undefined> {
    const key = checksum(channel);
    const slot = await (this.inFlight.settled(key)?.then(() => this.slot(key)) ?? this.slot(key));
    return slot === undefined ? undefined : cloneRecord(slot.record);
  }

  /** Drops the channel's cached record: the next `load` reads the database (another writer may have moved it). */
  evict(channel: string): void { this.inFlight.evict(checksum(channel)); }

  private drop(key: string): void {
    this.slots.delete(key);
    const reading = this.loading.get(key); // a read begun before now answers no load after it, nor is cached
    if (reading !== undefined) (this.stale.add(reading), this.loading.delete(key));
  }

  create(record: ChannelRecord): Promise<void> {
    return this.write({ channels: [{ op: "create", record }] });
  }

  putSigned(channel: string, pending: PendingSignature): Promise<void> {
    return this.write({ channels: [{ op: "entry", channel, entry: { kind: "signed", pending } }] });
  }

  putCoSigned(channel: string, cosigned: CoSignedUpdate): Promise<void> {
    return this.write({ channels: [{ op: "entry", channel, entry: { kind: "cosigned", cosigned } }] });
  }

  putResolution(channel: string, transferId: string, resolverData: string): Promise<void> {
    return this.write({ channels: [{ op: "entry", channel, entry: { kind: "resolution", transferId, resolverData } }] });
  }

  // ───────────────────────────── units of work ─────────────────────────────

  write(unit: WriteUnit): Promise<void> {
    if (this.closed) return Promise.reject(new StoreError(`store ${this.location} is closed`));
    if (this.fenced !== undefined) return Promise.reject(this.fenced);
    let copy: WriteUnit;
    try {
      // A copy, so later changes to the caller's objects cannot reach the store (a plain deep copy: the JSON
      // round trip it replaces gave the same data and was a quarter of a full update's CPU).
      copy = normalizeUnit(copyUnit(unit)); // a Channel's remembered updates are shared: unitCopy.ts
    } catch (error) {
      return Promise.reject(
        error instanceof SwitchyardError ? error : new StoreError(`malformed unit: ${String(error)}`),
      );
    }
    if (!this.evicts)
      return new Promise<void>((resolve, reject) => (this.queue.push({ unit: copy, resolve, reject }), this.schedule()));
    const done = this.inFlight.begin((copy.channels ?? []).map(channelOf));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ unit: copy, resolve: () => (done(), resolve()), reject: (e) => (done(), reject(e)) });
      this.schedule();
    });
  }

  get doubtfulCommits(): number { return this.doubtful; }

  stats(): StoreStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing !== undefined || this.queue.length > 0) {
      if (this.flushing === undefined) this.schedule();
      await this.flushing;
      await new Promise<void>((resolve) => defer(resolve));
    }
    await this.closeBackend();
  }

  /** The channel's cached slot, read from the database on first use. */
  protected async slot(channel: string): Promise<Slot | undefined> {
    const cached = this.slots.get(channel);
    if (cached !== undefined) return cached;
    let loading = this.loading.get(channel);
    if (loading === undefined) {
      const read: Promise<Slot | undefined> = this.readSlot(channel).finally(() => {
        if (this.loading.get(channel) === read) this.loading.delete(channel);
      });
      this.loading.set(channel, (loading = read));
    }
    const slot = await loading;
    if (slot === undefined) return undefined;
    const raced = this.slots.get(channel);
    if (raced !== undefined) return raced;
    if (!this.stale.has(loading)) this.slots.set(channel, slot);
    return slot;
  }

  private schedule(): void {
    if (this.scheduled || this.flushing !== undefined) return;
    this.scheduled = true;
    defer(() => {
      this.scheduled = false;
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined;
        if (this.queue.length > 0) this.schedule();
      });
    });
  }

  /**
   * One durable commit for every queued unit. With `savepointsOnRefusal` (the SQL backends) the units are first
   * written without savepoints (two statements fewer per unit: with 256 units in a commit they were half of the
   * SQL statements of an update); when one of them is
   * refused or fails, that whole attempt is rolled back (database and cache) and the batch is written again
   * with a savepoint per unit, so that only the refused units fail, exactly as if it had been written that way
   * from the start. Nothing is acknowledged before the commit of the attempt that carries it.
   */
  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    if (this.fenced !== undefined) return failAll(this.fenced, batch);
    if (!(await this.beginFlush(batch))) return;
    if (!this.savepointsOnRefusal) {
      const done = await this.writeWithSavepoints(batch);
      return done === undefined ? undefined : this.commitFlush(batch, done);
    }
    const fast = await this.writeWithoutSavepoints(batch);
    if (fast === "failed") return;
    if (fast === "retry") {
      if (!(await this.beginFlush(batch))) return;
      const careful = await this.writeWithSavepoints(batch);
      if (careful === undefined) return;
      return this.commitFlush(batch, careful);
    }
    return this.commitFlush(batch, fast);
  }

  /** Loads the batch's channels and begins its transaction; on failure, fails the batch and returns false. */
  private async beginFlush(batch: readonly Queued[]): Promise<boolean> {
    try {
      for (const q of batch) {
        for (const op of q.unit.channels ?? []) {
          const channel = channelOf(op);
          if (!this.slots.has(channel)) await this.slot(channel);
        }
      }
      this.flushUnits = batch.length;
      const begun = this.begin();
      if (begun !== undefined) await begun;
      this.commitPoint("begin", batch.length);
      return true;
    } catch (error) {
      const mapped = this.mapError(error);
      if (mapped instanceof StoreLockedError) this.fenced = mapped;
      await this.rollback().catch(ignore);
      failAll(mapped, batch);
      return false;
    }
  }

  /** Whether `mapped` breaks the transaction itself (a lost connection, a full disk, a lost lock). */
  private isBroken(mapped: unknown): boolean {
    return mapped instanceof StoreUnavailableError || mapped instanceof StoreLockedError;
  }

  /** Rolls the whole flush back (cache and database) and fails `items` with `broken`. */
  private async abandon(broken: unknown, done: readonly Done[], items: readonly Queued[]): Promise<void> {
    undoAll(done);
    await this.rollback().catch(ignore);
    if (broken instanceof StoreLockedError) this.fenced = broken;
    failAll(broken, items);
  }

  /**
   * Writes every unit of the batch in one transaction, no savepoints. "retry" when a unit was refused (all of
   * it rolled back, the batch not failed: write it again with savepoints), "failed" when the transaction broke
   * (the batch failed), else the units written.
   */
  private async writeWithoutSavepoints(batch: readonly Queued[]): Promise<Done[] | "retry" | "failed"> {
    const done: Done[] = [];
    for (const q of batch) {
      const undo: UndoLog = [];
      try {
        const applied = this.apply(q.unit, undo);
        if (applied !== undefined) await applied;
        this.commitPoint("unit-written", batch.length);
        done.push({ q, undo });
      } catch (error) {
        runUndo(undo);
        const mapped = this.mapError(error);
        if (this.isBroken(mapped)) {
          await this.abandon(mapped, done, batch);
          return "failed";
        }
        undoAll(done);
        try {
          await this.rollback();
        } catch (failure) {
          failAll(this.mapError(failure), batch);
          return "failed";
        }
        return "retry";
      }
    }
    return done;
  }

  /** Writes every unit of the batch with a savepoint each: a refused unit fails alone. Undefined when it broke. */
  private async writeWithSavepoints(batch: readonly Queued[]): Promise<Done[] | undefined> {
    const done: Done[] = [];
    for (let index = 0; index < batch.length; index++) {
      const q = batch[index] as Queued;
      const undo: UndoLog = [];
      try {
        const saved = this.savepoint();
        if (saved !== undefined) await saved;
        const applied = this.apply(q.unit, undo);
        if (applied !== undefined) await applied;
        this.commitPoint("unit-written", batch.length);
        const released = this.releaseSavepoint();
        if (released !== undefined) await released;
        done.push({ q, undo });
      } catch (error) {
        runUndo(undo);
        const mapped = this.mapError(error);
        let broken: unknown = this.isBroken(mapped) ? mapped : undefined;
        if (broken === undefined) {
          try {
            const back = this.rollbackToSavepoint();
            if (back !== undefined) await back;
          } catch (failure) {
            broken = this.mapError(failure);
          }
        }
        if (broken !== undefined) {
          // Nothing of this flush is committed.
          await this.abandon(broken, done, [...done.map((d) => d.q), ...batch.slice(index)]);
          return undefined;
        }
        this.counters.refused++;
        q.reject(mapped);
      }
    }
    return done;
  }

  /** Commits the flush and acknowledges its written units (or fails them all when the commit fails). */
  private async commitFlush(batch: readonly Queued[], done: readonly Done[]): Promise<void> {
    try {
      this.commitPoint("before-commit", batch.length);
      const committed = this.commit();
      if (committed !== undefined) await committed;
    } catch (error) {
      undoAll(done);
      await this.rollback().catch(ignore);
      this.onAmbiguousCommit();
      this.doubtful++; // the units may have landed: their writers must not go on from memory
      return failAll(
        this.mapError(error),
        done.map((d) => d.q),
      );
    }
    this.commitPoint("committed", batch.length);
    this.counters.commits++;
    this.counters.units += done.length;
    this.counters.maxUnitsPerCommit = Math.max(this.counters.maxUnitsPerCommit, done.length);
    for (const d of done) d.q.resolve();
  }

  /**
   * Writes one unit's parts in order. Channel ops whose backend writes complete synchronously run without a
   * microtask each; the unit turns asynchronous at its first backend promise (or its first node row).
   */
  private apply(unit: WriteUnit, undo: UndoLog): Promise<void> | undefined {
    const ops = unit.channels ?? [];
    for (let i = 0; i < ops.length; i++) {
      const written = this.applyChannelOp(ops[i] as ChannelOp, undo);
      if (written !== undefined) return this.applyRest(unit, undo, ops, i + 1, written);
    }
    if (!hasNodeRows(unit)) return undefined;
    return this.applyRest(unit, undo, ops, ops.length, undefined);
  }

  /** Folds one channel op into the cache (undoably) and starts its backend write. */
  private applyChannelOp(op: ChannelOp, undo: UndoLog): Step {
    const channel = channelOf(op);
    if (op.op === "create") {
      if (this.slots.has(channel)) throw new StoreError(`channel ${channel} already exists`);
      const record = op.record;
      this.slots.set(channel, { record, positions: positionsOf(record) });
      undo.push(() => this.slots.delete(channel));
      return this.writeCreate(channel, record, undo);
    }
    const slot = this.slots.get(channel);
    if (slot === undefined) throw new StoreError(`unknown channel ${channel}`);
    const fold = foldEntry(slot, op.entry);
    undo.push(fold.undo);
    return this.writeEntry(channel, slot.record, fold.delta, undo);
  }

  /** The rest of `apply` from channel op `from` on, once a backend write (`pending`) has turned it asynchronous. */
  private async applyRest(
    unit: WriteUnit,
    undo: UndoLog,
    ops: readonly ChannelOp[],
    from: number,
    pending: Step,
  ): Promise<void> {
    if (pending !== undefined) await pending;
    for (let i = from; i < ops.length; i++) {
      const written = this.applyChannelOp(ops[i] as ChannelOp, undo);
      if (written !== undefined) await written;
    }
    for (const p of unit.payments ?? []) await this.writePayment(p, undo);
    for (const p of unit.preimages ?? []) await this.writePreimage(p, undo);
    for (const t of unit.chainTxs ?? []) await this.writeChainTx(t, undo);
    for (const m of unit.outbox ?? []) await this.writeOutbox(m, undo);
    for (const id of unit.delivered ?? []) await this.writeDelivered(id, undo);
  }
}

/** A unit written in the flush in progress, with how to undo it. */
interface Done {
  q: Queued;
  undo: UndoLog;
}

function runUndo(undo: UndoLog): void {
  for (let i = undo.length - 1; i >= 0; i--) (undo[i] as () => void)();
}

/** Undoes every written unit of a flush, the last first. */
function undoAll(done: readonly Done[]): void {
  for (let i = done.length - 1; i >= 0; i--) runUndo((done[i] as Done).undo);
}

function failAll(error: unknown, items: readonly Queued[]): void {
  for (const q of items) q.reject(error);
}

function ignore(): void {}

function hasNodeRows(u: WriteUnit): boolean {
  const n = (u.payments?.length ?? 0) + (u.preimages?.length ?? 0) + (u.chainTxs?.length ?? 0) + (u.outbox?.length ?? 0);
  return n + (u.delivered?.length ?? 0) > 0;
}

function channelOf(op: ChannelOp): string {
  return checksum(op.op === "create" ? op.record.setup.channel : op.channel);
}
