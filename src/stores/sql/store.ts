/**
 * `SqlStore`: the SwitchyardStore on a SQL database (SQLite or PostgreSQL, through a SqlDriver). The engine
 * (../engine.ts) checks every entry against the cached record and runs the group commit; this class writes
 * each part of a unit with statements that also check, inside the transaction, that the stored rows are the
 * ones the cache folded from (compare-and-set on the channel's nonce, on versions, on uniqueness). A unit that
 * fails any check rolls back to its savepoint; nothing is acknowledged before COMMIT (and the driver's sync) returns.
 *
 * Fencing: `open` bumps the writer epoch in sy_meta (in the migration's transaction); every group commit
 * begins by reading it (PostgreSQL: FOR UPDATE, so writers are serialized on that row) and fails with
 * StoreLockedError once another writer has bumped it. A shared store (several node processes) has no token:
 * its row checks fence it, and `evict` drops a cached channel so the next read sees what another committed.
 */
import { checksum } from "../../protocol/address.js";
import { StoreConflictError, StoreError, StoreLockedError, SwitchyardError } from "../../protocol/errors.js";
import { UnitStore } from "../engine.js";
import { positionsOf, type ChannelRecord, type CoSignedUpdate } from "../../protocol/record.js";
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
import type { SqlDriver, SqlRow, SqlValue } from "./driver.js";
import {
  channelColumns,
  chainTxBody,
  inList,
  chainTxOf,
  json,
  optionalJson,
  parse,
  outboxOf,
  paymentOf,
  preimageOf,
  recordOf,
} from "./rows.js";
import { Mutex } from "./mutex.js";
import { prepareSchema } from "./schema.js";

export class SqlStore extends UnitStore {
  /** Savepoints are statements here: a flush takes them only when one of its units is refused. */
  protected override readonly savepointsOnRefusal = true;

  private readonly mutex = new Mutex();
  private releaseTx: (() => void) | undefined;
  private outboxSeq = 0;

  protected constructor(
    protected readonly driver: SqlDriver,
    private epoch: number | "shared", // "shared": several node processes write at once (row checks only)
    onCommitPoint?: CommitPointHook,
  ) {
    super(driver.location, new Map(), onCommitPoint);
  }

  /** Migrates (or creates) the schema and takes the writer's fencing token; closes the driver on failure. */
  protected static prepare(driver: SqlDriver, shared = false): Promise<{ epoch: number; outboxSeq: number }> {
    return prepareSchema(driver, shared);
  }

  protected setOutboxSeq(seq: number): void {
    this.outboxSeq = seq;
  }

  // ───────────────────────────── reads ─────────────────────────────

  /** A read outside the writer's transaction (after the group commit in progress on single-session drivers). */
  private async read(sql: string, params: readonly SqlValue[] = []): Promise<SqlRow[]> {
    const release = this.driver.singleSession ? await this.mutex.acquire() : undefined;
    try {
      return await this.driver.read(sql, params);
    } catch (error) {
      throw this.mapError(error);
    } finally {
      release?.();
    }
  }

  protected async readSlot(channel: string): Promise<Slot | undefined> {
    const release = this.driver.singleSession ? await this.mutex.acquire() : undefined;
    try {
      const c = this.driver.binaryCollation;
      const [[row] = [], transfers = [], withdrawals = [], resolutions = []] = await this.driver.readAll([
        ["SELECT * FROM sy_channels WHERE channel = $1", [channel]],
        ["SELECT transfer_id, position, transfer FROM sy_transfers WHERE channel = $1 ORDER BY position", [channel]],
        ["SELECT signed FROM sy_withdrawals WHERE channel = $1 ORDER BY position", [channel]],
        [`SELECT transfer_id, resolver_data FROM sy_resolutions WHERE channel = $1 ORDER BY transfer_id ${c}`, [channel]],
      ]); // one snapshot: another process's commit must not land between the channel's row and its transfers
      if (row === undefined) return undefined;
      const record = recordOf(this.location, row, transfers, withdrawals, resolutions);
      return { record, positions: positionsOf(record) };
    } catch (error) {
      throw this.mapError(error);
    } finally {
      release?.();
    }
  }

