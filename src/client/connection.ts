/**
 * The client's connection to its node: one ClientSession at a time, replaced after the socket drops. A new
 * session logs in again, opens the channel from the client's store and syncs before anything else (a signed but
 * unacknowledged update is answered from what the store holds; a forked history is a ForkError, and then the
 * client stops reconnecting rather than diverge). Reconnects back off exponentially with full jitter.
 */
import { ForkError } from "../protocol/errors.js";
import type { Update } from "../protocol/types.js";
import { ClientSession, type ClientSessionOptions, type PaymentNotice } from "../wire/session.js";
import type { Emitter } from "./emitter.js";
import { ClientDisconnectedError, NodeUnavailableError } from "./errors.js";
import type { ClientEvents, ReconnectOptions } from "./types.js";

export interface ConnectionHooks {
  /** A payment status the node pushed. */
  payment(notice: PaymentNotice): void;
  /** An update the node proposed and this client co-signed (pushed, or taken in a sync). */
  update(update: Update): void;
  /** One of this client's own updates co-signed outside its call (a re-delivered intent: ClientSession.onLateIntent). */
  lateIntent(session: ClientSession): void;
  /** Each new session, once open and synced (before `restored` is emitted). */
  opened(session: ClientSession, first: boolean): Promise<void>;
}

/** The delay before reconnect attempt `attempt` (1-based): uniform in [0, min(max, initial·2^(attempt-1))]. */
export function backoffDelay(attempt: number, policy: Required<ReconnectOptions>, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt - 1, 30));
  return Math.floor(random() * ceiling);
}

export class Connection {
  private session: ClientSession | undefined;
  private stopped = false;
  private waiters = new Set<() => void>();
  private readonly policy: Required<ReconnectOptions> | undefined;

  constructor(
    private readonly options: ClientSessionOptions,
    reconnect: ReconnectOptions | false | undefined,
    private readonly events: Emitter<ClientEvents>,
    private readonly hooks: ConnectionHooks,
  ) {
    this.policy =
      reconnect === false
        ? undefined
        : {
            initialMs: reconnect?.initialMs ?? 250,
            maxMs: reconnect?.maxMs ?? 10_000,
            maxAttempts: reconnect?.maxAttempts ?? Number.POSITIVE_INFINITY,
          };
  }

  /** Opens the first session (no retry: a node that is not there is the caller's error). */
  async start(): Promise<ClientSession> {
    const session = await this.open(true);
    this.events.emit("connection", { status: "open" });
    return session;
  }

  get connected(): boolean {
    return this.session !== undefined && this.session.wire.closed === undefined;
  }

  /** The open session; NodeUnavailableError when there is none right now. */
  current(): ClientSession {
    if (this.stopped) throw new ClientDisconnectedError();
    if (this.session === undefined || this.session.wire.closed !== undefined)
      throw new NodeUnavailableError(this.options.url, "not connected (reconnecting)");
    return this.session;
  }

  /** The open session, waiting up to `timeoutMs` for a reconnect. */
  async ready(timeoutMs: number): Promise<ClientSession> {
    if (this.connected) return this.current();
    if (this.stopped) throw new ClientDisconnectedError();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.add(done);
    });
    return this.current();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.waiters) w();
    this.waiters.clear();
    const s = this.session;
    this.session = undefined;
    if (s !== undefined) await s.close().catch(() => undefined);
    this.events.emit("connection", { status: "closed" });
  }

  private async open(first: boolean): Promise<ClientSession> {
    const session = await ClientSession.connect(this.options);
    session.onPayment((n) => this.hooks.payment(n));
    session.onUpdate((u) => this.hooks.update(u));
    session.onLateIntent(() => this.hooks.lateIntent(session));
    session.onError((e) => this.events.emit("error", e));
    if (this.stopped) {
      await session.close();
      throw new ClientDisconnectedError();
    }
    this.session = session;
    session.wire.onClose(() => {
      if (this.session !== session || this.stopped) return;
      this.events.emit("connection", { status: "lost" });
      void this.reconnect();
    });
    await this.hooks.opened(session, first);
    for (const w of this.waiters) w();
    this.waiters.clear();
    return session;
  }

  private async reconnect(): Promise<void> {
    const policy = this.policy;
    if (policy === undefined) {
      this.events.emit("connection", { status: "failed", error: new NodeUnavailableError(this.options.url, "reconnect disabled") });
      return;
    }
    for (let attempt = 1; attempt <= policy.maxAttempts && !this.stopped; attempt++) {
      const delayMs = backoffDelay(attempt, policy);
      this.events.emit("connection", { status: "reconnecting", attempt, delayMs });
      await new Promise((r) => setTimeout(r, delayMs));
      if (this.stopped) return;
      try {
        await this.open(false);
        this.events.emit("connection", { status: "restored" });
        return;
      } catch (error) {
        if (error instanceof ForkError || error instanceof ClientDisconnectedError) {
          // Never carry on over a forked history: the store keeps this client's own states for a dispute.
          if (error instanceof ForkError) this.events.emit("connection", { status: "failed", error });
          return;
        }
      }
    }
    if (!this.stopped)
      this.events.emit("connection", {
        status: "failed",
        error: new NodeUnavailableError(this.options.url, `no reconnect after ${policy.maxAttempts} attempts`),
      });
  }
}
