/**
 * `SqliteStore`: the embedded SwitchyardStore, one SQLite file per party, on Node.js's built-in `node:sqlite`
 * (no native build, no download; why in docs/STORES.md). Node.js only: `node:sqlite` is imported lazily by
 * `open`, so importing the SDK (or `./stores`) never pulls it into a browser bundle.
 *
 * Settings: WAL journal, `synchronous=OFF` with every fsync done by this driver off the event loop (libuv's thread
 * pool): the WAL after every group commit (the node keeps reading messages and queueing units during the fsync,
 * so the next group commit carries them all), and the database file after each checkpoint. The store
 * acknowledges a commit's units, and lets reads see them (but `hasPayment`: readDuringCommit), only once the
 * WAL's fsync returned, so an
 * acknowledged unit survives power loss as with `synchronous=FULL`, whose fsync inside COMMIT blocked the event
 * loop (and so kept the group commit from grouping). SQLite's own checkpoints are off (`wal_autocheckpoint=0`):
 * they ran inside the COMMIT that crossed 1,000 pages, with two fsyncs on the event loop. This driver runs a
 * PASSIVE checkpoint itself once the WAL holds more than `checkpointFrames` frames (its file's size says so, with
 * `journal_size_limit` at that size), right after a WAL fsync (so it only copies durable frames), then fsyncs the
 * database file off the event loop; the next transaction (the one that may restart the WAL, overwriting its
 * frames) begins only once that fsync returned. A busy timeout,
 * foreign keys on, and `locking_mode=EXCLUSIVE`: the writer holds the file's lock from open to close, so a second
 * process (or a second store in this one) opening the same file fails with StoreLockedError instead of signing
 * from a stale copy. The lock dies with the process.
 */
import type { FileHandle } from "node:fs/promises";
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
  /**
   * About how many WAL frames (pages) accumulate between two checkpoints (default 8,000: 32 MiB of 4 KiB
   * pages). Fewer checkpoints copy each hot page once for many commits; the WAL file grows to about this size.
   */
  checkpointFrames?: number;
  /**
   * The page cache's bound in KiB (default 64 MiB; SQLite's default is 2 MiB). A node's hot pages (the index
   * pages its units look up by channel, lock hash and transfer id) outgrow 2 MiB within minutes; each miss is
   * a read of the file or the WAL inside a statement. The cache only grows as pages are used.
   */
  cacheKiB?: number;
}

/** The default of SqliteStoreOptions.cacheKiB: 64 MiB (SQLite's own default is 2 MiB). */
export const DEFAULT_CACHE_KIB = 65_536;

/** The default of SqliteStoreOptions.checkpointFrames. */
export const DEFAULT_CHECKPOINT_FRAMES = 8_000;

interface SqliteError {
  errcode?: number;
  message?: string;
}

/** The Node.js file functions the WAL's fsync needs (imported lazily by `open`, like node:sqlite). */
interface FileSystem {
  open(path: string, flags: string): Promise<FileHandle>;
  /** fs.fstatSync: the WAL's size after each fsync (a system call on file metadata in memory: about 1 µs). */
  fstat(fd: number): { size: number };
}

/**
 * Fsyncs a SQLite file's WAL (`<path>-wal`, which lives as long as the connection in WAL mode): fsync flushes
 * every written page of the file, so one call makes every commit before it durable. The first call also fsyncs
 * the directory (the WAL file is new). `syncDatabase` fsyncs the database file itself (after a checkpoint). A
 * failed fsync leaves the pages' state unknown: every later call fails.
 */
class WalSync {
  private handle: FileHandle | undefined;
  private database: FileHandle | undefined;
  private failed: Error | undefined;

  constructor(
    private readonly fs: FileSystem,
    private readonly path: string,
    private readonly directory: string,
  ) {}

  async sync(): Promise<void> {
    if (this.failed !== undefined) throw this.failed;
    try {
      if (this.handle === undefined) {
        this.handle = await this.fs.open(`${this.path}-wal`, "r+");
        if (process.platform !== "win32") {
          const dir = await this.fs.open(this.directory, "r");
          await dir.sync().finally(() => dir.close());
        }
      }
      await this.handle.sync();
    } catch (error) {
      throw this.fail("the WAL", error);
    }
  }

