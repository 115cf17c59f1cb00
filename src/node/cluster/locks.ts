/**
 * Per-channel locks across node processes: a session-level PostgreSQL advisory lock per channel
 * (`pg_advisory_lock(hashtextextended('switchyard-channel:<address>', 0))`) on a pooled connection held for the
 * exchange. The database decides who holds a channel; a process that dies loses its connections and so its
 * locks. Inside one process the waiters of one channel queue in memory first, so each process asks the database
 * for a channel once at a time. The lock is a mutual exclusion for work, not the safety rule: every write the
 * holder makes is still a compare-and-set on the channel's row (docs/PROTOCOL.md §16 "Several node processes").
 */
import type { Pool, PoolClient } from "pg";

import { checksum } from "../../protocol/address.js";

const KEY = "SELECT hashtextextended($1, 0) AS k";

export class ChannelLocks {
  /** The tail of each channel's in-process queue. */
  private readonly tails = new Map<string, Promise<void>>();
  /** Channels whose database lock this process holds now. */
  private readonly held = new Set<string>();

  constructor(private readonly pool: Pool) {}

  /** Whether this process holds `channel`'s lock now. */
  holds(channel: string): boolean {
    return this.held.has(checksum(channel));
  }

  /** Resolves once this process's queue for `channel` (the exchange holding it now, and those queued behind) is done. */
  async drained(channel: string): Promise<void> {
    const key = checksum(channel);
    for (let tail = this.tails.get(key); tail !== undefined; tail = this.tails.get(key)) await tail;
  }

  /**
   * Runs `task` under `channel`'s lock and resolves with its result; the lock is kept until `linger(result)`
   * settles as well (a signed intent waits for its acknowledgement under it).
   */
  hold<T>(channel: string, task: () => Promise<T>, linger?: (result: T) => Promise<void>): Promise<T> {
    const key = checksum(channel);
    const before = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = before.then(() => mine);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return before.then(async () => {
      let client: PoolClient | undefined;
      try {
        client = await this.pool.connect();
        await client.query(`SELECT pg_advisory_lock((${KEY}))`, [lockName(key)]);
      } catch (error) {
        client?.release(true);
        release();
        throw error;
      }
      this.held.add(key);
      const unlock = (): void => {
        this.held.delete(key);
        const c = client as PoolClient;
        void c.query(`SELECT pg_advisory_unlock((${KEY}))`, [lockName(key)]).then(
          () => c.release(),
          () => c.release(true), // a broken connection has lost its locks with it
        );
        release();
      };
      let result: T;
      try {
        result = await task();
      } catch (error) {
        unlock();
        throw error;
      }
      if (linger === undefined) unlock();
      else void linger(result).then(unlock, unlock);
      return result;
    });
  }

  /**
   * Runs `task` under `channel`'s lock if nobody (here or in another process) holds or waits for it now;
   * otherwise resolves `{busy: true}` at once.
   */
  async tryHold<T>(channel: string, task: () => Promise<T>): Promise<{ busy: true } | { busy: false; result: T }> {
    const key = checksum(channel);
    if (this.tails.has(key)) return { busy: true };
    let release!: () => void;
    const tail = new Promise<void>((resolve) => (release = resolve));
    this.tails.set(key, tail);
    let client: PoolClient | undefined;
    try {
      client = await this.pool.connect();
      const rows = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock((${KEY})) AS locked`, [
        lockName(key),
      ]);
      if (rows.rows[0]?.locked !== true) return { busy: true };
      this.held.add(key);
      try {
        return { busy: false, result: await task() };
      } finally {
        this.held.delete(key);
        await client.query(`SELECT pg_advisory_unlock((${KEY}))`, [lockName(key)]).catch(() => undefined);
      }
    } finally {
      client?.release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
      release();
    }
  }
}

function lockName(channel: string): string {
  return `switchyard-channel:${channel}`;
}