  protected async listChannels(): Promise<string[]> {
    return (await this.read(`SELECT channel FROM sy_channels ORDER BY channel ${this.driver.binaryCollation}`)).map(
      (r) => checksum(String(r.channel)),
    );
  }

  async payment(lockHash: string): Promise<PaymentRecord | undefined> {
    const [row] = await this.read("SELECT * FROM sy_payments WHERE lock_hash = $1", [lockHash.toLowerCase()]);
    return row === undefined ? undefined : paymentOf(this.location, row);
  }

  /**
   * SwitchyardStore.hasPayment. With the driver's `readDuringCommit` (SQLite) the query does not take the mutex,
   * which the group commit holds through COMMIT and the WAL's fsync: the routing Node's lookup of every new lock
   * hash, before it signs, waited for the commit in progress (~one fsync) on the payment's critical path.
   */
  async hasPayment(lockHash: string): Promise<boolean> {
    const query = ["SELECT 1 AS found FROM sy_payments WHERE lock_hash = $1", [lockHash.toLowerCase()]] as const;
    if (this.driver.readDuringCommit === undefined) return (await this.read(...query)).length > 0;
    try {
      return (await this.driver.readDuringCommit(...query)).length > 0;
    } catch (error) {
      throw this.mapError(error);
    }
  }

  async payments(filter: { statuses?: readonly string[] } = {}): Promise<PaymentRecord[]> {
    const statuses = filter.statuses ?? [];
    const where = filter.statuses === undefined ? "" : `WHERE status IN (${inList(statuses.length, 1)})`;
    if (filter.statuses !== undefined && statuses.length === 0) return [];
    const rows = await this.read(
      `SELECT * FROM sy_payments ${where} ORDER BY lock_hash ${this.driver.binaryCollation}`,
      statuses,
    );
    return rows.map((r) => paymentOf(this.location, r));
  }

  async recentPayments(filter: RecentPaymentsFilter): Promise<PaymentRecord[]> {
    const c = this.driver.binaryCollation;
    const n = filter.finished.length;
    const final = n === 0 ? "FALSE" : `status IN (${inList(n, 1)})`; // the latest: one scan, only N rows leave the database
    const rows = await this.read(
      `SELECT * FROM (SELECT * FROM sy_payments WHERE NOT (${final})
       UNION ALL SELECT * FROM (SELECT * FROM sy_payments WHERE ${final} ORDER BY updated_at DESC, lock_hash ${c} DESC LIMIT $${n + 1}) AS f) AS r
       ORDER BY updated_at, lock_hash ${c}`,
      [...filter.finished, Math.max(0, Math.floor(filter.latest))],
    );
    return rows.map((r) => paymentOf(this.location, r));
  }

  async preimage(lockHash: string): Promise<PreimageRecord | undefined> {
    const [row] = await this.read("SELECT * FROM sy_preimages WHERE lock_hash = $1", [lockHash.toLowerCase()]);
    return row === undefined ? undefined : preimageOf(row);
  }

  async chainTx(id: string): Promise<ChainTxRecord | undefined> {
    const [row] = await this.read("SELECT * FROM sy_chain_txs WHERE id = $1", [id]);
    return row === undefined ? undefined : chainTxOf(this.location, row);
  }

  async chainTxs(filter: { statuses?: readonly ChainTxStatus[]; sender?: string } = {}): Promise<ChainTxRecord[]> {
    const params: SqlValue[] = [];
    const clauses: string[] = [];
    if (filter.statuses !== undefined) {
      if (filter.statuses.length === 0) return [];
      clauses.push(`status IN (${inList(filter.statuses.length, 1)})`);
      params.push(...filter.statuses);
    }
    if (filter.sender !== undefined) {
      params.push(checksum(filter.sender));
      clauses.push(`sender = $${params.length}`);
    }
    const where = clauses.length === 0 ? "" : `WHERE ${clauses.join(" AND ")}`;
    const rows = await this.read(
      `SELECT * FROM sy_chain_txs ${where} ORDER BY id ${this.driver.binaryCollation}`,
      params,
    );
    return rows.map((r) => chainTxOf(this.location, r));
  }

