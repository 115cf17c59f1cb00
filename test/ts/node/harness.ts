/**
 * Real processes for the node tests: a local chain (anvil, else `hardhat node`, on a free 127.0.0.1 port) and
 * the node itself, started as `node --import tsx src/cli/main.ts node --config <temp file>` under
 * scripts/lib/node-watchdog.mjs, so it stops when the test process exits (even when killed), on test end, or
 * after its lifetime. The node's stdout (pino JSON lines) is collected for the log assertions.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Contract, ContractFactory, Wallet, id, keccak256, toBeHex, zeroPadValue, type InterfaceAbi, type Signer } from "ethers";
import WebSocket from "ws";

import { freePort, localNodeCommand, startLocalNode, type LocalNode } from "../../../scripts/lib/local-node.js";
import { startNodeService, type NodeProcess } from "../../../scripts/lib/node-process.js";
import { checksum } from "../../../src/protocol/address.js";
import { hashlockTerms } from "../../../src/protocol/policies.js";
import { transferId } from "../../../src/protocol/transfers.js";
import type { Update } from "../../../src/protocol/types.js";
import { WireClient } from "../../../src/wire/client.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** A compiled contract's ABI and bytecode from artifacts/ (`dir` is its path under contracts/ without `.sol`). */
export async function artifact(name: string, dir = name): Promise<{ abi: InterfaceAbi; bytecode: string }> {
  return JSON.parse(await readFile(path.join(ROOT, `artifacts/contracts/${dir}.sol/${name}.json`), "utf8")) as never;
}

/** Deploys artifact `name` (under contracts/`dir`.sol) with `signer` and waits for it. */
export async function deploy(name: string, dir: string, signer: Signer, ...args: unknown[]): Promise<Contract> {
  const a = await artifact(name, dir);
  const contract = await new ContractFactory(a.abi, a.bytecode, signer).deploy(...args);
  await contract.waitForDeployment();
  return contract as Contract;
}

/** A 32-byte preimage derived from `tag`. */
export function preimage(tag: string): string {
  return zeroPadValue(toBeHex(BigInt(id(tag)) >> 8n), 32);
}

/** Polls `check` every `everyMs` until it holds; fails naming `what` after `ms`. */
/**
 * The lock the node forwarded to `payee` in `update` (a create the node proposed, co-signed by the payee): what a
 * payee learns of a routed payment from its own channel (flow revision 2 pushes it no payment.status).
 */
export function forwardedLock(payee: string, update: Update): { lockHash: string; transferId: string; amount: bigint } | undefined {
  const d = update.details;
  if (update.proposer !== "alice" || d.type !== "create" || checksum(d.transfer.responder) !== checksum(payee)) return undefined;
  if (d.transfer.data.length !== 2 + 128) return undefined; // not hashlock terms (another resolver's lock)
  return { lockHash: hashlockTerms(d.transfer.data).lockHash, transferId: transferId(d.transfer), amount: d.transfer.amount };
}

export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 30_000, everyMs = 100): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
const CLI = path.join(ROOT, "src/cli/main.ts");

/** Fixed test keys (never used outside tests). */
export const NODE_KEY = keccak256(id("switchyard test node"));
export const nodeWallet = new Wallet(NODE_KEY);
export const clientWallet = new Wallet(keccak256(id("switchyard test client")));
export const otherWallet = new Wallet(keccak256(id("switchyard test other")));

/** Stand-in deployment addresses: the wire tests need none of the contracts on chain. */
export const ADDRESSES = {
  ChannelFactory: "0x1000000000000000000000000000000000000001",
  ChannelMastercopy: "0x1000000000000000000000000000000000000002",
  HashlockResolver: "0x1000000000000000000000000000000000000003",
  SignedTransferResolver: "0x1000000000000000000000000000000000000004",
};

export async function startChain(): Promise<LocalNode> {
  const command = await localNodeCommand(ROOT);
  return startLocalNode(command, { port: await freePort(), cwd: ROOT, lifetimeMs: 300_000 });
}

/** A config for the node (merged over the defaults below), written to a new temp folder. */
export async function writeConfig(chainUrl: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "switchyard-node-"));
  const config = {
    name: "Switchyard test node",
    listen: { host: "127.0.0.1", port: 0 },
    chain: { rpcUrl: chainUrl, chainId: 31337 },
    deployment: {
      addresses: ADDRESSES,
      limits: {
        minTimeout: "3600",
        maxTimeout: "2592000",
        assets: [
          {
            asset: "0x0000000000000000000000000000000000000000",
            channelCapacity: "100000000000000000000",
            transferCap: "10000000000000000000",
          },
        ],
      },
    },
    key: { privateKeyEnv: "SWITCHYARD_TEST_NODE_KEY" },
    store: "node.sqlite",
    collateral: [{ asset: "0x0000000000000000000000000000000000000000", min: "1000", target: "5000", max: "10000" }],
    fees: { default: { flat: "1", ppm: "100" }, assets: [] },
    ...overrides,
  };
  const file = path.join(dir, "node.json");
  await writeFile(file, JSON.stringify(config, null, 2));
  return file;
}

export type { NodeProcess };

export const nodeEnv = (): NodeJS.ProcessEnv => ({ ...process.env, SWITCHYARD_TEST_NODE_KEY: NODE_KEY });

/** Runs the CLI with `args` to completion (for --help and bad configs). */
export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = nodeEnv(),
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const code = await new Promise<number | null>((resolve) => child.once("close", (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Starts the node on `config` and waits for its "node listening" line (stopped after 4 minutes at the latest). */
export function startNodeProcess(config: string, env: NodeJS.ProcessEnv = nodeEnv()): Promise<NodeProcess> {
  return startNodeService({ config, env, lifetimeMs: 240_000 });
}

export function connect(url: string): Promise<WireClient> {
  return WireClient.connect(url, { WebSocket: WebSocket as never, timeoutMs: 10_000 });
}

/** A raw socket for the bad-input tests: sends text (or bytes) and collects every message and the close. */
export interface RawSocket {
  socket: WebSocket;
  messages: Array<Record<string, unknown>>;
  closed: Promise<{ code: number; reason: string }>;
  /** Sends and waits for the next message. */
  ask(data: string | Buffer, binary?: boolean): Promise<Record<string, unknown>>;
}

export async function rawSocket(url: string): Promise<RawSocket> {
  const socket = new WebSocket(url);
  const messages: Array<Record<string, unknown>> = [];
  const waiters: Array<(m: Record<string, unknown>) => void> = [];
  socket.on("message", (data) => {
    const m = JSON.parse(String(data)) as Record<string, unknown>;
    messages.push(m);
    waiters.shift()?.(m);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  return {
    socket,
    messages,
    closed,
    ask: (data, binary = false) =>
      new Promise((resolve) => {
        waiters.push(resolve);
        socket.send(data, { binary });
      }),
  };
}

/** GET `url`: status and body text. */
export async function get(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; text: string; type: string | null }> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  return { status: response.status, text: await response.text(), type: response.headers.get("content-type") };
}
