/**
 * The SQL schema of the store and its migrations: the same logical schema on SQLite and PostgreSQL (TEXT,
 * BIGINT and INTEGER columns only; numbers that may exceed 64 bits and structured values are TEXT in the SDK's
 * JSON encoding). Migrations are numbered and applied in order at open, in one transaction with the writer's
 * fencing token; a database whose version is above `SCHEMA_VERSION` is refused (SchemaVersionError). Table
 * of the schema: docs/STORES.md.
 */
import { SchemaVersionError, StoreCorruptError, StoreError, SwitchyardError } from "../../protocol/errors.js";
import type { SqlDriver } from "./driver.js";

/** Marks a Switchyard store in `sy_meta` (key `application`). */
export const APPLICATION = "switchyard";

export interface Migration {
  version: number;
  statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE sy_channels (
        channel TEXT PRIMARY KEY, me TEXT NOT NULL, setup TEXT NOT NULL, nonce TEXT NOT NULL, state TEXT NOT NULL,
        latest TEXT, next_withdraw_nonce TEXT NOT NULL, final TEXT, closed INTEGER NOT NULL, pending TEXT)`,
      `CREATE TABLE sy_transfers (
        channel TEXT NOT NULL REFERENCES sy_channels (channel), transfer_id TEXT NOT NULL, position BIGINT NOT NULL,
        transfer TEXT NOT NULL, PRIMARY KEY (channel, transfer_id))`,
      `CREATE TABLE sy_withdrawals (
        channel TEXT NOT NULL REFERENCES sy_channels (channel), position BIGINT NOT NULL, signed TEXT NOT NULL,
        PRIMARY KEY (channel, position))`,
      `CREATE TABLE sy_resolutions (
        channel TEXT NOT NULL REFERENCES sy_channels (channel), transfer_id TEXT NOT NULL, resolver_data TEXT NOT NULL,
        PRIMARY KEY (channel, transfer_id))`,
      `CREATE TABLE sy_updates (
        channel TEXT NOT NULL REFERENCES sy_channels (channel), nonce TEXT NOT NULL, cosigned TEXT NOT NULL,
        PRIMARY KEY (channel, nonce))`,
      `CREATE TABLE sy_payments (
        lock_hash TEXT PRIMARY KEY, status TEXT NOT NULL, upstream_peer TEXT NOT NULL, upstream_transfer_id TEXT NOT NULL,
        downstream_peer TEXT, downstream_transfer_id TEXT, body TEXT NOT NULL, updated_at BIGINT NOT NULL,
        version BIGINT NOT NULL)`,
      `CREATE INDEX ix_payments_status ON sy_payments (status)`,
      `CREATE INDEX ix_payments_downstream ON sy_payments (downstream_transfer_id)`,
      `CREATE TABLE sy_preimages (
        lock_hash TEXT PRIMARY KEY, resolver_data TEXT NOT NULL, source TEXT NOT NULL, learned_at BIGINT NOT NULL)`,
      `CREATE TABLE sy_chain_txs (
        id TEXT PRIMARY KEY, sender TEXT NOT NULL, nonce BIGINT, status TEXT NOT NULL, body TEXT NOT NULL,
        created_at BIGINT NOT NULL, version BIGINT NOT NULL, UNIQUE (sender, nonce))`,
      `CREATE INDEX ix_chain_txs_status ON sy_chain_txs (status)`,
      `CREATE TABLE sy_outbox (
        id TEXT PRIMARY KEY, seq BIGINT NOT NULL UNIQUE, recipient TEXT NOT NULL, channel TEXT, body TEXT NOT NULL,
        created_at BIGINT NOT NULL)`,
      `CREATE INDEX ix_outbox_recipient ON sy_outbox (recipient, seq)`,
    ],
  },
];

/** The newest schema this SDK knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/**
 * Checks the database is empty or a Switchyard store this SDK can run against, then (inside the writer's
 * transaction, which the caller has begun) creates or migrates the schema. Returns the new fencing token.
 */
export async function migrate(driver: SqlDriver): Promise<number> {
  const tables = await driver.tables();
  const where = driver.location;
  let version = 0;
  if (tables.length > 0) {
    if (!tables.includes("sy_meta")) {
      throw new StoreCorruptError(
        where,
        `not a Switchyard store: it holds other tables (${tables.slice(0, 5).join(", ")})`,
      );
    }
    const meta = new Map(
      (await driver.all("SELECT key, value FROM sy_meta")).map((r) => [String(r.key), String(r.value)]),
    );
    if (meta.get("application") !== APPLICATION) {
      throw new StoreCorruptError(
        where,
        `not a Switchyard store: its application is ${meta.get("application") ?? "unset"}`,
      );
    }
    version = Number(meta.get("schema_version"));
    if (!Number.isSafeInteger(version) || version < 1)
      throw new StoreCorruptError(where, `unreadable schema version ${meta.get("schema_version")}`);
    if (version > SCHEMA_VERSION) throw new SchemaVersionError(where, version, SCHEMA_VERSION);
  } else {
    await driver.run("CREATE TABLE sy_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    await driver.run(
      "INSERT INTO sy_meta (key, value) VALUES ('application', $1), ('schema_version', '0'), ('writer_epoch', '0')",
      [APPLICATION],
    );
  }
  for (const m of MIGRATIONS) {
    if (m.version <= version) continue;
    for (const statement of m.statements) await driver.run(statement);
    await driver.run("UPDATE sy_meta SET value = $1 WHERE key = 'schema_version'", [String(m.version)]);
  }
  const [row] = await driver.all("SELECT value FROM sy_meta WHERE key = 'writer_epoch'");
  const epoch = Number(row?.value ?? 0) + 1;
  await driver.run("UPDATE sy_meta SET value = $1 WHERE key = 'writer_epoch'", [String(epoch)]);
  return epoch;
}

/**
 * What a SqlStore does at open (SqlStore.prepare): migrates (or creates) the schema and takes the writer's
 * fencing token in one transaction (`shared`: several node processes, one migrating at a time), then reads the
 * outbox's last position. Closes the driver on failure.
 */
export async function prepareSchema(driver: SqlDriver, shared = false): Promise<{ epoch: number; outboxSeq: number }> {
  try {
    await driver.begin();
    try {
      if (shared) await driver.run("SELECT pg_advisory_xact_lock(hashtext('switchyard-migrate'))"); // one migrates at a time
      const epoch = await migrate(driver);
      await driver.run("COMMIT");
      const [row] = await driver.read("SELECT MAX(seq) AS seq FROM sy_outbox");
      return { epoch, outboxSeq: Number(row?.seq ?? 0) };
    } catch (error) {
      await driver.run("ROLLBACK").catch(() => undefined);
      throw error;
    }
  } catch (error) {
    await driver.close().catch(() => undefined);
    throw error instanceof SwitchyardError
      ? error
      : (driver.classify(error) ?? new StoreError(`${driver.location}: ${String(error)}`));
  }
}
