/**
 * The cluster's own tables, beside the store's in the node's schema: the processes alive (a lease renewed by a
 * heartbeat), which process holds a socket of which client (presence), and the relay of messages too large for
 * a NOTIFY payload. Created if absent when a process joins (idempotent, under the migration lock).
 */
import type { Pool } from "pg";

export function clusterTables(schema: string): { processes: string; sessions: string; messages: string } {
  return {
    processes: `"${schema}".sy_cluster_processes`,
    sessions: `"${schema}".sy_cluster_sessions`,
    messages: `"${schema}".sy_cluster_messages`,
  };
}

export async function createClusterTables(pool: Pool, schema: string): Promise<void> {
  const t = clusterTables(schema);
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext('switchyard-migrate'))");
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${t.processes} (id TEXT PRIMARY KEY, started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
       heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
    );
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${t.sessions} (client TEXT NOT NULL, process TEXT NOT NULL, sockets INTEGER NOT NULL,
       PRIMARY KEY (client, process))`,
    );
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${t.messages} (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL,
       created_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
    );
    // The routing Node of each process re-reads the payments that cross a channel before each exchange on it.
    await client.query(`CREATE INDEX IF NOT EXISTS ix_payments_upstream_peer ON "${schema}".sy_payments (upstream_peer)`);
    await client.query(
      `CREATE INDEX IF NOT EXISTS ix_payments_downstream_peer ON "${schema}".sy_payments (downstream_peer)`,
    );
    // The open payments (read by every exchange and tick) stay a small index as the table grows.
    await client.query(
      `CREATE INDEX IF NOT EXISTS ix_payments_open ON "${schema}".sy_payments (lock_hash) WHERE status NOT IN ('completed', 'refunded')`,
    );
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
