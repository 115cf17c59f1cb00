/**
 * The processes under chaos, apart from the clients: a local chain (anvil, else `hardhat node`, on 127.0.0.1)
 * with the contracts deployed from artifacts/, the node's store (a throwaway PostgreSQL cluster or a SQLite
 * file), and the node service as its own process under the watchdog (src/cli/main.ts), on a port chosen once so
 * that a restart after a SIGKILL keeps its URL. Every process stops by itself when this one dies (watchdogs
 * watching their stdin pipe), and `stop()` stops them in order.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Contract, ContractFactory, JsonRpcProvider, NonceManager, Wallet, ZeroAddress, id, keccak256, type InterfaceAbi, type Signer } from "ethers";

import { freePort, localNodeCommand, startLocalNode, type LocalNode } from "../lib/local-node.js";
import { startNodeService, type NodeProcess } from "../lib/node-process.js";
import { findPgBinaries, startCluster, type PgCluster } from "../lib/pg-cluster.js";
import type { StoreKind } from "./options.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const ETH = 10n ** 18n;
/** The channels' dispute timeout (s), the deployment's minimum. */
export const CHANNEL_TIMEOUT = 3_600n;
const NODE_KEY_ENV = "SWITCHYARD_CHAOS_NODE_KEY";

/** A throw-away key derived from a public seed (local chains only). */
export function chaosKey(name: string): string {
  return keccak256(id(`switchyard chaos: ${name}`));
}

export interface NodeStoreLocation {
  kind: StoreKind;
  /** The SQLite file or the PostgreSQL URL. */
  url: string;
}

export interface ChaosNetwork {
  chain: LocalNode;
  provider: JsonRpcProvider;
  funder: Signer;
  addresses: Record<string, string>;
  nodeAddress: string;
  nodePort: number;
  store: NodeStoreLocation;
  /** The PostgreSQL cluster (pg store only). */
  pg?: PgCluster;
  /** The node process running now (undefined between a kill and its restart). */
  node(): NodeProcess | undefined;
  /** Every line the node printed, in all its lives. */
  nodeOutput(): string[];
  /** Node processes that exited without being killed or stopped (each restarted at once), with their last output. */
  unexpectedExits: Array<{ code: number | null; tail: string }>;
  /** SIGKILLs the node and waits until it is gone. */
  killNode(): Promise<void>;
  /** Starts the node again (same config, port and store). */
  startNode(): Promise<void>;
  /** Stops the node with SIGTERM (a drain). */
  stopNode(): Promise<void>;
  /** Restarts the PostgreSQL server under the node (`pg_ctl stop -m <mode>`, then start). */
  restartPg(mode: "fast" | "immediate"): Promise<void>;
  /** Funds a fresh address with `value` wei. */
  fund(address: string, value: bigint): Promise<void>;
  /** Moves the chain clock forward by `seconds` and mines a block. */
  advanceTime(seconds: bigint): Promise<void>;
  dir: string;
  stop(): Promise<void>;
}

async function deploy(name: string, dir: string, signer: Signer, ...args: unknown[]): Promise<string> {
  const file = path.join(ROOT, `artifacts/contracts/${dir}.sol/${name}.json`);
  const a = JSON.parse(await readFile(file, "utf8")) as { abi: InterfaceAbi; bytecode: string };
  const contract = await new ContractFactory(a.abi, a.bytecode, signer).deploy(...args);
  await contract.waitForDeployment();
  return await contract.getAddress();
}

export interface NetworkOptions {
  store: StoreKind;
  /** Every process stops by itself after this long. */
  lifetimeMs: number;
  log: (line: string) => void;
}

