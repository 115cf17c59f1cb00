/**
 * One leader per cluster: the process holding the session-level advisory lock
 * `hashtext('switchyard-leader:<schema>')` on its own connection. Only the leader runs the node's chain work
 * (the transaction service with the node key's one nonce sequence, collateral, the watchers) and the routing
 * ticks (refunds and claims of payments that stalled). The lock is lost with the leader's connection (its
 * process died, or the database dropped the session): a follower polls for it every `pollMs` and takes over.
 * A leader whose session broke stops its process (`onLost`): it cannot know whether another took over.
 */
import type { Pool, PoolClient } from "pg";
import type { Logger } from "pino";

export class LeaderElection {
  private client: PoolClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  /** Leading, and `onElected` (the chain services) done: what the leader serves is ready here. */
  private ready = false;
  private stopped = false;

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly pollMs: number,
    private readonly logger: Logger,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  /** This process leads and its elected work (`onElected`) has started. */
  get isReady(): boolean {
    return this.leading && this.ready;
  }

  /** Polls for the lock; `onElected` runs once it is taken, `onLost` if the lock's session breaks afterwards. */
  start(onElected: () => Promise<void>, onLost: (error: Error) => void): void {
    const attempt = async (): Promise<void> => {
      if (this.stopped || this.leading) return;
      let client: PoolClient | undefined;
      try {
        client = await this.pool.connect();
        const rows = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS locked", [
          `switchyard-leader:${this.schema}`,
        ]);
        if (rows.rows[0]?.locked !== true || this.stopped) {
          client.release();
          return;
        }
      } catch (error) {
        client?.release(true);
        this.logger.warn({ err: error }, "cluster: leader election attempt failed");
        return;
      }
      this.client = client;
      this.leading = true;
      client.on("error", (error: Error) => {
        if (this.stopped) return;
        this.leading = false;
        onLost(error);
      });
      this.logger.info({ schema: this.schema }, "cluster: this process is the leader");
      try {
        await onElected();
        this.ready = true;
      } catch (error) {
        onLost(error instanceof Error ? error : new Error(String(error)));
      }
    };
    const loop = (): void => {
      void attempt().finally(() => {
        if (!this.stopped && !this.leading) this.timer = setTimeout(loop, this.pollMs);
      });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    this.leading = false;
    this.ready = false;
    if (client !== undefined) {
      await client.query("SELECT pg_advisory_unlock_all()").catch(() => undefined);
      client.release();
    }
  }
}
