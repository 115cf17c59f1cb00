/**
 * `SqliteStore`: the embedded SwitchyardStore, one SQLite file per party, on Node.js's built-in `node:sqlite`
 * (no native build, no download; why in docs/STORES.md). Node.js only: `node:sqlite` is imported lazily by
 * `open`, so importing the SDK (or `./stores`) never pulls it into a browser bundle.
 *
 * Settings: WAL journal, `synchronous=FULL` (every commit fsyncs the WAL before it returns, so an acknowledged
 * unit survives power loss), a busy timeout, foreign keys on, and `locking_mode=EXCLUSIVE`: the writer holds
 * the file's lock from open to close, so a second process (or a second store in this one) opening the same
 * file fails with StoreLockedError instead of signing from a stale copy. The lock dies with the process.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";

import {
  StoreCorruptError,
  StoreError,
  StoreLockedError,
  StoreUnavailableError,
  SwitchyardError,
} from "../../protocol/errors.js";
import type { CommitPointHook } from "../store.js";
import type { SqlDriver, SqlRow, SqlValue } from "../sql/driver.js";
import { SqlStore } from "../sql/store.js";

/** PRAGMA application_id of a Switchyard SQLite file ("SWYD"). */
export const SQLITE_APPLICATION_ID = 0x53575944;

export interface SqliteStoreOptions {
  /** Milliseconds a statement waits for a lock held by another connection before failing (default 2000). */
  busyTimeoutMs?: number;
  /** Crash-test hook (see CommitPoint). */
  onCommitPoint?: CommitPointHook;
}

interface SqliteError {
  errcode?: number;
  message?: string;
}

class SqliteDriver implements SqlDriver {
  readonly dialect = "sqlite";
  readonly singleSession = true;
  readonly binaryCollation = "COLLATE BINARY";
  private readonly statements = new Map<string, StatementSync>();

  constructor(
    private readonly db: DatabaseSync,
    readonly location: string,
  ) {}

  private prepare(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql.replace(/\$(\d+)/g, "?$1"));
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return Number(this.prepare(sql).run(...params).changes);
  }

  async all(sql: string, params: readonly SqlValue[] = []): Promise<SqlRow[]> {
    return this.prepare(sql).all(...params) as SqlRow[];
  }

  read(sql: string, params: readonly SqlValue[] = []): Promise<SqlRow[]> {
    return this.all(sql, params);
  }

  /** One session, one process, and synchronous statements: reads in a row see one state. */
  async readAll(queries: ReadonlyArray<readonly [string, readonly SqlValue[]]>): Promise<SqlRow[][]> {
    const rows: SqlRow[][] = [];
    for (const [sql, params] of queries) rows.push(await this.all(sql, params));
    return rows;
  }

  async begin(): Promise<void> {
    this.db.exec("BEGIN IMMEDIATE");
  }

  async tables(): Promise<string[]> {
    const rows = await this.all(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    );
    return rows.map((r) => String(r.name));
  }

  classify(error: unknown): Error | undefined {
    return classifySqlite(this.location, error);
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }
}

function classifySqlite(location: string, error: unknown): Error | undefined {
  if (error instanceof SwitchyardError) return error;
  const { errcode, message } = (error ?? {}) as SqliteError;
  if (typeof errcode !== "number") return undefined;
  const why = message ?? "";
  switch (errcode & 0xff) {
    case 5: // SQLITE_BUSY
    case 6: // SQLITE_LOCKED
      return new StoreLockedError(location, `another connection holds the database (${why}); one writer per party`);
    case 11: // SQLITE_CORRUPT
    case 26: // SQLITE_NOTADB
      return new StoreCorruptError(location, why);
    case 13: // SQLITE_FULL
      return new StoreUnavailableError(location, `the disk is full (${why})`);
    case 8: // SQLITE_READONLY
    case 10: // SQLITE_IOERR
    case 14: // SQLITE_CANTOPEN
      return new StoreUnavailableError(location, why);
    default:
      return new StoreError(`${location}: ${why}`);
  }
}

export class SqliteStore extends SqlStore {
  /** Opens (creating if needed) the store in the SQLite file at `path` (":memory:" for a throwaway one). */
  static async open(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    const { DatabaseSync: Database } = await import("node:sqlite");
    let db: DatabaseSync;
    try {
      db = new Database(path, { timeout: options.busyTimeoutMs ?? 2_000 });
    } catch (error) {
      throw classifySqlite(path, error) ?? new StoreUnavailableError(path, String(error));
    }
    const driver = new SqliteDriver(db, path);
    try {
      db.exec("PRAGMA locking_mode = EXCLUSIVE");
      const [mode] = await driver.all("PRAGMA journal_mode = WAL");
      if (path !== ":memory:" && mode?.journal_mode !== "wal")
        throw new StoreUnavailableError(path, `cannot use WAL (journal mode ${String(mode?.journal_mode)})`);
      db.exec("PRAGMA synchronous = FULL");
      db.exec("PRAGMA foreign_keys = ON");
      const [app] = await driver.all("PRAGMA application_id");
      const id = Number(app?.application_id ?? 0);
      if (id !== 0 && id !== SQLITE_APPLICATION_ID)
        throw new StoreCorruptError(path, `not a Switchyard store: application id 0x${id.toString(16)}`);
    } catch (error) {
      await driver.close().catch(() => undefined);
      throw error instanceof SwitchyardError
        ? error
        : (classifySqlite(path, error) ?? new StoreError(`${path}: ${String(error)}`));
    }
    const { epoch, outboxSeq } = await SqlStore.prepare(driver);
    db.exec(`PRAGMA application_id = ${SQLITE_APPLICATION_ID}`);
    const store = new SqliteStore(driver, epoch, options.onCommitPoint);
    store.setOutboxSeq(outboxSeq);
    return store;
  }
}
