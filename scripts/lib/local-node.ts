/**
 * A real JSON-RPC node for end-to-end runs, bound to 127.0.0.1 only: anvil (the npm package
 * @foundry-rs/anvil-<platform>, which carries the binary), or Hardhat's own `hardhat node` when no anvil can
 * be had. It runs under scripts/lib/node-watchdog.mjs, so it stops by itself when its parent goes away (even
 * if the parent is killed), on a signal, or after a maximum lifetime.
 *
 * Anvil is not a devDependency on purpose: the registry these machines use carries only the linux-x64
 * platform package of @foundry-rs/anvil 1.7.1, so the wrapper package leaves its other optional platform
 * packages out of the lock file and `npm ci` then rejects the lock. Instead the platform package is installed
 * on demand into .tools/anvil/ (git-ignored, like .tools/node22), pinned, outside package-lock.json.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { hardhatCli, npmCommand, run } from "./child.js";

const require = createRequire(import.meta.url);
const WATCHDOG = path.join(path.dirname(fileURLToPath(import.meta.url)), "node-watchdog.mjs");
export const LOOPBACK = "127.0.0.1";
/** The anvil release used for end-to-end runs. */
export const ANVIL_VERSION = "1.7.1";

/** The platform packages of @foundry-rs/anvil (each carries the binary). */
const PLATFORM_PACKAGES: Record<string, Record<string, string>> = {
  linux: { x64: "anvil-linux-amd64", arm64: "anvil-linux-arm64" },
  darwin: { x64: "anvil-darwin-amd64", arm64: "anvil-darwin-arm64" },
  win32: { x64: "anvil-win32-amd64" },
};
const BINARY = process.platform === "win32" ? "anvil.exe" : "anvil";

/** How to start a node: a command and its arguments for a port. */
export interface NodeCommand {
  kind: "anvil" | "hardhat node";
  command: string;
  args(port: number): string[];
  /** Why anvil is not used, when it is not. */
  note?: string;
}

/**
 * The anvil binary: $ANVIL_BIN, else an installed @foundry-rs/anvil-<platform>, else the one in
 * <root>/.tools/anvil (installed there now with npm if missing). Returns a reason instead when there is none.
 */
export async function ensureAnvil(root: string): Promise<{ bin: string } | { why: string }> {
  const fromEnv = process.env.ANVIL_BIN;
  if (fromEnv !== undefined && fromEnv !== "") {
    return existsSync(fromEnv) ? { bin: fromEnv } : { why: `ANVIL_BIN=${fromEnv} does not exist` };
  }
  const pkg = PLATFORM_PACKAGES[process.platform]?.[process.arch];
  if (pkg === undefined) return { why: `@foundry-rs/anvil has no package for ${process.platform}-${process.arch}` };
  try {
    const bin = require.resolve(`@foundry-rs/${pkg}/bin/${BINARY}`);
    if (existsSync(bin)) return { bin };
  } catch {
    // not installed in node_modules: use .tools/anvil
  }
  const prefix = path.join(root, ".tools", "anvil");
  const bin = path.join(prefix, "node_modules", "@foundry-rs", pkg, "bin", BINARY);
  if (existsSync(bin)) return { bin };
  const [command, prefixArgs] = npmCommand();
  const install = await run(
    command,
    [
      ...prefixArgs,
      "install",
      "--prefix",
      prefix,
      "--no-save",
      "--no-package-lock",
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
      `@foundry-rs/${pkg}@${ANVIL_VERSION}`,
    ],
    { cwd: root, timeoutMs: 120_000 },
  );
  if (install.code === 0 && existsSync(bin)) return { bin };
  return {
    why: `npm could not install @foundry-rs/${pkg}@${ANVIL_VERSION}: ${(install.stderr || install.stdout).trim().split("\n").slice(-3).join(" ")}`,
  };
}

/** Anvil when it can be had, else `hardhat node` of the project in `root`; both on 127.0.0.1 only. */
export async function localNodeCommand(root: string): Promise<NodeCommand> {
  const anvil = await ensureAnvil(root);
  if ("bin" in anvil) {
    return {
      kind: "anvil",
      command: anvil.bin,
      args: (port) => ["--host", LOOPBACK, "--port", String(port), "--chain-id", "31337", "--accounts", "4"],
    };
  }
  return {
    kind: "hardhat node",
    command: process.execPath,
    args: (port) => [hardhatCli(), "node", "--hostname", LOOPBACK, "--port", String(port)],
    note: anvil.why,
  };
}

/** Whether nothing listens on 127.0.0.1:`port` (tries to listen there itself, then closes). */
export async function isPortFree(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host: LOOPBACK, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ port: 0, host: LOOPBACK }, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface LocalNodeOptions {
  port: number;
  /** Where the command runs (the project root for `hardhat node`). */
  cwd: string;
  /** The node is stopped after this long whatever happens. Default 120 s. */
  lifetimeMs?: number;
  /** How long to wait for the node to answer. Default 30 s. */
  readyTimeoutMs?: number;
}

export interface LocalNode {
  kind: NodeCommand["kind"];
  url: string;
  port: number;
  /** The node process. */
  pid: number;
  /** The watchdog process (the node's parent). */
  watchdog: ChildProcess;
  /** Everything the node and the watchdog printed so far. */
  output(): string;
  /** Stops the node and waits until the watchdog has exited and the port is free again. */
  stop(): Promise<void>;
}

/** Starts the node on 127.0.0.1:`port` under the watchdog and waits until it answers eth_chainId. */
export async function startLocalNode(node: NodeCommand, options: LocalNodeOptions): Promise<LocalNode> {
  const { port, cwd, lifetimeMs = 120_000, readyTimeoutMs = 30_000 } = options;
  const url = `http://${LOOPBACK}:${port}`;
  const watchdog = spawn(process.execPath, [WATCHDOG, node.command, ...node.args(port)], {
    cwd,
    // stdin stays a pipe: when this process dies, it closes and the watchdog stops the node.
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, SWITCHYARD_NODE_LIFETIME_MS: String(lifetimeMs) },
  });
  let out = "";
  let pid = 0;
  const exited = new Promise<void>((resolve) => watchdog.once("exit", () => resolve()));
  watchdog.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    const match = /node-watchdog pid (\d+)/.exec(out);
    if (pid === 0 && match?.[1] !== undefined) pid = Number(match[1]);
  });
  watchdog.stderr?.on("data", (chunk: Buffer) => (out += chunk.toString()));

  const stop = async (): Promise<void> => {
    if (watchdog.exitCode === null && watchdog.signalCode === null) {
      watchdog.kill("SIGTERM");
      const timer = setTimeout(() => {
        watchdog.kill("SIGKILL");
        if (pid !== 0) killQuietly(pid);
      }, 5_000);
      await exited;
      clearTimeout(timer);
    }
    for (let i = 0; i < 50 && !(await isPortFree(port)); i++) await sleep(100);
  };

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (watchdog.exitCode !== null) throw new Error(`${node.kind} exited before answering on ${url}:\n${out}`);
    if (pid !== 0 && (await answersChainId(url))) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${node.kind} did not answer on ${url} within ${readyTimeoutMs} ms:\n${out}`);
    }
    await sleep(100);
  }
  return { kind: node.kind, url, port, pid, watchdog, output: () => out, stop };
}

/** Whether a process with this pid is alive. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

async function answersChainId(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1_000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
