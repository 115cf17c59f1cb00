/**
 * The local network of a load run: Hardhat's embedded chain (in this process, served on a loopback JSON-RPC
 * port by scripts/lib/rpc-bridge.ts, as `npm run demo` does: nothing to install, and the chain cannot outlive
 * this process), Switchyard deployed on it (Ignition, create2, records in a temporary folder), the node service
 * as its own process (scripts/load/nodeProcess.ts) on the chosen store, and funded throw-away keys.
 *
 * The chain mines at once; during the measured phases nobody sends transactions (the node's collateral is
 * deposited in the warm-up, the clients' watchers are off, the node's watchers poll every 30 s), so the chain
 * costs this process almost nothing while payments flow.
 */
import { copyFile, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Wallet, ZeroAddress, id, keccak256, type Signer } from "ethers";

import { deploySwitchyard, parametersFileFor } from "../lib/deployment.js";
import { loadParameters } from "../lib/parameters.js";
import { type PgCluster, findPgBinaries, startCluster } from "../lib/pg-cluster.js";
import { type RpcBridge, startRpcBridge } from "../lib/rpc-bridge.js";
import type { StoreChoice } from "./args.js";
import { type LoadNode, startLoadNode } from "./nodeProcess.js";

export const ETH = 10n ** 18n;
const NODE_KEY_ENV = "SWITCHYARD_LOAD_NODE_KEY";

/** The node's collateral policy per channel: deposited just in time to `target` (scripts/load/warmup.ts). */
export const COLLATERAL = { min: ETH, target: 10n * ETH, max: 50n * ETH };

export interface LoadNetwork {
  chainUrl: string;
  chainId: number;
  node: LoadNode;
  /** "sqlite (file)" or "postgres (…)": for the report. */
  storeLabel: string;
  /** The store's size on disk now: SQLite file + WAL + SHM, or pg_database_size. */
  storeBytes(): Promise<number>;
  /** The chain's first account: it funds every key. */
  faucet: Signer;
  /** A fresh funded key (gas and deposits) connected to the chain. */
  fund(keys: readonly string[], eth: bigint): Promise<void>;
  provider: import("ethers").Provider;
  dir: string;
  stop(): Promise<void>;
}

export interface NetworkOptions {
  hre: HardhatRuntimeEnvironment;
  store: StoreChoice;
  nodeLog: string;
  lifetimeMs: number;
  cpuProfDir?: string;
  /** Copy the node's log here when the network stops. */
  keepLogAs?: string;
  log: (line: string) => void;
}

/** A throw-away private key `name` of load run keys (public seed: local chains only). */
export function loadKey(name: string): string {
  return keccak256(id(`switchyard load: ${name}`));
}

