/**
 * Store benchmark (issue 11, item 6): full off-chain updates per second on one core with the memory, SQLite
 * and PostgreSQL stores, with 1, 16 and 256 channels updating concurrently, against the raw signature cost
 * measured in the same run.
 *
 * - One update is propose → receive → complete between two parties in this process, so both sides hash, sign,
 *   verify and store; it alternates hashlock creates (alice) and resolves (bob). Every update makes three store
 *   writes (alice's signature of the next nonce, bob's co-signed state, alice's co-signed state), each one
 *   durable before the next step, as a real exchange over a network needs.
 * - All alice sides share one store and all bob sides another (a node's store holds all its channels); with
 *   many channels updating at once their writes share group commits: `units/commit` shows by how much.
 * - Raw signatures: 2 signs + 2 recoveries with the SDK's own signer and recovery (`walletSigner`,
 *   `tryRecover`), the signature work of one update; measured between the store runs so it sees the same load.
 * - Every row runs on channels no earlier row or warm-up of the process used (`freshPairs`), so every digest
 *   it signs and checks is new, and it counts the recoveries it made (two per update, one on each side): the
 *   SDK remembers signatures it verified lately, and a row replaying earlier digests would skip them (rows of
 *   this bench did before 2026-12-02: memory × 16 measured faster than the signatures alone).
 * - Time: wall clock (what a user waits, fsyncs included) and this process's CPU time (user + system, all
 *   threads). A PostgreSQL server's own CPU is not in the second figure (it is another process).
 *
 * `benchStores` is the module; `npm run bench:stores` runs it alone (scripts/bench-stores.ts).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { keccak256, toBeHex } from "ethers";

import type { Channel } from "../../src/channel/channel.js";
import { secp256k1Backend, setSecp256k1Backend } from "../../src/protocol/secp256k1.js";
import { tryRecover, walletSigner, type SignRequest } from "../../src/protocol/signing.js";
import { MemoryStore } from "../../src/stores/memory.js";
import type { StoreStats, SwitchyardStore } from "../../src/stores/store.js";
import { alice, bob, freshPairs, fundedPair, runSteps, startClock, workload } from "./common.js";
import { counted } from "./signatures.js";

export type StoreBackend = "memory" | "sqlite" | "postgres";

export interface StoreBenchOptions {
  /** Concurrency levels (default 1, 16, 256). */
  channels?: readonly number[];
  /** Backends to run (default all three; postgres needs `postgresUrl`). */
  backends?: readonly StoreBackend[];
  /** A PostgreSQL database URL for the postgres rows (each level gets fresh schemas in it). */
  postgresUrl?: string;
  /** Updates per level: at least this many, and at least `perChannel` per channel (defaults 400 and 4). */
  minUpdates?: number;
  perChannel?: number;
  /** Full updates run before the measured ones, unreported, so the JIT has optimized the hot path (default 5,000). */
  warmupUpdates?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface StoreBenchRow {
  /** "raw signatures" or the store's backend. */
  name: "raw signatures" | StoreBackend;
  channels: number;
  updates: number;
  updatesPerSecond: number;
  wallMsPerUpdate: number;
  cpuMsPerUpdate: number;
  /** Durable commits made by both stores, and units (writes) they carried. */
  commits?: number;
  units?: number;
  /** Signature recoveries per update during the row (2: one on each side). */
  recoveriesPerUpdate?: number;
}

const signers = { alice: walletSigner(alice), bob: walletSigner(bob) };

/** Raw signature work of `count` updates: 2 signs + 2 recoveries each, over distinct digests. */
async function rawSignatures(count: number): Promise<StoreBenchRow> {
  const digests = Array.from({ length: count }, (_, i) => keccak256(toBeHex(BigInt(i) + 7n, 32)));
  const stop = startClock();
  for (const digest of digests) {
    const request = { digest } as SignRequest;
    const sa = await signers.alice.sign(request);
    const sb = await signers.bob.sign(request);
    const ra = tryRecover(digest, sa);
    const rb = tryRecover(digest, sb);
    if (!("signer" in ra) || ra.signer !== alice.address || !("signer" in rb) || rb.signer !== bob.address)
      throw new Error("recover failed");
  }
  const cost = stop();
  return {
    name: "raw signatures",
    channels: 0,
    updates: count,
    updatesPerSecond: (1000 * count) / cost.wall,
    wallMsPerUpdate: cost.wall / count,
    cpuMsPerUpdate: cost.cpu / count,
  };
}