  async nextNonce(sender: string): Promise<bigint | undefined> {
    const [row] = await this.read("SELECT MAX(nonce) AS n FROM sy_chain_txs WHERE sender = $1", [checksum(sender)]);
    return row?.n === null || row?.n === undefined ? undefined : BigInt(String(row.n)) + 1n;
  }

  async history(channel: string, afterNonce = -1n): Promise<CoSignedUpdate[]> {
    // Nonces are decimal TEXT without leading zeros: ordering by (length, text) is numeric order.
    const c = this.driver.binaryCollation;
    const after = afterNonce < 0n ? "" : afterNonce.toString();
    const rows = await this.read(
      `SELECT cosigned FROM sy_updates WHERE channel = $1
       AND (LENGTH(nonce) > LENGTH(CAST($2 AS TEXT)) OR (LENGTH(nonce) = LENGTH(CAST($2 AS TEXT)) AND nonce ${c} > CAST($2 AS TEXT) ${c}))
       ORDER BY LENGTH(nonce), nonce ${c}`,
      [checksum(channel), after],
    );
    return rows.map((r) => parse<CoSignedUpdate>(this.location, r.cosigned, `channel ${channel} update`));
  }

  async outbox(filter: { recipient?: string; limit?: number } = {}): Promise<StoredOutboxMessage[]> {
    const params: SqlValue[] = [];
    let sql = "SELECT * FROM sy_outbox";
    if (filter.recipient !== undefined) {
      params.push(filter.recipient);
      sql += " WHERE recipient = $1";
    }
    sql += " ORDER BY seq";
    if (filter.limit !== undefined) {
      params.push(Math.max(0, Math.floor(filter.limit)));
      sql += ` LIMIT $${params.length}`;
    }
    return (await this.read(sql, params)).map((r) => outboxOf(this.location, r));
  }

  // ───────────────────────────── transaction steps ─────────────────────────────

  protected async begin(): Promise<void> {
    if (this.driver.singleSession) this.releaseTx = await this.mutex.acquire();
    await this.driver.begin();
    if (this.epoch === "shared") return;
    const lock = this.driver.dialect === "postgres" ? " FOR UPDATE" : "";
    const [row] = await this.driver.all(`SELECT value FROM sy_meta WHERE key = 'writer_epoch'${lock}`);
    const current = Number(row?.value);
    if (current !== this.epoch) {
      throw new StoreLockedError(
        this.location,
        `another writer opened the store (writer ${current}, this one is ${this.epoch}): this one may not write again`,
      );
    }
  }

  protected async savepoint(): Promise<void> {
    await this.driver.run("SAVEPOINT unit_sp");
  }

  protected async releaseSavepoint(): Promise<void> {
    await this.driver.run("RELEASE SAVEPOINT unit_sp");
  }

  protected async rollbackToSavepoint(): Promise<void> {
    await this.driver.run("ROLLBACK TO SAVEPOINT unit_sp");
    await this.driver.run("RELEASE SAVEPOINT unit_sp");
  }

  protected async commit(): Promise<void> {
    try {
      const sent = this.driver.run("COMMIT");
      this.commitPoint("commit-sent", this.flushUnits);
      await sent;
      await this.driver.sync?.(); // durable before the units are acknowledged and before any read sees them
    } finally {
      this.releaseTx?.();
    }
  }

  protected async rollback(): Promise<void> {
    try {
      await this.driver.run("ROLLBACK");
    } finally {
      this.releaseTx?.();
    }
  }

  protected mapError(error: unknown): unknown {
    if (error instanceof SwitchyardError) return error;
    return (
      this.driver.classify(error) ??
      new StoreError(`${this.location}: ${error instanceof Error ? error.message : String(error)}`)
    );
  }

  protected async closeBackend(): Promise<void> {
    await this.driver.close();
  }

  /** Writes that must change exactly one row; anything else means the database moved under the cache. */
  private async one(
    sql: string,
    params: readonly SqlValue[],
    table: string,
    key: string,
    reason: string,
  ): Promise<void> {
    const changed = await this.driver.run(sql, params);
    if (changed !== 1) throw new StoreConflictError(table, key, reason);
  }

  // ───────────────────────────── writes ─────────────────────────────