export async function startLoadNetwork(options: NetworkOptions): Promise<LoadNetwork> {
  const { hre, log } = options;
  const dir = await mkdtemp(path.join(tmpdir(), "switchyard-load-"));
  // Blocks may share a timestamp: the set-up mines hundreds of blocks in a few seconds, and one second per block
  // would put the chain's clock minutes ahead of the clients' (the node's routing clock follows the chain, the
  // clients compute lock expiries from theirs: payments would be refused as expiring too soon).
  const connection = await hre.network.create({ override: { allowBlocksWithSameTimestamp: true } });
  let bridge: RpcBridge | undefined;
  let node: LoadNode | undefined;
  let cluster: PgCluster | undefined;
  let pgClose: (() => Promise<void>) | undefined;
  const stop = async (): Promise<void> => {
    await node?.stop().catch(() => undefined);
    if (options.keepLogAs !== undefined && node !== undefined)
      await copyFile(node.logFile, options.keepLogAs).catch(() => undefined);
    await pgClose?.().catch(() => undefined);
    await cluster?.stop().catch(() => undefined);
    await bridge?.close().catch(() => undefined);
    await connection.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    bridge = await startRpcBridge(connection.provider);
    const provider = connection.ethers.provider;
    const chainId = Number((await provider.getNetwork()).chainId);
    const [faucet] = await connection.ethers.getSigners();
    if (faucet === undefined) throw new Error("the embedded network has no unlocked account");
    const params = await loadParameters(parametersFileFor(hre, connection.networkName));
    log("deploying Switchyard on the embedded chain…");
    const result = await deploySwitchyard(hre, connection, params, {
      log: () => undefined,
      deploymentsDir: path.join(dir, "deployments"),
    });
    const send = async (to: string, value: bigint): Promise<void> => {
      const receipt = await (await faucet.sendTransaction({ to, value })).wait();
      if (receipt?.status !== 1) throw new Error(`funding ${to} failed`);
    };
    const nodeKey = loadKey("node");
    await send(new Wallet(nodeKey).address, 5_000n * ETH);

    let storeUrl: string;
    let storeLabel: string;
    let storeBytes: () => Promise<number>;
    if (options.store.kind === "sqlite") {
      const file = path.join(dir, "node.sqlite");
      storeUrl = file;
      storeLabel = "SQLite (node:sqlite, one file, WAL)";
      storeBytes = async () => {
        let total = 0;
        for (const f of [file, `${file}-wal`, `${file}-shm`])
          total += await stat(f).then(
            (s) => s.size,
            () => 0,
          );
        return total;
      };
    } else {
      if (options.store.kind === "pg") {
        const binaries = findPgBinaries();
        if ("why" in binaries) throw new Error(`--store pg: ${binaries.why}`);
        log("starting a throwaway PostgreSQL cluster…");
        cluster = await startCluster(binaries);
        storeUrl = await cluster.createDatabase("switchyard_load");
        const version = /\(PostgreSQL ([\d.]+)/.exec(await cluster.describe())?.[1] ?? "";
        storeLabel = `PostgreSQL ${version} (a throwaway cluster on 127.0.0.1)`.replace("  ", " ");
      } else {
        storeUrl = options.store.url;
        storeLabel = `PostgreSQL (${new URL(storeUrl).host})`;
      }
      const { default: pg } = await import("pg");
      const pool = new pg.Pool({ connectionString: storeUrl, max: 1 });
      pgClose = () => pool.end();
      // The run starts a fresh chain: a database holding another run's channels would not match it.
      const tables = await pool.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
      );
      const n = tables.rows[0]?.n ?? 0;
      if (n > 0) {
        throw new Error(
          `--store: the database ${new URL(storeUrl).pathname.slice(1)} is not empty (${n} tables): a load run starts a ` +
            "fresh chain, so its node needs an empty database (CREATE DATABASE a new one, or use --store pg)",
        );
      }
      storeBytes = async () => {
        const r = await pool.query<{ size: string }>("SELECT pg_database_size(current_database()) AS size");
        return Number(r.rows[0]?.size ?? 0);
      };
    }

    const config = async (port: number): Promise<string> => {
      const text = (v: bigint): string => v.toString();
      const file = path.join(dir, "node.json");
      await writeFile(
        file,
        JSON.stringify(
          {
            name: "Switchyard load node",
            listen: { host: "127.0.0.1", port },
            chain: { rpcUrl: bridge?.url, chainId },
            deployment: { records: result.recordsDir },
            key: { privateKeyEnv: NODE_KEY_ENV },
            store: storeUrl,
            channelTimeout: "3600",
            collateral: [
              {
                asset: ZeroAddress,
                min: text(COLLATERAL.min),
                target: text(COLLATERAL.target),
                max: text(COLLATERAL.max),
              },
            ],
            fees: { default: { flat: "0", ppm: "0" }, assets: [] },
            // A load generator is many users behind one machine: the per-connection limits are raised so that
            // they never refuse a request of the run (what is measured is the node, not its rate limiter).
            wire: { ratePerSecond: 100_000, burst: 100_000, maxInFlight: 256, maxConnections: 5_000 },
            watcher: { pollSeconds: 30 },
            transactions: { receiptPollMs: 20 },
            log: { level: options.nodeLog },
          },
          null,
          2,
        ),
      );
      return file;
    };
    log("starting the node service…");
    node = await startLoadNode({
      config,
      env: { ...process.env, [NODE_KEY_ENV]: nodeKey },
      logFile: path.join(dir, "node.log"),
      lifetimeMs: options.lifetimeMs,
      ...(options.cpuProfDir !== undefined ? { cpuProfDir: path.resolve(options.cpuProfDir) } : {}),
    });
    const started = node;
    return {
      chainUrl: bridge.url,
      chainId,
      node: started,
      storeLabel,
      storeBytes,
      faucet,
      provider,
      fund: async (keys, eth) => {
        for (const key of keys) await send(new Wallet(key).address, eth);
      },
      dir,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
