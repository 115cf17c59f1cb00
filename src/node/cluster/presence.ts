/**
 * Which process holds a socket of which client, in the database: every process has a row in
 * `sy_cluster_processes` renewed by a heartbeat (every lease / 3); a process whose heartbeat is older than the
 * lease is dead, and the next heartbeat of any other process deletes it and its presence rows. A push for a
 * client goes to the processes that hold one of its sockets.
 */
import type { Pool } from "pg";
import type { Logger } from "pino";

import { checksum } from "../../protocol/address.js";
import { clusterTables } from "./schema.js";

export class Presence {
  private readonly local = new Map<string, number>();
  /**
   * The local time (ms) just before the last heartbeat found no other process alive (after removing the dead
   * ones), or undefined while one is: whatever another process was doing before then, it does no more.
   */
  private alone: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly t: ReturnType<typeof clusterTables>;

  constructor(
    private readonly pool: Pool,
    schema: string,
    readonly id: string,
    private readonly leaseMs: number,
    private readonly logger: Logger,
    private readonly onBeat?: () => Promise<void>,
  ) {
    this.t = clusterTables(schema);
  }

  async join(): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.t.processes} (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()`,
      [this.id],
    );
    this.timer = setInterval(() => void this.beat(), Math.max(100, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
  }

  /** Renews this process's lease (rejoins with its sockets if it was taken for dead) and removes dead processes. */
  async beat(): Promise<void> {
    try {
      const before = Date.now();
      const renewed = await this.pool.query(`UPDATE ${this.t.processes} SET heartbeat_at = now() WHERE id = $1`, [this.id]);
      if (renewed.rowCount === 0) {
        this.logger.warn({ process: this.id }, "cluster: this process was taken for dead; rejoining");
        await this.pool.query(`INSERT INTO ${this.t.processes} (id) VALUES ($1) ON CONFLICT (id) DO NOTHING`, [this.id]);
        for (const [client, sockets] of this.local) await this.write(client, sockets);
      }
      const dead = await this.pool.query<{ id: string }>(
        `DELETE FROM ${this.t.processes} WHERE heartbeat_at < now() - make_interval(secs => $1) RETURNING id`,
        [this.leaseMs / 1000],
      );
      if (dead.rows.length > 0) {
        const ids = dead.rows.map((r) => r.id);
        await this.pool.query(`DELETE FROM ${this.t.sessions} WHERE process = ANY($1)`, [ids]);
        this.logger.warn({ processes: ids }, "cluster: processes without a heartbeat removed with their sessions");
      }
      const others = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.t.processes} WHERE id <> $1`, [this.id]);
      this.alone = Number(others.rows[0]?.n ?? 1) === 0 ? before : undefined;
      await this.onBeat?.();
    } catch (error) {
      this.logger.warn({ err: error }, "cluster: heartbeat failed");
    }
  }

  /**
   * When this process was last found the only one alive (local ms, taken before the heartbeat's reads), or
   * undefined if another one was alive then (or no heartbeat has run yet).
   */
  aloneSince(): number | undefined {
    return this.alone;
  }

  /** Records that a socket of `client` logged in ("add") or closed ("remove") here; a failure is logged. */
  note(client: string, change: "add" | "remove"): void {
    (change === "add" ? this.add(client) : this.remove(client)).catch((error: unknown) =>
      this.logger.warn({ err: error, client }, "cluster: presence not recorded"),
    );
  }

  /** A socket of `client` logged in here. */
  async add(client: string): Promise<void> {
    const key = checksum(client);
    const n = (this.local.get(key) ?? 0) + 1;
    this.local.set(key, n);
    await this.write(key, n);
  }

  /** A socket of `client` closed here. */
  async remove(client: string): Promise<void> {
    const key = checksum(client);
    const n = (this.local.get(key) ?? 1) - 1;
    if (n > 0) this.local.set(key, n);
    else this.local.delete(key);
    await this.write(key, n);
  }

  private async write(client: string, sockets: number): Promise<void> {
    if (sockets > 0) {
      await this.pool.query(
        `INSERT INTO ${this.t.sessions} (client, process, sockets) VALUES ($1, $2, $3)
         ON CONFLICT (client, process) DO UPDATE SET sockets = EXCLUDED.sockets`,
        [client, this.id, sockets],
      );
    } else {
      await this.pool.query(`DELETE FROM ${this.t.sessions} WHERE client = $1 AND process = $2`, [client, this.id]);
    }
  }

  /** The other live processes holding a socket of `client`. */
  async elsewhere(client: string): Promise<string[]> {
    const rows = await this.pool.query<{ process: string }>(
      `SELECT s.process FROM ${this.t.sessions} s JOIN ${this.t.processes} p ON p.id = s.process
       WHERE s.client = $1 AND s.process <> $2`,
      [checksum(client), this.id],
    );
    return rows.rows.map((r) => r.process);
  }

  /** Leaves the cluster: this process's rows are deleted. */
  async leave(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.pool.query(`DELETE FROM ${this.t.sessions} WHERE process = $1`, [this.id]).catch(() => undefined);
    await this.pool.query(`DELETE FROM ${this.t.processes} WHERE id = $1`, [this.id]).catch(() => undefined);
  }
}