interface Opened {
  alice: SwitchyardStore;
  bob: SwitchyardStore;
}

async function openStores(
  backend: StoreBackend,
  level: number,
  options: StoreBenchOptions,
  dir: string,
): Promise<Opened> {
  if (backend === "memory") {
    const alice = new MemoryStore();
    const bob = new MemoryStore();
    return { alice, bob };
  }
  if (backend === "sqlite") {
    const { SqliteStore } = await import("../../src/stores/sqlite/index.js");
    const alice = await SqliteStore.open(join(dir, `alice-${level}.db`));
    const bob = await SqliteStore.open(join(dir, `bob-${level}.db`));
    return { alice, bob };
  }
  const url = options.postgresUrl;
  if (url === undefined) throw new Error("the postgres rows need postgresUrl");
  const { PostgresStore } = await import("../../src/stores/postgres/index.js");
  const suffix = `${process.pid}_${level}`;
  const alice = await PostgresStore.open({ url, schema: `bench_alice_${suffix}` });
  const bob = await PostgresStore.open({ url, schema: `bench_bob_${suffix}` });
  return { alice, bob };
}

function sumStats(a: StoreStats, b: StoreStats): { commits: number; units: number } {
  return { commits: a.commits + b.commits, units: a.units + b.units };
}

/** `level` funded channels on `stores`, then `perChannel` updates on each, all channels at once. */
async function runLevel(
  backend: StoreBackend,
  stores: Opened,
  level: number,
  perChannel: number,
): Promise<StoreBenchRow> {
  const pairs: Array<[Channel, Channel]> = [];
  const first = freshPairs(level); // channels no earlier run of this process used: every digest is new
  for (let index = 0; index < level; index++) pairs.push(await fundedPair(stores.alice, stores.bob, first + index));
  const steps = pairs.map((_, index) => workload(perChannel, 0, first + index));
  const before = sumStats(stores.alice.stats(), stores.bob.stats());
  const active = secp256k1Backend();
  const counter = counted(active);
  setSecp256k1Backend(counter); // also forgets what the SDK remembered verifying (signing.ts): nothing is skipped
  const stop = startClock();
  try {
    await Promise.all(pairs.map(([a, b], index) => runSteps(a, b, steps[index] ?? [])));
  } finally {
    setSecp256k1Backend(active);
  }
  const cost = stop();
  const after = sumStats(stores.alice.stats(), stores.bob.stats());
  const updates = level * perChannel;
  // Each full update recovers two signatures, one on each side (the proposer's on receive, the answer's on
  // complete); fewer would mean a row measured without them.
  if (counter.recoveries < 2 * updates) {
    throw new Error(`${backend} × ${level}: ${counter.recoveries} recoveries for ${updates} updates (expected at least ${2 * updates})`);
  }
  return {
    name: backend,
    channels: level,
    updates,
    updatesPerSecond: (1000 * updates) / cost.wall,
    wallMsPerUpdate: cost.wall / updates,
    cpuMsPerUpdate: cost.cpu / updates,
    commits: after.commits - before.commits,
    units: after.units - before.units,
    recoveriesPerUpdate: counter.recoveries / updates,
  };
}

