/**
 * One client connection on `/v1`: bounds every message (size, nesting, rate, in-flight count), answers each
 * bad one with a JSON-RPC error of a stable code, scores misbehaviour and closes the socket past the limit,
 * dispatches good requests (login first) and logs every exchange with its request id. Nothing a client sends
 * can throw out of here: every path ends in a response or a logged drop.
 */
import type { Logger } from "pino";
import type { RawData, WebSocket } from "ws";

import { WireError, toWireError } from "../wire/codes.js";
import {
  IdentifiedError,
  decodeMessage,
  encodeMessage,
  failure,
  parseIncoming,
  success,
  type RpcId,
  type RpcNotification,
  type RpcResponse,
} from "../wire/envelope.js";
import { METHODS, isMethodName } from "../wire/methods.js";
import { validate } from "../wire/schemas.js";
import { ConnectionAuth, type AuthOptions } from "./auth.js";
import { fastIncoming, fastParams } from "./fastRequest.js";
import type { NodeMetrics } from "./metrics.js";
import { MisbehaviourScore, TokenBucket } from "./rateLimit.js";
import type { WireLimits } from "./options.js";
import type { createHandlers, Session } from "./rpc.js";

/** WebSocket close codes the node uses (RFC 6455 §7.4.1). */
export const CLOSE_CODES = { goingAway: 1001, policyViolation: 1008, tooBig: 1009 } as const;

/** Errors that are the client's fault and count towards its misbehaviour score. */
const MISBEHAVIOUR = new Set([
  "PARSE_ERROR",
  "INVALID_REQUEST",
  "METHOD_NOT_FOUND",
  "INVALID_PARAMS",
  "UNAUTHORIZED",
  "RATE_LIMITED",
  "PAYLOAD_TOO_LARGE",
  "CHALLENGE_UNKNOWN",
  "CHALLENGE_EXPIRED",
  "LOGIN_SIGNATURE",
  "ALREADY_AUTHENTICATED",
]);

/** The stream under a WebSocket (its TCP socket), which `send` corks for the rest of an event-loop turn. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

export interface ConnectionDeps {
  id: string;
  socket: WebSocket;
  /** The WebSocket's TCP socket: the messages sent in one event-loop turn leave in one write (one syscall). */
  transport?: Corkable;
  limits: WireLimits;
  auth: AuthOptions;
  handlers: ReturnType<typeof createHandlers>;
  metrics: NodeMetrics;
  logger: Logger;
  /** Whether the node is draining (new requests are refused). */
  draining: () => boolean;
  clock: () => number;
}

export class ClientConnection implements Session {
  readonly id: string;
  readonly auth: ConnectionAuth;
  /** Set by a pong; the service's heartbeat clears it and terminates a socket that did not answer the last ping. */
  alive = true;
  private readonly bucket: TokenBucket;
  private readonly score: MisbehaviourScore;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly log: Logger;
  private seq = 0;
  /** False once the connection is being closed: no further message is read. */
  private reading = true;
  private closeSent = false;
  private wasAuthenticated = false;
  /** True while the transport is corked until the end of this event-loop turn. */
  private corked = false;

  constructor(private readonly deps: ConnectionDeps) {
    this.id = deps.id;
    this.auth = new ConnectionAuth(deps.auth);
    this.bucket = new TokenBucket(deps.limits.ratePerSecond, deps.limits.burst, deps.clock);
    this.score = new MisbehaviourScore(deps.limits.misbehaviourLimit, deps.limits.misbehaviourDecayMs, deps.clock);
    this.log = deps.logger.child({ connection: deps.id });
    deps.socket.on("message", (data, isBinary) => this.onMessage(data, isBinary));
  }

  /** Resolves when every exchange in flight now has been answered. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Pushes a notification (dropped when the socket is not open). */
  push(message: RpcNotification): void {
    this.send(encodeMessage(message));
  }

  /** Closes the socket with `code`, once. */
  close(code: number, reason: string): void {
    this.reading = false;
    if (this.closeSent) return;
    this.closeSent = true;
    this.deps.socket.close(code, reason);
  }

