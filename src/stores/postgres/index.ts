/**
 * `PostgresStore`: the SwitchyardStore on PostgreSQL, through `pg` (a connection pool; `DATABASE_URL`-style
 * configuration) or, with the same SQL, on PGlite (`@electric-sql/pglite`: PostgreSQL in WebAssembly,
 * in-process, which the conformance suite uses on every machine). Both are optional peer dependencies: `pg` is
 * imported lazily by `open`, and a PGlite instance is passed in by the caller.
 *
 * Each party (or node) has its own schema (default "switchyard"). Single writer: `open` takes a session-level
 * advisory lock for the schema on the writer's own connection (a second open fails with StoreLockedError at
 * once) and bumps the fencing token; every group commit locks the token's row (FOR UPDATE) and checks it, so a
 * writer whose lock was lost with its connection can never commit after another took over. Transactions run at
 * READ COMMITTED: every write is a compare-and-set on the row it changes (the channel's nonce, a version),
 * which READ COMMITTED re-checks on the newest row version, and writers are serialized on the token's row, so
 * no stronger isolation is needed (docs/STORES.md).
 */
import type { Pool, PoolClient, PoolConfig } from "pg";

import { StoreError, StoreLockedError, StoreUnavailableError, SwitchyardError } from "../../protocol/errors.js";
import type { CommitPointHook } from "../store.js";
import type { SqlDriver, SqlRow, SqlValue } from "../sql/driver.js";
import { SqlStore } from "../sql/store.js";

export interface PostgresStoreOptions {
  /** A connection URL (postgres://user:password@host:port/db). Default: the DATABASE_URL environment variable. */
  url?: string;
  /** An existing pool to use instead of `url` (the store does not end it). */
  pool?: Pool;
  /** Extra pool settings (max connections, timeouts...) when the store makes the pool. */
  poolConfig?: Omit<PoolConfig, "connectionString">;
  /** The schema holding this store's tables (default "switchyard"): one per party. */
  schema?: string;
  /** Crash-test hook (see CommitPoint). */
  onCommitPoint?: CommitPointHook;
  /**
   * Several node processes (one node key) write this schema at once (docs/NODE.md "Running N processes"): each
   * holds the schema's advisory lock in shared mode (an exclusive writer is refused while one does, and the other
   * way round), no writer token is checked, and every write is a compare-and-set on the rows it changes.
   */
  shared?: boolean;
}

/** What the store uses of a PGlite instance (so this module does not import PGlite). */
export interface PgliteLike {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number }>;
  close(): Promise<void>;
  readonly closed: boolean;
}

export interface PgliteStoreOptions {
  schema?: string;
  onCommitPoint?: CommitPointHook;
}

interface Session {
  query(sql: string, params: readonly SqlValue[]): Promise<{ rows: SqlRow[]; count: number }>;
}

/** SQLSTATE classes and codes that mean the server or the connection went away (nothing was committed by us). */
const UNAVAILABLE_STATES = /^(08|53|57P0|58)/;
const UNAVAILABLE_MESSAGES = /terminat|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|Connection|closed|timeout/i;

function schemaName(schema: string | undefined): string {
  const name = schema ?? "switchyard";
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name))
    throw new StoreError(`schema name ${name} must be lowercase letters, digits and _`);
  return name;
}

