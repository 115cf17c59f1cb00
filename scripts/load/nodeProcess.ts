/**
 * The node service for a load run: `node --import tsx src/cli/main.ts node --config <file>` under
 * scripts/lib/node-watchdog.mjs (so it stops when this process exits or is killed, on stop(), or after its
 * lifetime), spawned by scripts/lib/node-process.ts's `spawnWatchedNode` as `startNodeService` does, with two
 * differences a load run needs:
 *
 * - its output goes to a log file, not into this process's memory (at `info` the node logs every exchange:
 *   thousands of lines a second), and this process spends no CPU reading it;
 * - it listens on a port chosen free beforehand and is ready when `GET /ready` answers 200, so the node may
 *   log at `warn` (the "node listening" line is `info`).
 */
import { closeSync, openSync, readFileSync } from "node:fs";

import { freePort, sleep } from "../lib/local-node.js";
import { spawnWatchedNode } from "../lib/node-process.js";

export interface LoadNode {
  /** The node's own pid (the watchdog's child): /proc/<pid>/… is read for its CPU, RSS and open files. */
  pid: number;
  http: string;
  ws: string;
  logFile: string;
  /** The log's last lines (for an error message). */
  tail(lines?: number): string;
  /** SIGTERM (a drain), SIGKILL after 15 s; resolves once it exited. */
  stop(): Promise<void>;
}

export interface LoadNodeOptions {
  /** Writes the node's config (src/node/config.ts) for `port` and returns its file. */
  config(port: number): Promise<string>;
  env: NodeJS.ProcessEnv;
  logFile: string;
  lifetimeMs: number;
  /** Run the node with --cpu-prof into this folder (written when it exits after the drain). */
  cpuProfDir?: string;
}

export async function startLoadNode(options: LoadNodeOptions): Promise<LoadNode> {
  const port = await freePort();
  const config = await options.config(port);
  const fd = openSync(options.logFile, "a");
  const node = spawnWatchedNode({
    config,
    env: options.env,
    lifetimeMs: options.lifetimeMs,
    // --inspect-port opens nothing by itself: SIGUSR1 opens the inspector there for a profiled phase
    // (scripts/load/nodeInspector.ts), on loopback and a free port.
    nodeArgs: [
      "--inspect-port=127.0.0.1:0",
      ...(options.cpuProfDir !== undefined ? ["--cpu-prof", "--cpu-prof-dir", options.cpuProfDir] : []),
    ],
    output: fd,
  });
  closeSync(fd);
  const tail = (lines = 20): string => {
    try {
      return readFileSync(options.logFile, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  };
  const http = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    const exited = node.exitCode();
    if (exited !== undefined) throw new Error(`the node exited (${exited}) before it was ready:\n${tail()}`);
    const ready = await fetch(`${http}/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    const pid = Number(/node-watchdog pid (\d+)/.exec(tail(1_000))?.[1] ?? 0);
    if (ready && pid !== 0) {
      return { pid, http, ws: `ws://127.0.0.1:${port}/v1`, logFile: options.logFile, tail, stop: () => node.stop(pid) };
    }
    if (Date.now() > deadline) {
      node.watchdog.kill("SIGKILL");
      throw new Error(`the node was not ready within 90 s:\n${tail()}`);
    }
    await sleep(100);
  }
}
