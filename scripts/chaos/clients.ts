/**
 * The controller's handle on one client process (./client-child.ts): starts it with an IPC channel, sends it
 * requests and matches the replies, SIGKILLs it and starts it again on the same store file. A request in flight
 * when the process dies is rejected with ClientGoneError.
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { isReply, type ChildConfig, type FromChild, type Notice, type Request } from "./ipc.js";

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "client-child.ts");

/** The client process died (killed, or crashed) before it answered. */
export class ClientGoneError extends Error {
  override readonly name = "ClientGoneError";
}

/** The client answered with an error (the client's own typed error: its name, code and message). */
export class ClientRequestError extends Error {
  override readonly name = "ClientRequestError";
  constructor(
    readonly errorName: string,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

type Distribute<R> = R extends { op: infer O } ? { op: O } & Omit<R, "id" | "op"> : never;
export type Command = Distribute<Request>;

export class ClientProcess {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners: Array<(n: Notice) => void> = [];
  private output = "";
  address = "";
  channel = "";
  /** Starts of this client's process (the first one included). */
  starts = 0;
  /** Connect times of each start (ms from the process's own start to its channel ready). */
  readonly connectMs: number[] = [];

  constructor(
    readonly config: ChildConfig,
    private readonly lifetimeMs: number,
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  /** The process id of the current life (undefined while it is not running). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** What the process printed (stderr, stdout) in all its lives. */
  log(): string {
    return this.output;
  }

  /** Calls `listener` with every notice of this client (in all its lives); returns the unsubscribe. */
  onNotice(listener: (n: Notice) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Starts the process and waits until its client is connected (channel ready). */
  async start(timeoutMs = 180_000): Promise<void> {
    if (this.child !== undefined) throw new Error(`${this.config.name} is running already`);
    this.starts++;
    const child = fork(CHILD, [], {
      execArgv: ["--import", "tsx", "--no-warnings=ExperimentalWarning"],
      env: { ...process.env, SWITCHYARD_CHAOS_CLIENT: JSON.stringify(this.config), SWITCHYARD_CHAOS_LIFETIME_MS: String(this.lifetimeMs) },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    this.child = child;
    child.stdout?.on("data", (c: Buffer) => (this.output += c.toString()));
    child.stderr?.on("data", (c: Buffer) => (this.output += c.toString()));
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.config.name} was not ready within ${timeoutMs} ms:\n${this.output.slice(-2000)}`)), timeoutMs);
      child.on("message", (m: FromChild) => {
        if (isReply(m)) {
          const w = this.waiting.get(m.id);
          if (w === undefined) return;
          this.waiting.delete(m.id);
          if (m.ok) w.resolve(m.value);
          else w.reject(new ClientRequestError(m.error.name, m.error.code, m.error.message));
          return;
        }
        if (m.kind === "ready") {
          clearTimeout(timer);
          this.address = m.address;
          this.channel = m.channel;
          this.connectMs.push(m.connectMs);
          resolve();
        } else if (m.kind === "fatal") {
          clearTimeout(timer);
          reject(new Error(`${this.config.name}: ${m.message}`));
        }
        for (const l of this.listeners) l(m);
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        if (this.child === child) this.child = undefined;
        for (const [id, w] of this.waiting) {
          this.waiting.delete(id);
          w.reject(new ClientGoneError(`${this.config.name} exited (${signal ?? code}) before answering`));
        }
        reject(new Error(`${this.config.name} exited (${signal ?? code}) before it was ready:\n${this.output.slice(-2000)}`));
      });
    });
    await ready;
  }

  /** Sends a request and waits for its reply. */
  request<T>(command: Command): Promise<T> {
    const child = this.child;
    if (child === undefined) return Promise.reject(new ClientGoneError(`${this.config.name} is not running`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      // The process may be dying (a client SIGKILL): a send on its closed IPC channel fails this request, never the
      // run (without the callback Node emits it as an 'error' nobody handles: the default seed, session 6).
      child.send({ ...command, id } as Request, (error) => {
        if (error === null || !this.waiting.delete(id)) return;
        reject(new ClientGoneError(`${this.config.name} cannot be reached (${error.message})`));
      });
    });
  }

  /** SIGKILL (no goodbye, the store as the crash left it); resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    await gone;
  }

  /** Asks the client to disconnect and close its store, then waits for the process to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await this.request({ op: "stop" }).catch(() => undefined);
    await gone;
    clearTimeout(timer);
  }
}