  protected async writeCreate(channel: string, record: ChannelRecord): Promise<void> {
    const changed = await this.driver.run(
      `INSERT INTO sy_channels (channel, me, setup, nonce, state, latest, next_withdraw_nonce, final, closed, pending)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (channel) DO NOTHING`,
      [channel, record.me, json(record.setup), ...channelColumns(record).columns],
    );
    if (changed !== 1) throw new StoreError(`channel ${channel} already exists`);
    for (const [position, t] of record.transfers.entries())
      await this.insertTransfer(channel, t.id, position, json(t.transfer));
    for (const [position, w] of record.withdrawals.entries()) {
      await this.driver.run("INSERT INTO sy_withdrawals (channel, position, signed) VALUES ($1, $2, $3)", [
        channel,
        position,
        json(w),
      ]);
    }
    for (const [id, data] of Object.entries(record.resolutions)) await this.upsertResolution(channel, id, data);
  }

  protected async writeEntry(channel: string, record: ChannelRecord, delta: EntryDelta): Promise<void> {
    const moved = "the stored record is not the one this writer holds";
    if (delta.kind === "signed") {
      await this.one(
        // A second content at a signed nonce is refused by the row too (a shared store's cache may be behind it).
        "UPDATE sy_channels SET pending = $2 WHERE channel = $1 AND nonce = $3 AND (pending IS NULL OR pending = $2)",
        [channel, optionalJson(record.pending), delta.priorNonce.toString()],
        "channel",
        channel,
        moved,
      );
    }
    if (delta.kind === "cosigned") {
      const { columns, also } = channelColumns(record, [delta.cosigned]);
      await this.one(
        `UPDATE sy_channels SET nonce = $2, state = $3, latest = $4, next_withdraw_nonce = $5, final = $6, closed = $7, pending = $8
         WHERE channel = $1 AND nonce = $9`,
        [channel, ...columns, delta.priorNonce.toString()],
        "channel",
        channel,
        moved,
      );
      if (delta.removed !== undefined) {
        await this.one(
          "DELETE FROM sy_transfers WHERE channel = $1 AND transfer_id = $2",
          [channel, delta.removed],
          "transfer",
          delta.removed,
          "not stored",
        );
      }
      if (delta.moved !== undefined) {
        await this.one(
          "UPDATE sy_transfers SET position = $3 WHERE channel = $1 AND transfer_id = $2",
          [channel, delta.moved.id, delta.moved.position],
          "transfer",
          delta.moved.id,
          "not stored",
        );
      }
      if (delta.added !== undefined)
        await this.insertTransfer(
          channel,
          delta.added.transfer.id,
          delta.added.position,
          json(delta.added.transfer.transfer),
        );
      if (delta.withdrawal !== undefined) {
        await this.driver.run("INSERT INTO sy_withdrawals (channel, position, signed) VALUES ($1, $2, $3)", [
          channel,
          delta.withdrawal.index,
          json(delta.withdrawal.signed),
        ]);
      }
      await this.driver.run("INSERT INTO sy_updates (channel, nonce, cosigned) VALUES ($1, $2, $3)", [
        channel,
        record.state.nonce.toString(),
        also[0] as string,
      ]);
    }
    if (delta.resolution !== undefined)
      await this.upsertResolution(channel, delta.resolution.transferId, delta.resolution.resolverData);
  }

  private async insertTransfer(channel: string, id: string, position: number, transfer: string): Promise<void> {
    await this.driver.run(
      "INSERT INTO sy_transfers (channel, transfer_id, position, transfer) VALUES ($1, $2, $3, $4)",
      [channel, id, position, transfer],
    );
  }

  private async upsertResolution(channel: string, id: string, data: string): Promise<void> {
    await this.driver.run(
      `INSERT INTO sy_resolutions (channel, transfer_id, resolver_data) VALUES ($1, $2, $3)
       ON CONFLICT (channel, transfer_id) DO UPDATE SET resolver_data = excluded.resolver_data`,
      [channel, id, data],
    );
  }