  /** Called by the service when the socket has closed. */
  closed(): void {
    this.reading = false;
    this.closeSent = true;
    if (this.wasAuthenticated) this.deps.metrics.authenticatedClients.dec();
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    const requestId = `${this.id}.${++this.seq}`;
    const started = this.deps.clock();
    if (!this.reading) return;
    let id: RpcId | null = null;
    let method = "unknown";
    try {
      if (isBinary) throw new WireError("INVALID_REQUEST", "binary frames are not supported: send JSON text");
      const bytes = byteLength(data);
      if (bytes > this.deps.limits.maxMessageBytes) {
        throw new WireError(
          "PAYLOAD_TOO_LARGE",
          `message of ${bytes} bytes is above the limit of ${this.deps.limits.maxMessageBytes}`,
        );
      }
      const text = textOf(data);
      const value = decodeMessage(text, {
        maxLength: this.deps.limits.maxMessageBytes,
        maxDepth: this.deps.limits.maxDepth,
      });
      const incoming = fastIncoming(value) ?? parseIncoming(value);
      if (incoming.kind === "notification") {
        // The node serves no client notifications; JSON-RPC forbids answering one.
        this.log.warn({ requestId, method: incoming.notification.method }, "client notification ignored");
        this.misbehaved(1, requestId);
        return;
      }
      const request = incoming.request;
      id = request.id;
      method = isMethodName(request.method) ? request.method : "unknown";
      const taken = this.bucket.take();
      if (!taken.ok) {
        throw new WireError("RATE_LIMITED", "too many requests on this connection", {
          retryAfterMs: taken.retryAfterMs,
        });
      }
      // An acknowledgement answers an exchange the node started (its proposal, or its signature on the client's
      // intent): the drain waits for it, so it is taken; refused, the client would hold a state the node does not.
      if (this.deps.draining() && request.method !== "channel.acknowledge")
        throw new WireError("SHUTTING_DOWN", "the node is shutting down");
      if (this.inFlight.size >= this.deps.limits.maxInFlight) {
        throw new WireError(
          "RATE_LIMITED",
          `more than ${this.deps.limits.maxInFlight} requests in flight on this connection`,
        );
      }
      if (!isMethodName(request.method)) {
        throw new WireError("METHOD_NOT_FOUND", `method ${request.method.slice(0, 64)} is not served`);
      }
      const spec = METHODS[request.method];
      if (spec.auth && this.auth.address === undefined) {
        throw new WireError("UNAUTHORIZED", `${request.method} needs a login (auth.challenge, then auth.login)`);
      }
      const params =
        fastParams(request.method, request.params) ??
        validate(spec.params as never, request.params, `${request.method} params`);
      const handler = this.deps.handlers[request.method];
      const requestIdFixed = id;
      const exchange = handler(params, this)
        .then(
          (result) => this.answer(success(requestIdFixed, result), requestId, method, started, undefined),
          (error: unknown) => this.fail(requestIdFixed, toWireError(error), requestId, method, started, error),
        )
        .finally(() => this.inFlight.delete(exchange));
      this.inFlight.add(exchange);
    } catch (error) {
      if (error instanceof IdentifiedError) this.fail(error.id, error.error, requestId, method, started, error);
      else this.fail(id, toWireError(error), requestId, method, started, error);
    }
  }

  private answer(
    response: RpcResponse,
    requestId: string,
    method: string,
    started: number,
    outcome: string | undefined,
  ): void {
    const seconds = (this.deps.clock() - started) / 1000;
    this.deps.metrics.requests.inc({ method, outcome: outcome ?? "ok" });
    this.deps.metrics.requestSeconds.observe({ method }, seconds);
    if (outcome === undefined) {
      if (method === "auth.login") {
        this.deps.metrics.logins.inc({ outcome: "ok" });
        if (!this.wasAuthenticated) {
          this.wasAuthenticated = true;
          this.deps.metrics.authenticatedClients.inc();
        }
      }
      this.log.info({ requestId, method, ms: seconds * 1000, address: this.auth.address }, "request answered");
    }
    this.send(encodeMessage(response));
  }

  private fail(
    id: RpcId | null,
    error: WireError,
    requestId: string,
    method: string,
    started: number,
    cause: unknown,
  ): void {
    const name = error.data.name;
    const withId = new WireError(name as never, error.message, { ...error.data, requestId });
    if (method === "auth.login") this.deps.metrics.logins.inc({ outcome: name });
    const fields = { requestId, method, code: error.rpcCode, error: name, message: error.message };
    if (name === "INTERNAL_ERROR") this.log.error({ ...fields, err: cause }, "request failed inside the node");
    else this.log.warn(name === "UNAVAILABLE" ? { ...fields, err: cause } : fields, "request refused");
    this.answer(failure(id, withId), requestId, method, started, name);
    if (MISBEHAVIOUR.has(name)) this.misbehaved(1, requestId);
  }

  private misbehaved(weight: number, requestId: string): void {
    if (this.score.add(weight) && this.reading) {
      // Read nothing more; answer what is in flight (for at most a second), then close.
      this.reading = false;
      this.log.warn({ requestId, score: this.score.value }, "closing a misbehaving connection");
      this.deps.metrics.disconnects.inc({ reason: "misbehaviour" });
      const grace = new Promise<void>((resolve) => setTimeout(resolve, 1_000).unref());
      void Promise.race([this.settled(), grace]).then(() =>
        this.close(CLOSE_CODES.policyViolation, "too many bad messages"),
      );
    }
  }

  private send(text: string): void {
    const socket = this.deps.socket;
    if (socket.readyState !== socket.OPEN) return;
    // A payment sends a client several messages, often in one turn (answers and pushes completed by one group
    // commit): corked, they leave in one writev when the turn's I/O callbacks are done, not in a syscall each.
    const transport = this.deps.transport;
    if (transport !== undefined && !this.corked) {
      this.corked = true;
      transport.cork();
      setImmediate(() => {
        this.corked = false;
        transport.uncork();
      });
    }
    socket.send(text, (error) => {
      if (error !== undefined && error !== null) this.log.debug({ err: error }, "send failed (socket closing)");
    });
  }
}

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.byteLength, 0);
  return data.byteLength;
}

function textOf(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString("utf8");
  return data.toString("utf8");
}
