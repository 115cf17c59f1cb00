/**
 * Two node processes (one node key) on one real PostgreSQL database (scripts/lib/pg-cluster.ts), anvil with the
 * contracts (test/ts/client/fixture.ts), and one TCP balancer per group of clients: group "a" prefers process
 * A, group "b" process B, each falling back to the other.
 */
import { readFile, writeFile } from "node:fs/promises";

import pg from "pg";
import { ZeroAddress, type Wallet } from "ethers";

import { freePort } from "../../../scripts/lib/local-node.js";
import type { SwitchyardClient } from "../../../src/client/index.js";
import { MemoryStore } from "../../../src/stores/store.js";
import { startNodeProcess, type NodeProcess } from "../node/harness.js";
import { ETH, connectClient, startNetwork, type Network } from "../client/fixture.js";
import { startBalancer, type Balancer } from "./balancer.js";

export interface ClusterNet {
  net: Network;
  a: NodeProcess;
  b: NodeProcess;
  balancers: { a: Balancer; b: Balancer };
  db: pg.Pool;
  user(name: string, group: "a" | "b", deposit?: bigint): Promise<ClusterUser>;
  stop(): Promise<void>;
}

export interface ClusterUser {
  wallet: Wallet;
  store: MemoryStore;
  client: SwitchyardClient;
}

const CLUSTER = { leaseMs: 5_000, leaderPollMs: 300, relayTimeoutMs: 10_000 };

export async function startClusterNet(pgUrl: string): Promise<ClusterNet> {
  const net = await startNetwork({ store: pgUrl, cluster: { id: "a", ...CLUSTER } });
  const a = net.node;
  const config = JSON.parse(await readFile(net.config, "utf8")) as Record<string, unknown>;
  const portB = await freePort();
  const fileB = net.config.replace(/node\.json$/, "node-b.json");
  await writeFile(
    fileB,
    JSON.stringify({ ...config, listen: { host: "127.0.0.1", port: portB }, cluster: { id: "b", ...CLUSTER } }),
  );
  const b = await startNodeProcess(fileB);
  const balancers = { a: await startBalancer([a.port, b.port]), b: await startBalancer([b.port, a.port]) };
  const db = new pg.Pool({ connectionString: pgUrl, max: 2 });
  db.on("error", () => undefined); // the server stops after the suite
  const users: ClusterUser[] = [];
  return {
    net,
    a,
    b,
    balancers,
    db,
    user: async (name, group, deposit = 2n * ETH) => {
      const wallet = await net.user(name);
      const store = new MemoryStore();
      const client = await connectClient({ ...net, url: balancers[group].url } as Network, wallet, store, {
        paymentTimeoutMs: 60_000,
      });
      users.push({ wallet, store, client });
      if (deposit > 0n) await client.deposit({ asset: ZeroAddress, amount: deposit });
      return { wallet, store, client };
    },
    stop: async () => {
      await db.end();
      for (const u of users) await u.client.disconnect().catch(() => undefined);
      await balancers.a.close();
      await balancers.b.close();
      await b.stop().catch(() => undefined);
      await net.stop();
    },
  };
}

/** The node's stored nonce and latest co-signed state of `channel` (read from the shared database). */
export async function nodeChannel(db: pg.Pool, channel: string): Promise<{ nonce: bigint; latest: string | null; pending: string | null }> {
  const rows = await db.query<{ nonce: string; latest: string | null; pending: string | null }>(
    "SELECT nonce, latest, pending FROM switchyard.sy_channels WHERE channel = $1",
    [channel],
  );
  const row = rows.rows[0];
  if (row === undefined) throw new Error(`the node's database holds no channel ${channel}`);
  return { nonce: BigInt(row.nonce), latest: row.latest, pending: row.pending };
}

/** The routed payments in the node's database, by status. */
export async function paymentStatuses(db: pg.Pool): Promise<Record<string, number>> {
  const rows = await db.query<{ status: string; n: string }>(
    "SELECT status, COUNT(*) AS n FROM switchyard.sy_payments GROUP BY status",
  );
  return Object.fromEntries(rows.rows.map((r) => [r.status, Number(r.n)]));
}