/** Runs the store benchmark; returns one row per backend and level, plus raw-signature rows between them. */
export async function benchStores(options: StoreBenchOptions = {}): Promise<StoreBenchRow[]> {
  const levels = options.channels ?? [1, 16, 256];
  const backends =
    options.backends ?? (options.postgresUrl === undefined ? ["memory", "sqlite"] : ["memory", "sqlite", "postgres"]);
  const minUpdates = options.minUpdates ?? 400;
  const perChannelMin = options.perChannel ?? 4;
  const log = options.log ?? ((): void => undefined);
  const dir = await mkdtemp(join(tmpdir(), "switchyard-bench-stores-"));
  const rows: StoreBenchRow[] = [];
  try {
    // Warm-up (JIT) on memory stores, not reported: the steady state takes a few thousand updates (bench.md).
    const warm = await openStores("memory", 0, options, dir);
    await runLevel("memory", warm, 8, Math.ceil((options.warmupUpdates ?? 5_000) / 8));
    await rawSignatures(200);
    // Each backend also runs its own unreported warm-up (its statements, driver and the engine's code on it),
    // as a node runs on one store: 16 channels at once, a quarter of warmupUpdates.
    for (const backend of backends) {
      if (backend === "memory") continue;
      const stores = await openStores(backend, 0, options, dir);
      try {
        await runLevel(backend, stores, 16, Math.ceil((options.warmupUpdates ?? 5_000) / 64));
      } finally {
        await stores.alice.close();
        await stores.bob.close();
      }
    }
    for (const level of levels) {
      const perChannel = Math.max(perChannelMin, Math.ceil(minUpdates / level));
      rows.push(await rawSignatures(Math.max(200, level * perChannel)));
      for (const backend of backends) {
        const stores = await openStores(backend, level, options, dir);
        try {
          const row = await runLevel(backend, stores, level, perChannel);
          log(`  ${backend} × ${level} channels: ${row.updatesPerSecond.toFixed(0)} updates/s`);
          rows.push(row);
        } finally {
          await stores.alice.close();
          await stores.bob.close();
        }
      }
    }
    rows.push(await rawSignatures(400));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

/** The rows as a Markdown table, with each store's overhead over raw signatures and over memory. */
export function storeBenchTable(rows: readonly StoreBenchRow[]): string {
  const raws = rows.filter((r) => r.name === "raw signatures");
  const raw = {
    wall: raws.reduce((s, r) => s + r.wallMsPerUpdate * r.updates, 0) / raws.reduce((s, r) => s + r.updates, 0),
    cpu: raws.reduce((s, r) => s + r.cpuMsPerUpdate * r.updates, 0) / raws.reduce((s, r) => s + r.updates, 0),
  };
  const pct = (x: number, base: number): string => `${x >= base ? "+" : ""}${((x / base - 1) * 100).toFixed(1)}%`;
  const lines = [
    "| store | channels at once | updates | updates/s | wall ms/update | CPU ms/update | units/commit | recoveries/update | over raw signatures (wall) | over memory (wall) | over memory (CPU) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    `| raw signatures (2 signs + 2 recoveries), mean of ${raws.length} samples | | ${raws.reduce((s, r) => s + r.updates, 0)} | ${(1000 / raw.wall).toFixed(0)} | ${raw.wall.toFixed(3)} | ${raw.cpu.toFixed(3)} | | | | | |`,
  ];
  for (const r of rows) {
    if (r.name === "raw signatures") continue;
    const memory = rows.find((m) => m.name === "memory" && m.channels === r.channels);
    const perCommit = r.commits === undefined || r.commits === 0 ? "" : ((r.units ?? 0) / r.commits).toFixed(1);
    lines.push(
      `| ${r.name} | ${r.channels} | ${r.updates} | ${r.updatesPerSecond.toFixed(0)} | ${r.wallMsPerUpdate.toFixed(3)} | ${r.cpuMsPerUpdate.toFixed(3)} | ${perCommit} | ${r.recoveriesPerUpdate?.toFixed(2) ?? ""} | ${pct(r.wallMsPerUpdate, raw.wall)} | ${memory === undefined || r.name === "memory" ? "" : pct(r.wallMsPerUpdate, memory.wallMsPerUpdate)} | ${memory === undefined || r.name === "memory" ? "" : pct(r.cpuMsPerUpdate, memory.cpuMsPerUpdate)} |`,
    );
  }
  return lines.join("\n");
}