export async function startChaosNetwork(options: NetworkOptions): Promise<ChaosNetwork> {
  const dir = await mkdtemp(path.join(tmpdir(), "switchyard-chaos-"));
  const started: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const s of started.splice(0).reverse()) await s().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    let pg: PgCluster | undefined;
    let storeUrl: string;
    if (options.store === "pg") {
      const binaries = findPgBinaries();
      if ("why" in binaries) throw new Error(`--store pg: ${binaries.why} (or run with --store sqlite)`);
      pg = await startCluster(binaries);
      const cluster = pg;
      started.push(() => cluster.stop());
      storeUrl = await pg.createDatabase("switchyard_chaos");
      options.log(`store: ${await pg.describe()}`);
    } else {
      storeUrl = path.join(dir, "node.sqlite");
      options.log(`store: SQLite ${storeUrl}`);
    }

    const chain = await startLocalNode(await localNodeCommand(ROOT), { port: await freePort(), cwd: ROOT, lifetimeMs: options.lifetimeMs });
    started.push(() => chain.stop());
    options.log(`chain: ${chain.kind} on ${chain.url}`);
    const provider = new JsonRpcProvider(chain.url, 31337, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 200 });
    started.push(async () => provider.destroy());
    const funder = new NonceManager(await provider.getSigner(0));
    const limit = { asset: ZeroAddress, channelCapacity: 100n * ETH, transferCap: 10n * ETH };
    const factory = await deploy("ChannelFactory", "ChannelFactory", funder, [limit], CHANNEL_TIMEOUT, 30n * 86_400n);
    const factoryContract = new Contract(factory, ["function mastercopy() view returns (address)"], provider);
    const addresses = {
      ChannelFactory: factory,
      ChannelMastercopy: (await factoryContract.getFunction("mastercopy")()) as string,
      HashlockResolver: await deploy("HashlockResolver", "resolvers/HashlockResolver", funder),
      SignedTransferResolver: await deploy("SignedTransferResolver", "resolvers/SignedTransferResolver", funder),
    };
    const nodeKey = chaosKey("node");
    const nodeAddress = new Wallet(nodeKey).address;
    const fund = async (to: string, value: bigint): Promise<void> => {
      const receipt = await (await funder.sendTransaction({ to, value })).wait();
      if (receipt?.status !== 1) throw new Error(`funding ${to} failed`);
    };
    await fund(nodeAddress, 200n * ETH);

    const nodePort = await freePort();
    const config = {
      name: "Switchyard chaos node",
      listen: { host: "127.0.0.1", port: nodePort },
      chain: { rpcUrl: chain.url, chainId: 31337 },
      deployment: {
        addresses,
        limits: {
          minTimeout: CHANNEL_TIMEOUT.toString(),
          maxTimeout: (30n * 86_400n).toString(),
          assets: [{ asset: ZeroAddress, channelCapacity: limit.channelCapacity.toString(), transferCap: limit.transferCap.toString() }],
        },
      },
      key: { privateKeyEnv: NODE_KEY_ENV },
      store: options.store === "pg" ? storeUrl : `sqlite:${storeUrl}`,
      channelTimeout: CHANNEL_TIMEOUT.toString(),
      collateral: [{ asset: ZeroAddress, min: ETH.toString(), target: (3n * ETH).toString(), max: (10n * ETH).toString() }],
      fees: { default: { flat: "1", ppm: "100" }, assets: [] },
      watcher: { pollSeconds: 2 },
      transactions: { receiptPollMs: 200 },
      wire: { ratePerSecond: 1000, burst: 1000, maxInFlight: 64 },
      log: { level: "info" },
    };
    const configFile = path.join(dir, "node.json");
    await writeFile(configFile, JSON.stringify(config, null, 2));
    const env = { ...process.env, [NODE_KEY_ENV]: nodeKey };
    let node: NodeProcess | undefined;
    const lives: string[] = [];
    const unexpectedExits: Array<{ code: number | null; tail: string }> = [];
    let expected: NodeProcess | undefined;
    let starting: Promise<void> | undefined;
    // One start at a time: a start while another is under way (the crash restart) joins it.
    const startNode = (): Promise<void> => (starting ??= startOnce().finally(() => (starting = undefined)));
    const startOnce = async (): Promise<void> => {
      if (node !== undefined) throw new Error("the node is running already");
      const n = await startNodeService({ config: configFile, env, lifetimeMs: options.lifetimeMs, readyTimeoutMs: 90_000 });
      node = n;
      // A node that exits by itself (a crash) is a finding: recorded with its last output, and restarted.
      void n.exited.then((code) => {
        if (expected === n || node !== n) return;
        const tail = n.output().split("\n").slice(-40).join("\n");
        unexpectedExits.push({ code, tail });
        lives.push(n.output());
        node = undefined;
        options.log(`node: exited by itself (code ${code}); restarting it. Last output:\n${tail}`);
        void startNode().catch((error: unknown) => options.log(`node: the restart failed: ${(error as Error).message}`));
      });
    };
    await startNode();
    started.push(async () => {
      await node?.stop();
      node = undefined;
    });
    options.log(`node: ${nodeAddress} on 127.0.0.1:${nodePort} (pid ${node?.pid ?? "?"})`);

    const net: ChaosNetwork = {
      chain,
      provider,
      funder,
      addresses,
      nodeAddress,
      nodePort,
      store: { kind: options.store, url: storeUrl },
      ...(pg !== undefined ? { pg } : {}),
      node: () => node,
      nodeOutput: () => [...lives, node?.output() ?? ""].join("\n").split("\n"),
      unexpectedExits,
      killNode: async () => {
        const n = node;
        if (n === undefined) return;
        expected = n;
        n.signal("SIGKILL");
        await n.exited;
        lives.push(n.output());
        node = undefined;
      },
      startNode,
      stopNode: async () => {
        const n = node;
        expected = n;
        await n?.stop();
        if (n !== undefined) lives.push(n.output());
        node = undefined;
      },
      restartPg: async (mode) => {
        if (pg === undefined) throw new Error("no PostgreSQL cluster (sqlite store)");
        await pg.halt(mode);
        await pg.start();
      },
      fund,
      advanceTime: async (seconds) => {
        await provider.send("evm_increaseTime", [Number(seconds)]);
        await provider.send("evm_mine", []);
      },
      dir,
      stop: stopAll,
    };
    return net;
  } catch (error) {
    await stopAll();
    throw error;
  }
}
