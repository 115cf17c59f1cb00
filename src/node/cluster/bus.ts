/**
 * Messages between the node processes of a cluster: PostgreSQL `LISTEN/NOTIFY` on one channel per schema. A
 * message names its sender and, when it is for one process, its recipient; a body larger than a NOTIFY payload
 * may carry (8000 bytes) is stored in `sy_cluster_messages` and the notification carries its id. Delivery is at
 * most once (a process that is not listening misses it): every use of the bus has a fallback that reads the
 * database (an acknowledgement nobody took is retried under the channel's lock; a push a client missed is
 * re-delivered at its next login or sync).
 */
import type { Client, Notification, Pool } from "pg";
import type { Logger } from "pino";

import { decodeJson, encodeJson } from "../../protocol/record.js";
import { clusterTables } from "./schema.js";

/** What travels on the bus. */
export type ClusterMessage =
  /** A notification for a client's sockets on the recipient process. */
  | { kind: "push"; from: string; to: string; client: string; method: string; params: unknown }
  /** A client's acknowledgement that arrived on `from` while another process holds the channel. */
  | { kind: "ack"; from: string; id: string; client: string; ack: unknown }
  /** A request only the leader serves (just-in-time collateral: the chain work is the leader's). */
  | { kind: "call"; from: string; id: string; name: string; args: unknown }
  /** The answer to an `ack` (taken and stored by the sender of this reply) or a `call`, or its error. */
  | { kind: "reply"; from: string; to: string; id: string; result?: unknown; error?: { code: string; message: string } };

const PAYLOAD_LIMIT = 7_000;

export interface ClusterBusOptions {
  pool: Pool;
  schema: string;
  id: string;
  logger: Logger;
  /** Called for every message for this process (or for all) from another process. */
  onMessage(message: ClusterMessage): void;
}

export class ClusterBus {
  private listener: Client | undefined;
  private stopped = false;
  private readonly channel: string;
  private readonly messages: string;

  constructor(private readonly options: ClusterBusOptions) {
    this.channel = `switchyard_cluster_${options.schema}`;
    this.messages = clusterTables(options.schema).messages;
  }

  /** Connects the listening session (again after it broke, every 500 ms until it succeeds). */
  async start(): Promise<void> {
    const client = await this.options.pool.connect();
    // A dedicated session: released from the pool's accounting (it stays LISTENing until stop).
    const raw = client as unknown as Client;
    raw.on("notification", (n: Notification) => void this.received(n.payload ?? ""));
    raw.on("error", () => this.restart(client));
    raw.on("end", () => this.restart(client));
    await client.query(`LISTEN ${this.channel}`);
    this.listener = raw;
    this.heldClient = client;
  }

  private heldClient: { release(destroy?: boolean): void } | undefined;

  private restart(client: { release(destroy?: boolean): void }): void {
    if (this.heldClient !== client) return;
    this.heldClient = undefined;
    this.listener = undefined;
    client.release(true);
    if (this.stopped) return;
    this.options.logger.warn("cluster bus: the listening session broke, reconnecting");
    const retry = (): void => {
      if (this.stopped) return;
      this.start().catch(() => setTimeout(retry, 500).unref());
    };
    setTimeout(retry, 100).unref();
  }

  /** Sends `message` to the other processes. */
  async publish(message: ClusterMessage): Promise<void> {
    let payload = encodeJson(message);
    if (payload.length > PAYLOAD_LIMIT) {
      const rows = await this.options.pool.query<{ id: string }>(
        `INSERT INTO ${this.messages} (body) VALUES ($1) RETURNING id`,
        [payload],
      );
      payload = `@${rows.rows[0]?.id ?? "0"}`;
    }
    await this.options.pool.query("SELECT pg_notify($1, $2)", [this.channel, payload]);
  }

  /** Deletes relayed bodies older than a minute (every process may read one for that long). */
  async prune(): Promise<void> {
    await this.options.pool.query(`DELETE FROM ${this.messages} WHERE created_at < now() - interval '1 minute'`);
  }

  private async received(payload: string): Promise<void> {
    try {
      let text = payload;
      if (payload.startsWith("@")) {
        const rows = await this.options.pool.query<{ body: string }>(`SELECT body FROM ${this.messages} WHERE id = $1`, [
          payload.slice(1),
        ]);
        const body = rows.rows[0]?.body;
        if (body === undefined) return;
        text = body;
      }
      const message = decodeJson<ClusterMessage>(text);
      if (message.from === this.options.id) return;
      if ("to" in message && message.to !== this.options.id) return;
      this.options.onMessage(message);
    } catch (error) {
      this.options.logger.error({ err: error }, "cluster bus: a message could not be read");
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const client = this.heldClient;
    this.heldClient = undefined;
    if (client === undefined) return;
    await this.listener?.query(`UNLISTEN ${this.channel}`).catch(() => undefined);
    this.listener = undefined;
    client.release(true);
  }
}
