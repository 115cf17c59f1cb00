/**
 * The wire client: JSON-RPC 2.0 over a WebSocket to a Switchyard node's `/v1`. Browser-safe: the WebSocket
 * constructor is injected (a browser's `WebSocket`, or the `ws` package's in Node), and only the standard
 * `addEventListener` / `send` / `close` API is used.
 *
 * Requests get increasing ids and a timeout; results of the methods in src/wire/methods.ts are validated with
 * their schemas; a JSON-RPC error becomes a RemoteError (its `code` the symbolic name of src/wire/codes.ts);
 * transport failures become TransportError. Notifications the node pushes go to the handlers given to `on`.
 */
import { fastServerMessage, validateWire } from "../channel/fastWire.js";
import type { ChannelSigner } from "../protocol/signing.js";
import { RemoteError, TransportError, WireError } from "./codes.js";
import {
  DEFAULT_DECODE_LIMITS,
  decodeMessage,
  encodeMessage,
  parseServerMessage,
  type DecodeLimits,
} from "./envelope.js";
import { loginSignRequest } from "./login.js";
import { METHODS, type MethodName, type ParamsOf, type ResultOf } from "./methods.js";

/** The part of the WebSocket API the client uses (browsers' WebSocket and `ws` both have it). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open" | "message" | "close" | "error", listener: (event: WebSocketEventLike) => void): void;
}

export interface WebSocketEventLike {
  data?: unknown;
  code?: number;
  reason?: string;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface WireClientOptions {
  WebSocket: WebSocketConstructor;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  /** For the connection to open (default 10 s). */
  connectTimeoutMs?: number;
  /** Bounds of what the client decodes (default: 1 MiB, depth 32). */
  limits?: DecodeLimits;
}

const OPEN = 1;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export class WireClient {
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, Set<(params: unknown) => void>>();
  private readonly closeHandlers = new Set<(code: number, reason: string) => void>();
  private nextId = 1;
  private closeInfo: { code: number; reason: string } | undefined;
  private readonly closedPromise: Promise<{ code: number; reason: string }>;
  private readonly limits: DecodeLimits;

  private constructor(
    private readonly socket: WebSocketLike,
    private readonly options: WireClientOptions,
  ) {
    this.limits = options.limits ?? { maxLength: 1 << 20, maxDepth: Math.max(32, DEFAULT_DECODE_LIMITS.maxDepth) };
    this.closedPromise = new Promise((resolve) => {
      socket.addEventListener("close", (event) => {
        const info = { code: event.code ?? 1006, reason: event.reason ?? "" };
        this.closeInfo = info;
        for (const [, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(
            new TransportError("CLOSED", `the connection closed (${info.code} ${info.reason}) before the answer`),
          );
        }
        this.pending.clear();
        for (const h of this.closeHandlers) h(info.code, info.reason);
        resolve(info);
      });
    });
    socket.addEventListener("message", (event) => this.onMessage(event.data));
  }

  /** Opens a connection to `url` (ws://host:port/v1). */
  static connect(url: string, options: WireClientOptions): Promise<WireClient> {
    const socket = new options.WebSocket(url);
    const client = new WireClient(socket, options);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.close();
        reject(
          new TransportError("TIMEOUT", `no connection to ${url} within ${options.connectTimeoutMs ?? 10_000} ms`),
        );
      }, options.connectTimeoutMs ?? 10_000);
      socket.addEventListener("open", () => {
        clearTimeout(timer);
        resolve(client);
      });
      socket.addEventListener("error", () => {
        clearTimeout(timer);
        reject(new TransportError("NOT_CONNECTED", `cannot connect to ${url}`));
      });
      socket.addEventListener("close", (event) => {
        clearTimeout(timer);
        reject(
          new TransportError("NOT_CONNECTED", `connection to ${url} closed while opening (${event.code ?? 1006})`),
        );
      });
    });
  }

  /** Whether the connection is closed, and how. */
  get closed(): { code: number; reason: string } | undefined {
    return this.closeInfo;
  }

  /** Resolves when the connection has closed. */
  whenClosed(): Promise<{ code: number; reason: string }> {
    return this.closedPromise;
  }

  /** Calls a method the node serves; the result is checked against the method's schema. */
  async request<M extends MethodName>(
    method: M,
    ...params: undefined extends ParamsOf<M> ? [] | [ParamsOf<M>] : [ParamsOf<M>]
  ): Promise<ResultOf<M>> {
    const result = await this.call(method, params[0]);
    try {
      return validateWire(METHODS[method].result as never, result, `${method} result`) as ResultOf<M>;
    } catch (error) {
      if (error instanceof WireError)
        throw new TransportError("PROTOCOL", `malformed answer from the node: ${error.message}`);
      throw error;
    }
  }

  /** Sends any request and returns its raw result (what `request` builds on; also for methods of a newer node). */
  call(method: string, params?: unknown, timeoutMs = this.options.timeoutMs ?? 10_000): Promise<unknown> {
    if (this.socket.readyState !== OPEN)
      return Promise.reject(new TransportError("NOT_CONNECTED", "the connection is not open"));
    const id = this.nextId++;
    let text: string;
    try {
      text = encodeMessage(
        params === undefined ? { jsonrpc: "2.0", id, method } : { jsonrpc: "2.0", id, method, params },
      );
    } catch (error) {
      return Promise.reject(new TransportError("PROTOCOL", `params cannot be encoded: ${(error as Error).message}`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new TransportError("TIMEOUT", `${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.send(text);
    });
  }

  /** Logs in with `signer`: asks a challenge for its address, signs the typed data, answers it. */
  async login(signer: ChannelSigner): Promise<string> {
    const challenge = await this.request("auth.challenge", { address: signer.address });
    const signature = await signer.sign(loginSignRequest(challenge));
    const { address } = await this.request("auth.login", { nonce: challenge.message.nonce, signature });
    return address;
  }

  /** Calls `handler` with the params of every `method` notification; returns a function that stops it. */
  on(method: string, handler: (params: unknown) => void): () => void {
    let set = this.handlers.get(method);
    if (set === undefined) this.handlers.set(method, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  onClose(handler: (code: number, reason: string) => void): () => void {
    this.closeHandlers.add(handler);
    return () => this.closeHandlers.delete(handler);
  }

  /** Closes the connection and waits until it is closed. */
  async close(): Promise<void> {
    if (this.closeInfo === undefined) this.socket.close(1000, "client closing");
    await this.closedPromise;
  }

  private onMessage(data: unknown): void {
    let text: string;
    if (typeof data === "string") text = data;
    else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data))
      text = new TextDecoder().decode(data as ArrayBuffer);
    else return;
    let message;
    try {
      const value = decodeMessage(text, this.limits);
      message = fastServerMessage(value) ?? parseServerMessage(value);
    } catch (error) {
      if (error instanceof WireError) return; // a malformed server message answers nothing we wait for
      throw error;
    }
    if (message.kind === "notification") {
      for (const h of this.handlers.get(message.notification.method) ?? []) h(message.notification.params);
      return;
    }
    const response = message.response;
    if (typeof response.id !== "number") return;
    const p = this.pending.get(response.id);
    if (p === undefined) return;
    this.pending.delete(response.id);
    clearTimeout(p.timer);
    if ("error" in response)
      p.reject(new RemoteError(response.error.code, response.error.message, response.error.data));
    else p.resolve(response.result);
  }
}