/** The URL with its password masked, to name the store in errors. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "***";
    return u.toString();
  } catch {
    return "postgres (unparsable URL)";
  }
}

abstract class PgDriverBase implements SqlDriver {
  readonly dialect = "postgres";
  readonly binaryCollation = 'COLLATE "C"';
  abstract readonly singleSession: boolean;
  private readonly texts = new Map<string, string>();

  constructor(
    readonly location: string,
    protected readonly schema: string,
  ) {}

  /** Qualifies the store's tables with the schema. */
  protected text(sql: string): string {
    let text = this.texts.get(sql);
    if (text === undefined) {
      text = sql.replace(/(?<![\w".])sy_/g, `"${this.schema}".sy_`);
      this.texts.set(sql, text);
    }
    return text;
  }

  protected abstract writer(): Promise<Session>;
  protected abstract reader(): Session;
  /** Drops the writer's connection after a failure (the next transaction gets a new one). */
  protected abstract dropWriter(): void;

  private async onWriter<T>(task: (session: Session) => Promise<T>): Promise<T> {
    try {
      return await task(await this.writer());
    } catch (error) {
      if (this.classify(error) instanceof StoreUnavailableError) this.dropWriter();
      throw error;
    }
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.onWriter(async (s) => (await s.query(this.text(sql), params)).count);
  }

  all(sql: string, params: readonly SqlValue[] = []): Promise<SqlRow[]> {
    return this.onWriter(async (s) => (await s.query(this.text(sql), params)).rows);
  }

  async read(sql: string, params: readonly SqlValue[] = []): Promise<SqlRow[]> {
    return (await this.reader().query(this.text(sql), params)).rows;
  }

  /** On a pool: one REPEATABLE READ transaction on one connection (else each read could see another commit). */
  async readAll(queries: ReadonlyArray<readonly [string, readonly SqlValue[]]>): Promise<SqlRow[][]> {
    return this.snapshot(async (session) => {
      const rows: SqlRow[][] = [];
      for (const [sql, params] of queries) rows.push((await session.query(this.text(sql), params)).rows);
      return rows;
    });
  }

  /** Runs `task` on a session that sees one snapshot (PGlite's one session between commits is one). */
  protected snapshot<T>(task: (session: Session) => Promise<T>): Promise<T> {
    return task(this.reader());
  }

  async begin(): Promise<void> {
    await this.run("BEGIN ISOLATION LEVEL READ COMMITTED");
  }

  async tables(): Promise<string[]> {
    const rows = await this.all(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
      [this.schema],
    );
    return rows.map((r) => String(r.table_name));
  }

  classify(error: unknown): Error | undefined {
    if (error instanceof SwitchyardError) return error;
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    const text = typeof message === "string" ? message : String(error);
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) {
      if (UNAVAILABLE_STATES.test(code)) return new StoreUnavailableError(this.location, `${text} (SQLSTATE ${code})`);
      return new StoreError(`${this.location}: ${text} (SQLSTATE ${code})`);
    }
    if (UNAVAILABLE_MESSAGES.test(text) || typeof code === "string")
      return new StoreUnavailableError(this.location, text);
    return undefined;
  }

  abstract close(): Promise<void>;
}

/** `pg`: the writer holds one pooled connection (with the advisory lock); reads use the rest of the pool. */
class PgPoolDriver extends PgDriverBase {
  readonly singleSession = false;
  private client: PoolClient | undefined;

  constructor(
    location: string,
    schema: string,
    private readonly pool: Pool,
    private readonly ownsPool: boolean,
    private readonly shared = false,
  ) {
    super(location, schema);
  }

  /** Connects the writer and takes the schema's advisory lock on it (StoreLockedError when another holds it). */
  async connectWriter(): Promise<void> {
    const client = await this.pool.connect();
    // A broken idle connection must not crash the process; only the current writer is dropped for it.
    client.on("error", () => {
      if (this.client === client) this.dropWriter();
    });
    let locked: boolean | undefined;
    try {
      const lock = this.shared ? "pg_try_advisory_lock_shared" : "pg_try_advisory_lock";
      const result = await client.query<{ locked: boolean }>(`SELECT ${lock}(hashtext($1)) AS locked`, [
        `switchyard:${this.schema}`,
      ]);
      locked = result.rows[0]?.locked;
    } catch (error) {
      client.release(true); // never leave a checked-out client behind (pool.end() would wait for it)
      throw error;
    }
    if (locked !== true) {
      client.release();
      throw new StoreLockedError(
        this.location,
        this.shared
          ? `a single writer holds schema ${this.schema} (advisory lock): no shared writer may join it`
          : `another process holds schema ${this.schema} (advisory lock); one writer per party`,
      );
    }
    this.client = client;
  }

  protected async writer(): Promise<Session> {
    if (this.client === undefined) {
      try {
        await this.connectWriter();
      } catch (error) {
        // Whatever stops the writer from (re)connecting, but another writer's lock, means the database is unreachable.
        if (error instanceof StoreLockedError) throw error;
        throw new StoreUnavailableError(
          this.location,
          `cannot connect the writer: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    return sessionOf(this.client as PoolClient);
  }

  protected reader(): Session {
    return sessionOf(this.pool);
  }

  protected override async snapshot<T>(task: (session: Session) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const result = await task(sessionOf(client));
      await client.query("COMMIT");
      return result;
    } catch (error) {
      broken = await client.query("ROLLBACK").then(
        () => false,
        () => true,
      );
      throw error;
    } finally {
      client.release(broken);
    }
  }

  protected dropWriter(): void {
    const client = this.client;
    this.client = undefined;
    client?.release(true);
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) {
      const unlocked = await client.query("SELECT pg_advisory_unlock_all()").then(
        () => true,
        () => false,
      );
      client.release(!unlocked); // a client that failed is destroyed, not returned to the pool
    }
    if (this.ownsPool) {
      // Bounded: a client checked out elsewhere must not keep close() waiting forever.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, 5_000)));
      await Promise.race([this.pool.end().catch(() => undefined), limit]);
      clearTimeout(timer);
    }
  }
}

function sessionOf(db: Pool | PoolClient): Session {
  return {
    query: async (sql, params) => {
      const r = await db.query(sql, params as SqlValue[]);
      return { rows: r.rows as SqlRow[], count: r.rowCount ?? 0 };
    },
  };
}

/** PGlite: one in-process session for writes and reads (reads wait for the group commit in progress). */
class PgliteDriver extends PgDriverBase {
  readonly singleSession = true;
  private readonly session: Session;

  constructor(
    private readonly db: PgliteLike,
    schema: string,
  ) {
    super("pglite", schema);
    this.session = {
      query: async (sql, params) => {
        if (db.closed) throw new StoreUnavailableError(this.location, "the PGlite instance is closed");
        const r = await db.query<SqlRow>(sql, [...params]);
        return { rows: r.rows, count: r.affectedRows ?? 0 };
      },
    };
  }

  protected async writer(): Promise<Session> {
    return this.session;
  }

  protected reader(): Session {
    return this.session;
  }

  protected dropWriter(): void {}

  async close(): Promise<void> {
    // The caller owns the PGlite instance; the store only releases its schema.
    if (!this.db.closed) await this.db.query("SELECT pg_advisory_unlock_all()").catch(() => undefined);
  }
}

export class PostgresStore extends SqlStore {
  /** Opens (creating the schema if needed) the store on a PostgreSQL server. */
  static async open(options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const schema = schemaName(options.schema);
    let pool = options.pool;
    let location = "postgres (given pool)";
    if (pool === undefined) {
      const url = options.url ?? process.env.DATABASE_URL;
      if (url === undefined || url === "")
        throw new StoreError("PostgresStore needs a url (or DATABASE_URL) or a pool");
      location = redact(url);
      const pg = await import("pg");
      const PoolClass = (pg.default ?? pg).Pool;
      pool = new PoolClass({ ...options.poolConfig, connectionString: url });
      pool.on("error", () => undefined); // idle clients that break are replaced; the writer handles its own
    }
    const shared = options.shared === true;
    const driver = new PgPoolDriver(`${location}#${schema}`, schema, pool, options.pool === undefined, shared);
    try {
      await driver.run(`CREATE SCHEMA IF NOT EXISTS "${schema}"`); // connects the writer (and takes the lock) first
    } catch (error) {
      await driver.close().catch(() => undefined);
      throw driver.classify(error) ?? error;
    }
    const { epoch, outboxSeq } = await SqlStore.prepare(driver, shared);
    const store = new PostgresStore(driver, shared ? "shared" : epoch, options.onCommitPoint);
    store.evicts = shared;
    store.setOutboxSeq(outboxSeq);
    return store;
  }

  /** Opens the store on a PGlite instance (the caller creates and closes it). */
  static async openPglite(db: PgliteLike, options: PgliteStoreOptions = {}): Promise<PostgresStore> {
    const schema = schemaName(options.schema);
    const driver = new PgliteDriver(db, schema);
    try {
      await driver.run(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    } catch (error) {
      throw driver.classify(error) ?? error;
    }
    const { epoch, outboxSeq } = await SqlStore.prepare(driver);
    const store = new PostgresStore(driver, epoch, options.onCommitPoint);
    store.setOutboxSeq(outboxSeq);
    return store;
  }
}