  /**
   * The WAL file's size in bytes (after a `sync`; 0 before the first, or when fstat fails: the commit before it
   * is durable and must be acknowledged, so a failed size only skips a checkpoint, and the next commit asks again).
   */
  size(): number {
    try {
      return this.handle === undefined ? 0 : this.fs.fstat(this.handle.fd).size;
    } catch {
      return 0;
    }
  }

  async syncDatabase(): Promise<void> {
    if (this.failed !== undefined) throw this.failed;
    try {
      this.database ??= await this.fs.open(this.path, "r+");
      await this.database.sync();
    } catch (error) {
      throw this.fail("the database file", error);
    }
  }

  private fail(what: string, error: unknown): Error {
    const why = error instanceof Error ? error.message : String(error);
    this.failed ??= new StoreUnavailableError(this.path, `fsync of ${what} failed (${why}): reopen the store`);
    return this.failed;
  }

  async close(): Promise<void> {
    const handles = [this.handle, this.database];
    this.handle = undefined;
    this.database = undefined;
    for (const handle of handles) await handle?.close();
  }
}

class SqliteDriver implements SqlDriver {
  readonly dialect = "sqlite";
  readonly singleSession = true;
  readonly binaryCollation = "COLLATE BINARY";
  private readonly statements = new Map<string, StatementSync>();
  /** The database file's fsync after the last checkpoint, while it runs (or once it failed). */
  private databaseSync: Promise<void> | undefined;
  /**
   * The WAL's size (bytes) at `checkpointFrames` frames, also its `journal_size_limit`; 0 until `limitWal`. At the
   * first commit after the WAL restarts SQLite truncates the file to this size (or to what the commit needs),
   * and the file then grows only by frames appended past it: so the file is larger than this exactly when the
   * WAL holds more than `checkpointFrames` frames (to within one commit).
   */
  private walLimitBytes = 0;

  constructor(
    private readonly db: DatabaseSync,
    readonly location: string,
    private readonly wal?: WalSync,
    private readonly checkpointFrames = DEFAULT_CHECKPOINT_FRAMES,
  ) {
    if (wal !== undefined) this.sync = () => this.syncWal(wal);
  }

  /** Sets `walLimitBytes` and SQLite's `journal_size_limit` from the file's page size (a WAL frame: page + 24). */
  limitWal(pageSize: number): void {
    this.walLimitBytes = 32 + this.checkpointFrames * (pageSize + 24);
    this.db.exec(`PRAGMA journal_size_limit = ${this.walLimitBytes}`);
  }

  /** Set when the file is on disk (not ":memory:"): see WalSync. */
  readonly sync?: () => Promise<void>;

  /**
   * The last commit durable (its WAL fsynced); then, once the WAL holds more than `checkpointFrames` frames (its
   * size says so: `walLimitBytes`), a checkpoint. The size is read after every commit, not estimated from a
   * count of commits: an estimate from the last interval's frames per commit let the WAL reach many times
   * `checkpointFrames` when commits grew (from the load run's set-up to its closed loop, no checkpoint in 10 s),
   * and the checkpoint that finally ran stalled the node's writes for over 100 ms.
   */
  private async syncWal(wal: WalSync): Promise<void> {
    await wal.sync();
    if (this.databaseSync === undefined && wal.size() > this.walLimitBytes) this.checkpoint(wal);
  }

  /**
   * Copies the WAL's frames (all durable: this runs right after a WAL fsync, no transaction open) into the
   * database file, with no fsync on the event loop (synchronous=OFF), then fsyncs the file on the thread pool.
   * The WAL restarts (its frames overwritten) only at the next write transaction, which `begin` holds until
   * that fsync returned: until then a crash finds every frame still in the WAL. Both the durable unit's
   * acknowledgement and reads go on meanwhile.
   */
  private checkpoint(wal: WalSync): void {
    try {
      this.db.prepare("PRAGMA wal_checkpoint(PASSIVE)").get();
    } catch {
      // E.g. no room to grow the database file. The commit is durable in the WAL, which stays whole (SQLite
      // marks frames copied only once all are): this commit succeeds, and the next one tries again.
      return;
    }
    const synced = wal.syncDatabase();
    this.databaseSync = synced;
    synced.then(
      () => {
        if (this.databaseSync === synced) this.databaseSync = undefined;
      },
      () => undefined, // kept: every later begin fails with it
    );
  }

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

