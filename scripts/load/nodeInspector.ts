/**
 * A CPU profile of the node process over one phase only, through its inspector. The load run starts the node
 * with `--inspect-port=127.0.0.1:0` (scripts/load/nodeProcess.ts), which opens nothing by itself; SIGUSR1 then
 * opens the inspector on a free loopback port, and the node prints its address ("Debugger listening on
 * ws://127.0.0.1:<port>/<id>") to its log. This connects there over WebSocket, starts V8's sampling profiler,
 * and at `stop()` takes the profile and closes the inspector again, so the port is open only while a profiled
 * phase runs. The node's `--cpu-prof` (`npm run load -- --cpu-prof`) covers its whole life instead.
 */
import { open, stat } from "node:fs/promises";

import WebSocket from "ws";

import type { CpuProfile } from "./breakdown.js";
import { sleep } from "../lib/local-node.js";

/** Microseconds between samples (as the clients' profile: scripts/load/clientProfile.ts). */
const SAMPLING_US = 500;

export interface NodeProfile {
  /** Stops the profiler, closes the inspector, and returns the profile. */
  stop(): Promise<CpuProfile>;
}

/** The log's text from byte `from` on. */
async function readFrom(file: string, from: number): Promise<string> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.max(0, size - from));
    await handle.read(buffer, 0, buffer.length, from);
    return buffer.toString("utf8");
  } finally {
    await handle.close();
  }
}

/** One DevTools-protocol session over `socket`: `call` sends a command and resolves with its result. */
function session(socket: WebSocket): (method: string, params?: object) => Promise<Record<string, unknown>> {
  let next = 1;
  const waiting = new Map<number, { resolve(v: Record<string, unknown>): void; reject(e: Error): void }>();
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
    const w = message.id === undefined ? undefined : waiting.get(message.id);
    if (w === undefined || message.id === undefined) return;
    waiting.delete(message.id);
    if (message.error !== undefined) w.reject(new Error(`inspector: ${message.error.message}`));
    else w.resolve(message.result ?? {});
  });
  socket.on("close", () => {
    for (const w of waiting.values()) w.reject(new Error("inspector: the connection closed"));
    waiting.clear();
  });
  return (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
}

/** Starts profiling the node `pid`, whose log is `logFile` (see the module comment). */
export async function startNodeProfile(pid: number, logFile: string): Promise<NodeProfile> {
  const from = (await stat(logFile)).size;
  process.kill(pid, "SIGUSR1");
  let url: string | undefined;
  for (let i = 0; i < 100 && url === undefined; i++) {
    url = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+)/.exec(await readFrom(logFile, from))?.[1];
    if (url === undefined) await sleep(50);
  }
  if (url === undefined) throw new Error(`the node (pid ${pid}) did not open its inspector within 5 s of SIGUSR1`);
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  const call = session(socket);
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: SAMPLING_US });
  await call("Profiler.start");
  return {
    async stop() {
      const { profile } = (await call("Profiler.stop")) as { profile: CpuProfile };
      await call("Profiler.disable");
      // Closes the node's inspector (its port) from inside; the answer may not come back before it closes.
      await Promise.race([
        call("Runtime.evaluate", { expression: "process.getBuiltinModule('node:inspector').close()" }).catch(() => undefined),
        sleep(1_000),
      ]);
      socket.terminate();
      return profile;
    },
  };
}
