/**
 * Cluster mode: N node processes with one node key serve the same clients from one PostgreSQL database
 * (docs/NODE.md "Running N processes", docs/PROTOCOL.md §16). This module ties its parts together:
 * - `ChannelLocks` (locks.ts): a channel's exchanges run under its database lock, each re-reading the channel
 *   (and the payments that cross it) from the database first; every write stays a compare-and-set;
 * - `ClusterBus` (bus.ts): pushes to a client whose socket is on another process, and acknowledgements that
 *   arrived on one process for an exchange another process holds;
 * - `Presence` (presence.ts): processes alive and the clients whose sockets each holds, by lease;
 * - `LeaderElection` (leader.ts): the one process that does chain work and routing ticks.
 */
import { randomBytes } from "node:crypto";

import type { Pool } from "pg";
import type { Logger } from "pino";

import { SwitchyardError } from "../../protocol/errors.js";
import { ClusterBus, type ClusterMessage } from "./bus.js";
import { ClusterBusyError, ClusterError, RelayedError } from "./errors.js";
import { LeaderElection } from "./leader.js";
import { ChannelLocks } from "./locks.js";
import { Presence } from "./presence.js";
import { createClusterTables } from "./schema.js";

export { ClusterBusyError, ClusterError, RelayedError } from "./errors.js";
export { ChannelLocks } from "./locks.js";

export interface ClusterSettings {
  /** This process's name in the cluster (default: random); unique among the processes alive. */
  id?: string;
  /** Milliseconds a process stays alive in the others' eyes without a heartbeat (default 5000). */
  leaseMs?: number;
  /** Milliseconds between a follower's attempts to become the leader (default 1000). */
  leaderPollMs?: number;
  /** Milliseconds a relayed acknowledgement waits for the process holding the channel (default 10000). */
  relayTimeoutMs?: number;
}

export interface ClusterOptions extends ClusterSettings {
  url: string;
  schema?: string;
  logger: Logger;
}

/** Where the cluster delivers what arrives for this process. */
export interface ClusterHandlers {
  /** A notification for `client`'s sockets here. */
  push(client: string, method: string, params: unknown): void;
  /**
   * An acknowledgement another process received for `client`: resolves true once this process took and stored
   * it (its link or intent waits for that nonce), false when it is not this process's to take.
   */
  ack(client: string, ack: unknown): Promise<boolean>;
  /** A `call` from another process, answered here only by the leader (undefined: not served here). */
  call?(name: string, args: unknown): Promise<unknown> | undefined;
}

type Reply = Extract<ClusterMessage, { kind: "reply" }>;
/** How often a call waiting for the leader checks whether this process became the leader. */
const LEADER_CHECK_MS = 100;

export class Cluster {
  readonly locks: ChannelLocks;
  readonly presence: Presence;
  readonly leader: LeaderElection;
  private readonly bus: ClusterBus;
  private handlers: ClusterHandlers | undefined;
  private readonly replies = new Map<string, (reply: Reply) => void>();
  private readonly relayTimeoutMs: number;

  private constructor(
    readonly id: string,
    private readonly pools: { locks: Pool; bus: Pool },
    readonly schema: string,
    private readonly options: ClusterOptions,
  ) {
    this.relayTimeoutMs = options.relayTimeoutMs ?? 10_000;
    this.locks = new ChannelLocks(pools.locks);
    this.bus = new ClusterBus({
      pool: pools.bus,
      schema,
      id,
      logger: options.logger,
      onMessage: (m) => this.received(m),
    });
    this.presence = new Presence(pools.bus, schema, id, options.leaseMs ?? 5_000, options.logger, () => this.bus.prune());
    this.leader = new LeaderElection(pools.bus, schema, options.leaderPollMs ?? 1_000, options.logger);
  }