  protected async writePayment(write: PaymentWrite): Promise<void> {
    const p = write.payment;
    const values: SqlValue[] = [
      p.lockHash,
      p.status,
      p.upstreamPeer,
      p.upstreamTransferId,
      p.downstreamPeer ?? null,
      p.downstreamTransferId ?? null,
      json(p.body),
      p.updatedAt,
    ];
    if (write.expectedVersion === 0) {
      await this.one(
        `INSERT INTO sy_payments (lock_hash, status, upstream_peer, upstream_transfer_id, downstream_peer, downstream_transfer_id, body, updated_at, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1) ON CONFLICT (lock_hash) DO NOTHING`,
        values,
        "payment",
        p.lockHash,
        "it exists already (the write expected a new payment)",
      );
    } else {
      // Most changes keep the hops: this leaves their columns (and ix_payments_downstream) alone; else the next.
      const kept = await this.driver.run(
        `UPDATE sy_payments SET status = $2, body = $7, updated_at = $8, version = version + 1
         WHERE lock_hash = $1 AND version = $9 AND upstream_peer = $3 AND upstream_transfer_id = $4
         AND downstream_peer IS NOT DISTINCT FROM $5 AND downstream_transfer_id IS NOT DISTINCT FROM $6`,
        [...values, write.expectedVersion],
      );
      if (kept !== 1)
        await this.one(
          `UPDATE sy_payments SET status = $2, upstream_peer = $3, upstream_transfer_id = $4, downstream_peer = $5, downstream_transfer_id = $6,
           body = $7, updated_at = $8, version = version + 1 WHERE lock_hash = $1 AND version = $9`,
          [...values, write.expectedVersion],
          "payment",
          p.lockHash,
          `the stored version is not ${write.expectedVersion}`,
        );
    }
  }

  protected async writePreimage(p: PreimageRecord): Promise<void> {
    const changed = await this.driver.run(
      "INSERT INTO sy_preimages (lock_hash, resolver_data, source, learned_at) VALUES ($1, $2, $3, $4) ON CONFLICT (lock_hash) DO NOTHING",
      [p.lockHash, p.resolverData, p.source, p.learnedAt],
    );
    if (changed === 1) return;
    const [row] = await this.driver.all("SELECT resolver_data FROM sy_preimages WHERE lock_hash = $1", [p.lockHash]);
    if (row?.resolver_data !== p.resolverData)
      throw new StoreConflictError("preimage", p.lockHash, "another preimage is stored for this lock");
  }

  protected async writeChainTx(write: ChainTxWrite): Promise<void> {
    const t = write.tx;
    const nonce = t.nonce === undefined ? null : t.nonce.toString();
    if (nonce !== null) {
      const [taken] = await this.driver.all(
        "SELECT id FROM sy_chain_txs WHERE sender = $1 AND nonce = $2 AND id <> $3",
        [t.sender, nonce, t.id],
      );
      if (taken !== undefined)
        throw new StoreConflictError(
          "chain transaction",
          t.id,
          `nonce ${nonce} of ${t.sender} is taken by ${String(taken.id)}`,
        );
    }
    const values: SqlValue[] = [t.id, t.sender, nonce, t.status, chainTxBody(t), t.createdAt];
    if (write.expectedVersion === 0) {
      await this.one(
        "INSERT INTO sy_chain_txs (id, sender, nonce, status, body, created_at, version) VALUES ($1, $2, $3, $4, $5, $6, 1) ON CONFLICT (id) DO NOTHING",
        values,
        "chain transaction",
        t.id,
        "it exists already (the write expected a new one)",
      );
    } else {
      await this.one(
        "UPDATE sy_chain_txs SET sender = $2, nonce = $3, status = $4, body = $5, created_at = $6, version = version + 1 WHERE id = $1 AND version = $7",
        [...values, write.expectedVersion],
        "chain transaction",
        t.id,
        `the stored version is not ${write.expectedVersion}`,
      );
    }
  }

  protected async writeOutbox(m: OutboxMessage): Promise<void> {
    this.outboxSeq += 1; // single writer: a gap left by a refused unit is harmless
    await this.one(
      "INSERT INTO sy_outbox (id, seq, recipient, channel, body, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
      [m.id, this.outboxSeq, m.recipient, m.channel ?? null, json(m.body), m.createdAt],
      "outbox message",
      m.id,
      "the id is already in the outbox",
    );
  }

  protected async writeDelivered(id: string): Promise<void> {
    await this.driver.run("DELETE FROM sy_outbox WHERE id = $1", [id]);
  }
}
