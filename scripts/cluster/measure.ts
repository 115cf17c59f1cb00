/**
 * `npm run cluster:measure`: routed payments per second through one node process against two node processes
 * (cluster mode) on one PostgreSQL database, in the same run, on the same machine: a throwaway PostgreSQL
 * cluster (scripts/lib/pg-cluster.ts), anvil with the contracts deployed (artifacts/), the node processes
 * (scripts/lib/node-process.ts), and `--clients` SwitchyardClients in this process spread over the processes,
 * each paying another client (round robin, so most payments cross processes with two) for `--seconds`.
 * Prints one line per setup with the 1-minute load average, the CPU per completed payment (the node processes'
 * and this process's, the clients'), and the books at the end (the node's payments by status, read from the
 * database once every client stopped: none may stay open); every server listens on 127.0.0.1 and every process
 * it starts stops with it. `--setups 2` measures only two processes (default "1,2"). `--node-prof <dir>` makes each
 * node process write a CPU profile (analyse the largest .cpuprofile of <dir>/<setup>-<i> with a profile reader).
 *
 *   npm run cluster:measure -- --clients 8 --seconds 20
 */
import { readFile, mkdtemp, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

import { ContractFactory, JsonRpcProvider, NonceManager, Wallet, ZeroAddress, id, keccak256, type InterfaceAbi, type Signer } from "ethers";
import pg from "pg";
import WebSocket from "ws";

import { SwitchyardClient } from "../../src/client/index.js";
import { MemoryStore } from "../../src/stores/store.js";
import { freePort, localNodeCommand, startLocalNode } from "../lib/local-node.js";
import { startNodeService, type NodeProcess } from "../lib/node-process.js";
import { openPgServer } from "../lib/pg-cluster.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const ETH = 10n ** 18n;
const T = 3_600n;
const NODE_KEY = keccak256(id("switchyard cluster measure node"));

function flags(): { clients: number; seconds: number; setups: number[]; nodeProf?: string } {
  const { values } = parseArgs({
    options: { clients: { type: "string" }, seconds: { type: "string" }, setups: { type: "string" }, "node-prof": { type: "string" } },
  });
  const clients = Number(values.clients ?? 8);
  const seconds = Number(values.seconds ?? 20);
  const setups = (values.setups ?? "1,2").split(",").map(Number);
  if (!Number.isInteger(clients) || clients < 2 || clients > 200) throw new Error("--clients: an integer in [2, 200]");
  if (!Number.isFinite(seconds) || seconds < 5 || seconds > 600) throw new Error("--seconds: a number in [5, 600]");
  if (setups.some((n) => n !== 1 && n !== 2)) throw new Error('--setups: "1", "2" or "1,2"');
  const nodeProf = values["node-prof"];
  if (nodeProf !== undefined && !path.isAbsolute(nodeProf)) throw new Error("--node-prof: an absolute directory");
  return { clients, seconds, setups, ...(nodeProf !== undefined ? { nodeProf } : {}) };
}

/** CPU milliseconds (user + system) process `pid` has used so far (Linux /proc; 0 where it cannot be read). */
function cpuMsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
  } catch {
    return 0;
  }
}

/** The node's payments by status, read from its database. */
async function books(url: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const rows = await client.query<{ status: string; n: string }>(
      "SELECT status, count(*) AS n FROM switchyard.sy_payments GROUP BY status ORDER BY status",
    );
    return Object.fromEntries(rows.rows.map((r) => [r.status, Number(r.n)]));
  } finally {
    await client.end();
  }
}

async function deploy(name: string, dir: string, signer: Signer, ...args: unknown[]): Promise<string> {
  const a = JSON.parse(await readFile(path.join(ROOT, `artifacts/contracts/${dir}.sol/${name}.json`), "utf8")) as {
    abi: InterfaceAbi;
    bytecode: string;
  };
  const contract = await new ContractFactory(a.abi, a.bytecode, signer).deploy(...args);
  await contract.waitForDeployment();
  return contract.getAddress();
}

/** A failed payment's cause: its error's class and code, and its message without the numbers that vary. */
function causeOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const message = error.message.replace(/0x[0-9a-fA-F]+/g, "0x…").replace(/\d+/g, "N");
  return `${error.name}${typeof code === "string" ? ` ${code}` : ""}: ${message}`;
}

