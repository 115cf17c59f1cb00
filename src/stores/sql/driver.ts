/**
 * The small adapter the SQL store (store.ts) runs on: one writer session for the group commits, reads, and
 * what differs between the dialects. Implemented for SQLite (node:sqlite, ../sqlite/) and for PostgreSQL
 * (`pg` and PGlite, ../postgres/). SQL is written once, PostgreSQL-style (`$1` placeholders, table names with
 * the `sy_` prefix); a driver rewrites what its database needs.
 */

/** One row as the database returns it (integers may come back as numbers or strings). */
export type SqlRow = Record<string, unknown>;

/** A value bound to a placeholder. */
export type SqlValue = string | number | null;

export interface SqlDriver {
  readonly dialect: "sqlite" | "postgres";
  /** Names the database in errors (a path, a URL without its password, "pglite"). */
  readonly location: string;
  /** True when reads share the writer's session (they must then wait for a group commit to finish). */
  readonly singleSession: boolean;
  /** The clause that orders text byte-wise (`COLLATE BINARY` on SQLite, `COLLATE "C"` on PostgreSQL). */
  readonly binaryCollation: string;
  /** A statement on the writer session; returns the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** A query on the writer session (inside its transaction, if one is open). */
  all(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]>;
  /** A query outside the writer's transaction (another pooled session, or the same one between commits). */
  read(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]>;
  /**
   * A query on the writer session that need not wait for the group commit in progress, only where that is safe:
   * each statement runs whole and synchronously, so it falls between two statements of the writer's transaction
   * (and sees its rows, uncommitted ones too) or after its COMMIT (the committed rows, before the sync made them
   * durable). SQLite (node:sqlite) only. Absent on PGlite, whose statements are asynchronous: one issued inside the
   * transaction could find it aborted by a refused unit's failing statement (and fail); a pool needs none (its
   * `read` never waits). For SqlStore.hasPayment, whose answer may be true for a row not yet durable.
   */
  readDuringCommit?(sql: string, params: readonly SqlValue[]): Promise<SqlRow[]>;
  /** Several reads that see one snapshot of the database (another writer's commit lands before or after all of them). */
  readAll(queries: ReadonlyArray<readonly [sql: string, params: readonly SqlValue[]]>): Promise<SqlRow[][]>;
  /** Starts the writer's transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: BEGIN, READ COMMITTED). */
  begin(): Promise<void>;
  /**
   * Makes the last COMMIT durable, when COMMIT itself is not (SQLite: its WAL fsynced off the event loop). The
   * store acknowledges a group commit's units only after this resolves; absent when COMMIT is durable itself.
   */
  sync?(): Promise<void>;
  /** The names of the tables of the store's schema (or the file, for SQLite), to tell a foreign database. */
  tables(): Promise<string[]>;
  /** Turns a driver failure into a typed store error, or returns undefined when it is none of its kinds. */
  classify(error: unknown): Error | undefined;
  close(): Promise<void>;
}