  /** Joins the cluster: its tables, the bus, this process's presence row. */
  static async start(options: ClusterOptions): Promise<Cluster> {
    const schema = options.schema ?? "switchyard";
    const id = options.id ?? `p-${randomBytes(4).toString("hex")}`;
    const pg = await import("pg");
    const PoolClass = (pg.default ?? pg).Pool;
    const locks = new PoolClass({ connectionString: options.url, max: 32 });
    const bus = new PoolClass({ connectionString: options.url, max: 10 });
    for (const pool of [locks, bus]) pool.on("error", () => undefined);
    try {
      await createClusterTables(bus, schema);
      const cluster = new Cluster(id, { locks, bus }, schema, options);
      await cluster.bus.start();
      await cluster.presence.join();
      options.logger.info({ process: id, schema }, "cluster: joined");
      return cluster;
    } catch (error) {
      await Promise.all([locks.end(), bus.end()]).catch(() => undefined);
      throw new ClusterError(`cannot join: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** The pool for the cluster's small queries (presence, payments, the bus). */
  get pool(): Pool {
    return this.pools.bus;
  }

  /** Where pushes and relayed acknowledgements for this process go (the node service). */
  serve(handlers: ClusterHandlers): void {
    this.handlers = handlers;
  }

  /** Sends a notification to `client`'s sockets on the other processes (none holds one: nothing is sent). */
  async push(client: string, method: string, params: unknown): Promise<void> {
    for (const to of await this.presence.elsewhere(client)) {
      await this.bus.publish({ kind: "push", from: this.id, to, client, method, params });
    }
  }

  /** `push`, in the background (a failure is logged: the client gets the proposal again at its next login or sync). */
  relay(client: string, method: string, params: unknown): void {
    this.push(client, method, params).catch((error: unknown) =>
      this.options.logger.warn({ err: error, client }, "cluster: a push was not relayed"),
    );
  }

  /**
   * Stores a client's acknowledgement that this process is not waiting for: under the channel's lock when
   * nobody holds it (`local`, which re-reads the channel first), else handed to the process that holds the
   * channel (which waits for it), retried until `relayTimeoutMs`.
   */
  async acknowledge(client: string, channel: string, ack: unknown, local: () => Promise<void>): Promise<void> {
    const started = Date.now();
    for (let round = 0; ; round++) {
      const tried = await this.locks.tryHold(channel, local);
      if (!tried.busy) return;
      const waitMs = Math.min(1_000 * (round + 1), 3_000);
      if (this.locks.holds(channel)) {
        // This process holds it (and does not wait for this acknowledgement): no other process can take it, so wait
        // for this process's exchange instead of a relay round nobody answers (a ~1 s pause after a failover).
        await Promise.race([this.locks.drained(channel), new Promise((r) => setTimeout(r, waitMs).unref())]);
        if (Date.now() - started > this.relayTimeoutMs) throw new ClusterBusyError(channel, Date.now() - started);
        continue;
      }
      const reply = await this.ask(client, ack, waitMs);
      if (reply !== undefined) {
        if (reply.error !== undefined) throw new RelayedError(reply.error.code, reply.error.message);
        return;
      }
      if (Date.now() - started > this.relayTimeoutMs) throw new ClusterBusyError(channel, Date.now() - started);
    }
  }

  /**
   * Runs `name` on the leader and returns its result; ClusterError when none answers in time. When this process
   * becomes the leader meanwhile (the leader died with the call unanswered: the failover), it runs it here at once
   * instead of waiting out `timeoutMs` for a process that is gone (a routed payment stalled 20 s in the e2e's kill).
   */
  async call(name: string, args: unknown, timeoutMs = 30_000): Promise<unknown> {
    const here = (): Promise<unknown> => {
      const served = this.handlers?.call?.(name, args);
      if (served === undefined) throw new ClusterError(`${name} is not served by this process`);
      return served;
    };
    if (this.leader.isReady) return here();
    let poll: NodeJS.Timeout | undefined;
    const leading = new Promise<void>((resolve) => {
      poll = setInterval(() => this.leader.isReady && resolve(), LEADER_CHECK_MS);
    });
    try {
      const reply = await this.request((id) => ({ kind: "call", from: this.id, id, name, args }), timeoutMs, leading);
      if (reply === undefined && this.leader.isReady) return await here();
      if (reply === undefined) throw new ClusterError(`no leader answered ${name} within ${timeoutMs} ms`);
      if (reply.error !== undefined) throw new RelayedError(reply.error.code, reply.error.message);
      return reply.result;
    } finally {
      clearInterval(poll);
    }
  }

  private ask(client: string, ack: unknown, waitMs: number): Promise<Reply | undefined> {
    return this.request((id) => ({ kind: "ack", from: this.id, id, client, ack }), waitMs);
  }

  /** Publishes a request and waits for its reply: undefined after `waitMs`, or once `abandon` resolves. */
  private async request(message: (id: string) => ClusterMessage, waitMs: number, abandon?: Promise<void>): Promise<Reply | undefined> {
    const id = `${this.id}.${randomBytes(6).toString("hex")}`;
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<Reply | undefined>((resolve) => {
      this.replies.set(id, resolve);
      timer = setTimeout(() => resolve(undefined), waitMs);
      void abandon?.then(() => resolve(undefined));
    });
    try {
      await this.bus.publish(message(id));
      return await answered;
    } finally {
      clearTimeout(timer);
      this.replies.delete(id);
    }
  }

  private received(message: ClusterMessage): void {
    const handlers = this.handlers;
    if (message.kind === "reply") return this.replies.get(message.id)?.(message);
    if (handlers === undefined) return;
    if (message.kind === "push") return handlers.push(message.client, message.method, message.params);
    const reply = (answer: Pick<Reply, "result" | "error">): Promise<void> =>
      this.bus.publish({ kind: "reply", from: this.id, to: message.from, id: message.id, ...answer });
    const failed = (error: unknown): Promise<void> =>
      reply({
        error: {
          code: error instanceof SwitchyardError ? error.code : "INTERNAL_ERROR",
          message: error instanceof Error ? error.message : String(error),
        },
      });
    const answered =
      message.kind === "ack"
        ? handlers.ack(message.client, message.ack).then((taken) => (taken ? reply({}) : undefined), failed)
        : this.leader.isLeader
          ? handlers.call?.(message.name, message.args)?.then((result) => reply({ result }), failed)
          : undefined;
    answered?.catch((error: unknown) => this.options.logger.error({ err: error }, "cluster: cannot answer a relayed request"));
  }

  /** Leaves the cluster (presence rows deleted, leadership released, pools ended). */
  async stop(): Promise<void> {
    await this.leader.stop();
    await this.presence.leave();
    await this.bus.stop();
    await Promise.all([this.pools.locks.end(), this.pools.bus.end()]).catch(() => undefined);
  }
}