async function main(): Promise<void> {
  const { clients, seconds, setups, nodeProf } = flags();
  const opened = await openPgServer();
  if (!("server" in opened)) throw new Error(`no PostgreSQL server: ${opened.why}`);
  const server = opened.server;
  const chain = await startLocalNode(await localNodeCommand(ROOT), { port: await freePort(), cwd: ROOT, lifetimeMs: 1_800_000 });
  const stops: Array<() => Promise<unknown>> = [() => server.stop(), () => chain.stop()];
  try {
    const provider = new JsonRpcProvider(chain.url, 31337, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 100 });
    const funder = new NonceManager(await provider.getSigner(0));
    const limit = { asset: ZeroAddress, channelCapacity: 100n * ETH, transferCap: 10n * ETH };
    const factory = await deploy("ChannelFactory", "ChannelFactory", funder, [limit], T, 30n * 86_400n);
    const factoryContract = new (await import("ethers")).Contract(factory, ["function mastercopy() view returns (address)"], provider);
    const addresses = {
      ChannelFactory: factory,
      ChannelMastercopy: (await factoryContract.getFunction("mastercopy")()) as string,
      HashlockResolver: await deploy("HashlockResolver", "resolvers/HashlockResolver", funder),
      SignedTransferResolver: await deploy("SignedTransferResolver", "resolvers/SignedTransferResolver", funder),
    };
    await (await funder.sendTransaction({ to: new Wallet(NODE_KEY).address, value: 500n * ETH })).wait();
    const results: Array<{ processes: number; rate: number; completed: number; failed: number; load: number }> = [];
    for (const processes of setups) {
      const url = await server.createDatabase(`measure${processes}`);
      const dir = await mkdtemp(path.join(tmpdir(), "switchyard-cluster-measure-"));
      const nodes: NodeProcess[] = [];
      for (let i = 0; i < processes; i++) {
        const file = path.join(dir, `node-${i}.json`);
        await writeFile(
          file,
          JSON.stringify({
            name: "Switchyard cluster measure",
            listen: { host: "127.0.0.1", port: 0 },
            chain: { rpcUrl: chain.url, chainId: 31337 },
            deployment: {
              addresses,
              limits: { minTimeout: T.toString(), maxTimeout: (30n * 86_400n).toString(), assets: [{ asset: ZeroAddress, channelCapacity: limit.channelCapacity.toString(), transferCap: limit.transferCap.toString() }] },
            },
            key: { privateKeyEnv: "SWITCHYARD_MEASURE_NODE_KEY" },
            store: url,
            ...(processes > 1 ? { cluster: { id: `p${i}` } } : {}),
            channelTimeout: T.toString(),
            collateral: [{ asset: ZeroAddress, min: ETH.toString(), target: (5n * ETH).toString(), max: (20n * ETH).toString() }],
            fees: { default: { flat: "0", ppm: "0" }, assets: [] },
            watcher: { pollSeconds: 3_600 },
            wire: { ratePerSecond: 10_000, burst: 10_000, maxInFlight: 64 },
            log: { level: "info" }, // node-process.ts waits for the "node listening" line
          }),
        );
        // --node-prof: each node process writes a CPU profile into <dir>/<setup>-<i> when it stops (the largest file there).
        const prof = nodeProf === undefined ? {} : { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${path.join(nodeProf, `${processes}-${i}`)}` };
        nodes.push(await startNodeService({ config: file, env: { ...process.env, ...prof, SWITCHYARD_MEASURE_NODE_KEY: NODE_KEY }, lifetimeMs: 1_200_000 }));
      }
      const users: SwitchyardClient[] = [];
      for (let i = 0; i < clients; i++) {
        const wallet = new Wallet(keccak256(id(`switchyard cluster measure ${processes} ${i}`)), provider);
        await (await funder.sendTransaction({ to: wallet.address, value: 5n * ETH })).wait();
        const client = await SwitchyardClient.connect({
          node: (nodes[i % processes] as NodeProcess).ws,
          signer: wallet,
          store: new MemoryStore(),
          chain: provider,
          WebSocket: WebSocket as never,
          watch: false,
          requestTimeoutMs: 30_000,
          paymentTimeoutMs: 60_000,
        });
        await client.deposit({ asset: ZeroAddress, amount: 2n * ETH });
        users.push(client);
      }
      const pay = async (from: number, to: number): Promise<void> => {
        const payee = users[to] as SwitchyardClient;
        const invoice = await payee.invoice({ asset: ZeroAddress, amount: 1_000n });
        await (users[from] as SwitchyardClient).pay(invoice);
      };
      // Warm-up: one payment to every client (its channel gets the node's collateral just in time, off the clock).
      for (let i = 0; i < clients; i++) await pay((i + 1) % clients, i);
      let completed = 0;
      let inWindow = 0;
      let failed = 0;
      const causes = new Map<string, { n: number; example: string }>();
      const latencies: number[] = [];
      const end = Date.now() + seconds * 1_000;
      const started = Date.now();
      const nodeCpu0 = nodes.reduce((sum, n) => sum + cpuMsOf(n.pid), 0);
      const clientCpu0 = process.cpuUsage();
      await Promise.all(
        users.map(async (_, i) => {
          for (let k = 0; Date.now() < end; k++) {
            const t0 = Date.now();
            try {
              await pay(i, (i + 1 + (k % (clients - 1))) % clients);
              completed++;
              if (Date.now() <= end) inWindow++;
              latencies.push(Date.now() - t0);
            } catch (error) {
              failed++;
              const cause = causeOf(error);
              const seen = causes.get(cause);
              if (seen !== undefined) seen.n++;
              else causes.set(cause, { n: 1, example: error instanceof Error ? error.message : String(error) });
            }
          }
        }),
      );
      const wall = (Date.now() - started) / 1_000;
      const rate = completed / wall;
      const nodeCpu = nodes.reduce((sum, n) => sum + cpuMsOf(n.pid), 0) - nodeCpu0;
      const clientCpuUs = process.cpuUsage(clientCpu0);
      const clientCpu = (clientCpuUs.user + clientCpuUs.system) / 1_000;
      const load = loadavg()[0] ?? 0;
      results.push({ processes, rate, completed, failed, load });
      latencies.sort((x, y) => x - y);
      const pct = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
      console.log(
        `${processes} node process(es), ${clients} clients, ${seconds} s: ${rate.toFixed(1)} routed payments/s over ${wall.toFixed(1)} s of wall time (${(inWindow / seconds).toFixed(1)}/s completed within the ${seconds} s; ${completed} completed, ${failed} failed), latency p50 ${pct(0.5)} ms p95 ${pct(0.95)} ms max ${latencies.at(-1) ?? 0} ms, 1-min load average ${load.toFixed(2)}`,
      );
      console.log(
        `  CPU per completed payment: node processes ${(nodeCpu / Math.max(1, completed)).toFixed(2)} ms (${(nodeCpu / 1_000 / wall).toFixed(2)} cores), clients ${(clientCpu / Math.max(1, completed)).toFixed(2)} ms (${(clientCpu / 1_000 / wall).toFixed(2)} cores)`,
      );
      for (const [cause, { n, example }] of causes) console.log(`  failed ${n}×: ${cause}\n    e.g. ${example}`);
      // The books once every payment's client stopped waiting: whatever is still open settles within the node's
      // tick (claims, refunds), so they are read again for a few seconds until nothing is open.
      let open = -1;
      let counts: Record<string, number> = {};
      for (let i = 0; i < 20 && open !== 0; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 500));
        counts = await books(url);
        open = Object.entries(counts).reduce((n, [status, k]) => (status === "completed" || status === "refunded" ? n : n + k), 0);
      }
      console.log(`  the node's payments at the end: ${JSON.stringify(counts)}${open === 0 ? " (none open)" : ` (${open} STILL OPEN)`}`);
      for (const u of users) await u.disconnect().catch(() => undefined);
      for (const [i, n] of nodes.entries()) {
        await n.stop();
        await writeFile(path.join(dir, `node-${i}.log`), n.output());
      }
      console.log(`  node logs: ${dir}`);
    }
    const [one, two] = results;
    if (one !== undefined && two !== undefined)
      console.log(`two processes against one: ${(two.rate / one.rate).toFixed(2)}× (2 cores shared with the clients and PostgreSQL)`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
