/**
 * One chaos run (`npm run chaos`, and the short one of test/ts/chaos/chaos.test.ts): the network, the clients
 * behind the cutting proxy, the load, the faults at their seeded moments; then the load stops, every payment is
 * given time to settle (the chain clock driven past every lock's expiry if some do not), every process stops,
 * the stores and the chain are checked (./checks.ts), and every channel is closed cooperatively and its payouts
 * checked on chain (./close.ts).
 */
import { writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";

import { Wallet } from "ethers";
import pg from "pg";

import { checkStores, type CheckResult, type PaymentOutcomes } from "./checks.js";
import { ClientProcess } from "./clients.js";
import { closeAll } from "./close.js";
import { injectFaults, planFaults, type FaultKind, type FaultRecord } from "./faults.js";
import type { ClientStatus } from "./ipc.js";
import { Load } from "./load.js";
import { CHANNEL_TIMEOUT, ETH, chaosKey, startChaosNetwork, type NodeStoreLocation } from "./network.js";
import type { ChaosOptions } from "./options.js";
import { startCutProxy } from "./proxy.js";
import { Rng } from "./rng.js";

export interface ChaosResult {
  options: ChaosOptions;
  store: string;
  chain: string;
  payments: { attempted: number; outcomes: PaymentOutcomes; invoiceFailures: number };
  faults: FaultRecord[];
  checks: CheckResult[];
  /** Whether the chain clock had to be moved past the locks' expiries for the last payments to end. */
  clockAdvanced: boolean;
  /** Seconds from the first to the last payment of the load. */
  loadSeconds: number;
  /** Client process starts (first starts and restarts) and their connect times (ms, process start to channel ready). */
  clientStarts: number;
  connectMs: number[];
  /** The 1-minute load average at the start and at the end of the load. */
  loadAverage: [number, number];
  passed: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * How many payments the node's store holds open (not completed or refunded), read beside the running node (a
 * plain read on PostgreSQL: no writer's lock); undefined when it cannot be read. A SQLite store is the node's
 * alone while it runs (an exclusive lock): 0, the clients' view decides there.
 */
async function nodeOpenPayments(store: NodeStoreLocation): Promise<number | undefined> {
  if (store.kind !== "pg") return 0;
  const client = new pg.Client({ connectionString: store.url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    const r = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM switchyard.sy_payments WHERE status NOT IN ('completed', 'refunded')");
    return r.rows[0]?.n;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Waits until every client is connected with nothing locked and no payment open, and the node holds no payment
 * open either (its claim of a payer's lock may still be on its way when the payer's channel shows it: the node
 * stopped then kept the payment "unlocked", seed 1010); false after `ms`.
 */
async function settled(clients: readonly ClientProcess[], store: NodeStoreLocation, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const all = await Promise.all(clients.map((c) => c.request<ClientStatus>({ op: "status" }).catch(() => undefined)));
    const clientsDone = all.every((s) => s !== undefined && s.connected && s.open === 0 && s.lockedByMe === "0" && s.lockedToMe === "0");
    if (clientsDone && (await nodeOpenPayments(store)) === 0) return true;
    await sleep(500);
  }
  return false;
}

export async function runChaos(options: ChaosOptions, log: (line: string) => void = () => undefined): Promise<ChaosResult> {
  const rng = new Rng(options.seed);
  log(`chaos: seed ${options.seed} (replay the schedule with --seed ${options.seed}), store ${options.store}, ${options.clients} clients, ${options.durationSeconds} s`);
  const lifetimeMs = (options.durationSeconds + 900) * 1000;
  const net = await startChaosNetwork({ store: options.store, lifetimeMs, log });
  const clients: ClientProcess[] = [];
  const proxy = await startCutProxy(() => net.nodePort);
  try {
    for (let i = 0; i < options.clients; i++) {
      const privateKey = chaosKey(`client ${i}`);
      await net.fund(new Wallet(privateKey).address, 20n * ETH);
      clients.push(new ClientProcess({ name: `client ${i}`, node: proxy.url, rpc: net.chain.url, privateKey, storeFile: path.join(net.dir, `client-${i}.sqlite`) }, lifetimeMs));
    }
    await Promise.all(clients.map((c) => c.start()));
    for (const c of clients) await c.request({ op: "deposit", amount: (5n * ETH).toString() });
    log(`clients: ${clients.length} processes connected and funded (5 ETH each in its channel; pids ${clients.map((c) => c.pid).join(" ")})`);

    const counts: Record<FaultKind, number> = {
      "node SIGKILL": options.nodeKills,
      "client SIGKILL": options.clientKills,
      "PostgreSQL restart": options.pgRestarts,
      "connection cut": options.connectionCuts,
    };
    const durationMs = options.durationSeconds * 1000;
    const plan = planFaults(rng, counts, durationMs);
    const load = new Load(clients, rng, options.concurrency, 20_000);
    const loadStart = loadavg()[0] ?? 0;
    const t0 = Date.now();
    load.start();
    log(`load: started; ${plan.length} faults planned`);
    const faults = await injectFaults(plan, { net, clients, proxy, load, rng, log }, t0);
    const rest = t0 + durationMs - Date.now();
    if (rest > 0) await sleep(rest);
    await load.stop();
    const loadSeconds = (Date.now() - t0) / 1000;
    const loadEnd = loadavg()[0] ?? 0;
    log(`load: stopped after ${loadSeconds.toFixed(0)} s, ${load.attempts.length} payments attempted`);

    // Every process up again, then every payment given time to end; if some cannot before their locks expire,
    // the chain clock moves past every expiry (the node's routing clock follows the chain) and they are refunded.
    if (net.node() === undefined) await net.startNode();
    for (const c of clients) if (!c.running) await c.start();
    let clockAdvanced = false;
    if (!(await settled(clients, net.store, 30_000))) {
      clockAdvanced = true;
      log("settle: payments still open after 30 s; moving the chain clock past every lock's expiry");
      await net.advanceTime(3n * CHANNEL_TIMEOUT + 600n);
      if (!(await settled(clients, net.store, 120_000))) log("settle: payments still open after the clock moved (the checks will name them)");
    }

    for (const c of clients) await c.stop();
    await net.stopNode();
    log("stopped: every client and the node; checking the stores");
    const files = clients.map((c) => ({ name: c.config.name, address: c.address, channel: c.channel, storeFile: c.config.storeFile }));
    const verdict = await checkStores(net.store, net.chain.url, net.nodeAddress, files, load.attempts);
    if (Object.keys(verdict.evidence).length > 0) {
      // A post-mortem of every payment a check named: the stores' records and the node's log lines about it.
      const lines = net.nodeOutput();
      const out: Record<string, unknown> = {};
      for (const [lockHash, e] of Object.entries(verdict.evidence)) {
        const ids = (e as { transferIds: string[] }).transferIds;
        const keys = [lockHash, ...ids].map((k) => k.toLowerCase());
        out[lockHash] = { ...(e as object), nodeLog: lines.filter((l) => keys.some((k) => l.toLowerCase().includes(k))).slice(0, 60) };
      }
      const file = path.join(tmpdir(), `switchyard-chaos-evidence-${options.seed}.json`);
      await writeFile(file, JSON.stringify(out, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2)).catch((e: unknown) => log(`evidence: not written (${String(e)})`));
      log(`evidence: ${file}`);
    }

    log("close: the node and the clients again, every channel closed cooperatively");
    await net.startNode();
    for (const c of clients) await c.start();
    const closed = await closeAll(net.provider, net.nodeAddress, clients, verdict.balances);
    for (const c of clients) await c.stop();
    await net.stopNode();
    // Every node life's log, for the post-mortem of a failed check or of an INTERNAL_ERROR answer.
    const nodeLog = path.join(tmpdir(), `switchyard-chaos-node-${options.seed}.log`);
    await writeFile(nodeLog, net.nodeOutput().join("\n")).catch((e: unknown) => log(`node log: not written (${String(e)})`));
    log(`node log: ${nodeLog}`);
    const crashes = net.unexpectedExits;
    const checks = [
      ...verdict.checks,
      closed,
      {
        name: "the node never exited by itself",
        passed: crashes.length === 0,
        detail: crashes.length === 0 ? `every node exit was one of the ${faults.filter((f) => f.kind === "node SIGKILL").length} SIGKILLs or a stop` : `${crashes.length} exit(s) on its own: ${crashes.map((c) => `code ${c.code}: ${c.tail.split("\n").slice(-3).join(" / ").slice(0, 300)}`).join("; ")}`,
      },
    ];
    const connectMs = clients.flatMap((c) => c.connectMs);
    return {
      options,
      store: options.store === "pg" ? "PostgreSQL (throwaway cluster)" : "SQLite",
      chain: net.chain.kind,
      payments: { attempted: load.attempts.length, outcomes: verdict.outcomes, invoiceFailures: load.invoiceFailures },
      faults,
      checks,
      clockAdvanced,
      loadSeconds,
      clientStarts: clients.reduce((s, c) => s + c.starts, 0),
      connectMs,
      loadAverage: [loadStart, loadEnd],
      passed: checks.every((c) => c.passed),
    };
  } catch (error) {
    // For the post-mortem: what each client process and the node printed last (errors, stacks).
    for (const c of clients) log(`--- ${c.config.name} (last output) ---\n${c.log().slice(-1500)}`);
    log(`--- the node (last output) ---\n${net.nodeOutput().slice(-40).join("\n").slice(-4000)}`);
    throw error;
  } finally {
    for (const c of clients) await c.kill().catch(() => undefined);
    await proxy.close().catch(() => undefined);
    await net.stop();
  }
}
