/**
 * The Switchyard node service as a real child process: `node --import tsx src/cli/main.ts node --config <file>`
 * under scripts/lib/node-watchdog.mjs, so it stops when this process exits (even when killed), on stop(), or
 * after its lifetime. Resolves once the node has logged "node listening" (its pino JSON lines on stdout).
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { sleep } from "./local-node.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const WATCHDOG = path.join(HERE, "node-watchdog.mjs");
const CLI = path.join(ROOT, "src/cli/main.ts");

export interface NodeProcessOptions {
  /** The node's config file (src/node/config.ts). */
  config: string;
  /** Its environment (the node key's variable goes here). */
  env: NodeJS.ProcessEnv;
  /** Stopped after this long whatever happens. Default 10 minutes. */
  lifetimeMs?: number;
  /** How long to wait for "node listening". Default 60 s. */
  readyTimeoutMs?: number;
}

export interface NodeProcess {
  /** The node's pid (the watchdog's child). */
  pid: number;
  port: number;
  /** http://127.0.0.1:<port> (health, metrics). */
  http: string;
  /** ws://127.0.0.1:<port>/v1 (the wire). */
  ws: string;
  /** Everything the node printed so far. */
  output(): string;
  /** The node's parsed log lines so far. */
  logs(): Array<Record<string, unknown>>;
  /** The first log line matching `match`, waiting up to 5 s for it (stdout arrives apart from socket answers). */
  waitForLog(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown> | undefined>;
  /** Resolves with the watchdog's exit code (the node's, or 1 when it was killed by a signal). */
  exited: Promise<number | null>;
  /** Sends `signal` to the node itself (not the watchdog): SIGKILL for a crash, SIGTERM for a drain. */
  signal(signal: NodeJS.Signals): void;
  /** Stops the node (SIGTERM, a drain, SIGKILL after 15 s) and waits until it has exited. */
  stop(): Promise<void>;
}

/** How `spawnWatchedNode` starts the watchdog and its node. */
export interface WatchedNodeOptions {
  config: string;
  env: NodeJS.ProcessEnv;
  lifetimeMs: number;
  /** Node.js flags of the node process (e.g. --cpu-prof). */
  nodeArgs?: readonly string[];
  /** Where the node's stdout and stderr go: "pipe" (read by this process) or an open file descriptor. */
  output: "pipe" | number;
}

/** The watchdog and the node under it: what the starters of a node process share. */
export interface WatchedNode {
  watchdog: ChildProcess;
  /** Resolves with the watchdog's exit code (the node's, or 1 when it was killed by a signal). */
  exited: Promise<number | null>;
  /** The exit code once the watchdog exited, else undefined. */
  exitCode(): number | null | undefined;
  /** Stops the node whose pid is `pid` (SIGTERM to the watchdog: a drain; SIGKILL after 15 s) and waits for it. */
  stop(pid: number): Promise<void>;
}

/** Sends `signal` to `pid`, if it still runs. */
export function killPid(pid: number, signal: NodeJS.Signals = "SIGKILL"): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Spawns `node --import tsx src/cli/main.ts node --config <file>` under scripts/lib/node-watchdog.mjs, which stops
 * it when this process exits (stdin stays a pipe: when this process dies it closes), on `stop`, or after its
 * lifetime; the watchdog prints "node-watchdog pid <n>", the node's pid.
 */
export function spawnWatchedNode(options: WatchedNodeOptions): WatchedNode {
  const watchdog = spawn(
    process.execPath,
    [
      WATCHDOG,
      process.execPath,
      ...(options.nodeArgs ?? []),
      "--import",
      "tsx",
      CLI,
      "node",
      "--config",
      options.config,
    ],
    {
      cwd: ROOT,
      env: { ...options.env, SWITCHYARD_NODE_LIFETIME_MS: String(options.lifetimeMs) },
      stdio: ["pipe", options.output, options.output],
    },
  );
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    watchdog.once("exit", (c) => {
      code = c;
      resolve(c);
    }),
  );
  return {
    watchdog,
    exited,
    exitCode: () => code,
    stop: async (pid) => {
      if (code !== undefined) return;
      watchdog.kill("SIGTERM");
      const timer = setTimeout(() => {
        killPid(pid);
        watchdog.kill("SIGKILL");
      }, 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Starts the node on `options.config` and waits until it listens. */
export async function startNodeService(options: NodeProcessOptions): Promise<NodeProcess> {
  const { lifetimeMs = 600_000, readyTimeoutMs = 60_000 } = options;
  const node = spawnWatchedNode({ config: options.config, env: options.env, lifetimeMs, output: "pipe" });
  const { watchdog, exited } = node;
  let out = "";
  watchdog.stdout?.on("data", (c: Buffer) => (out += c.toString()));
  watchdog.stderr?.on("data", (c: Buffer) => (out += c.toString()));
  const logs = (): Array<Record<string, unknown>> =>
    out
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    const listening = logs().find((l) => l.msg === "node listening");
    const pid = Number(/node-watchdog pid (\d+)/.exec(out)?.[1] ?? 0);
    if (listening !== undefined && pid !== 0) {
      const port = Number(listening.port);
      return {
        pid,
        port,
        http: `http://127.0.0.1:${port}`,
        ws: `ws://127.0.0.1:${port}/v1`,
        output: () => out,
        logs,
        waitForLog: async (match) => {
          for (let i = 0; i < 100; i++) {
            const line = logs().find(match);
            if (line !== undefined) return line;
            await sleep(50);
          }
          return undefined;
        },
        exited,
        signal: (signal) => killPid(pid, signal),
        stop: () => node.stop(pid),
      };
    }
    const exitCode = node.exitCode();
    if (exitCode !== undefined) throw new Error(`the node exited (${exitCode}) before listening:\n${out}`);
    if (Date.now() > deadline) {
      watchdog.kill("SIGKILL");
      if (pid !== 0) killPid(pid);
      throw new Error(`the node did not listen within ${readyTimeoutMs} ms:\n${out}`);
    }
    await sleep(50);
  }
}