  /**
   * SqlDriver.readDuringCommit. Safe here: `all` runs its statement inside the call (no await before
   * `StatementSync.all`, which returns only once the statement is done), and so does every statement of the
   * writer (`run`, `all`, `begin`'s BEGIN, the checkpoint); none is left mid-iteration. So this query runs between
   * two of them: on this one connection it sees the open transaction's rows so far, or, after COMMIT, the committed
   * ones; a read changes nothing of the transaction. Nor does it take SQLite's lock from the writer: it is the
   * writer's own connection.
   */
  readDuringCommit(sql: string, params: readonly SqlValue[]): Promise<SqlRow[]> {
    return this.all(sql, params);
  }

  /** One session, one process, and synchronous statements: reads in a row see one state. */
  async readAll(queries: ReadonlyArray<readonly [string, readonly SqlValue[]]>): Promise<SqlRow[][]> {
    const rows: SqlRow[][] = [];
    for (const [sql, params] of queries) rows.push(await this.all(sql, params));
    return rows;
  }

  async begin(): Promise<void> {
    if (this.databaseSync !== undefined) await this.databaseSync; // the checkpoint durable before the WAL restarts
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
    await this.databaseSync?.catch(() => undefined);
    // Closing checkpoints the WAL and deletes it: with synchronous=FULL, SQLite fsyncs the WAL and the database
    // file first, and keeps the WAL when an fsync fails.
    if (this.db.isOpen && this.wal !== undefined) {
      try {
        this.db.exec("PRAGMA synchronous = FULL");
      } catch {
        // a file that never opened as a database: nothing to checkpoint
      }
    }
    if (this.db.isOpen) this.db.close();
    await this.wal?.close();
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
    const frames = options.checkpointFrames;
    if (frames !== undefined && !(Number.isSafeInteger(frames) && frames > 0))
      throw new StoreError(`checkpointFrames must be a positive integer, not ${String(frames)}`);
    const cache = options.cacheKiB;
    if (cache !== undefined && !(Number.isSafeInteger(cache) && cache > 0))
      throw new StoreError(`cacheKiB must be a positive integer, not ${String(cache)}`);
    const { DatabaseSync: Database } = await import("node:sqlite");
    let db: DatabaseSync;
    try {
      db = new Database(path, { timeout: options.busyTimeoutMs ?? 2_000 });
    } catch (error) {
      throw classifySqlite(path, error) ?? new StoreUnavailableError(path, String(error));
    }
    const onDisk = path !== ":memory:" && path !== "";
    const fs = onDisk
      ? { open: (await import("node:fs/promises")).open, fstat: (await import("node:fs")).fstatSync }
      : undefined;
    const directory = onDisk ? (await import("node:path")).dirname(path) : "";
    const driver = new SqliteDriver(
      db,
      path,
      fs === undefined ? undefined : new WalSync(fs, path, directory),
      options.checkpointFrames,
    );
    try {
      db.exec("PRAGMA locking_mode = EXCLUSIVE");
      const [mode] = await driver.all("PRAGMA journal_mode = WAL");
      if (path !== ":memory:" && mode?.journal_mode !== "wal")
        throw new StoreUnavailableError(path, `cannot use WAL (journal mode ${String(mode?.journal_mode)})`);
      db.exec(`PRAGMA synchronous = ${onDisk ? "OFF" : "FULL"}`); // OFF: this driver fsyncs (WalSync)
      if (onDisk) {
        db.exec("PRAGMA wal_autocheckpoint = 0"); // this driver checkpoints (SqliteDriver.checkpoint)
        const [page] = await driver.all("PRAGMA page_size");
        driver.limitWal(Number(page?.page_size ?? 4096));
      }
      db.exec(`PRAGMA cache_size = -${options.cacheKiB ?? DEFAULT_CACHE_KIB}`); // KiB (negative), grown as used
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
    // The migration and the writer epoch are durable before the store is used.
    await driver.sync?.().catch(async (error: unknown) => {
      await driver.close().catch(() => undefined);
      throw error;
    });
    const store = new SqliteStore(driver, epoch, options.onCommitPoint);
    store.setOutboxSeq(outboxSeq);
    return store;
  }
}
