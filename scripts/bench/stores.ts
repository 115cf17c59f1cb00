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
 * - Time: wall clock (what a user waits, fsyncs included) and this process's CPU time (user + system, all
 *   threads). A PostgreSQL server's own CPU is not in the second figure (it is another process).
 *
 * `benchStores` is the module; `npm run bench:stores` runs it alone (scripts/bench-stores.ts).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { Wallet, ZeroAddress, getAddress, id, keccak256, toBeHex } from "ethers";

import { Channel, type ChannelConfig } from "../../src/channel/channel.js";
import { hashlockPolicy } from "../../src/protocol/policies.js";
import { encodeHashlockResolution, encodeHashlockTerms, hashlockLock } from "../../src/protocol/resolvers.js";
import { tryRecover, walletSigner, type SignRequest } from "../../src/protocol/signing.js";
import { transferId, type Transfer } from "../../src/protocol/transfers.js";
import type { ChannelSetup, DeploymentLimits, Party, UpdateDetails } from "../../src/protocol/types.js";
import { MemoryStore } from "../../src/stores/memory.js";
import type { StoreStats, SwitchyardStore } from "../../src/stores/store.js";

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
}

const aliceWallet = new Wallet(keccak256(id("bench alice")));
const bobWallet = new Wallet(keccak256(id("bench bob")));
const HASHLOCK = getAddress("0x000000000000000000000000000000000000a11c");
const NOW = 1_800_000_000n;
const limits: DeploymentLimits = { minTimeout: 3_600n, maxTimeout: 30n * 86_400n, assets: new Map() };
const policies = [hashlockPolicy(HASHLOCK)];
const signers = { alice: walletSigner(aliceWallet), bob: walletSigner(bobWallet) };

function channelOf(index: number): string {
  return getAddress(toBeHex(0xc0ffee0000n + BigInt(index), 20));
}

function config(index: number, me: Party, store: SwitchyardStore): ChannelConfig {
  const setup: ChannelSetup = {
    chainId: 31337n,
    channel: channelOf(index),
    alice: aliceWallet.address,
    bob: bobWallet.address,
    timeout: 86_400n,
  };
  return { setup, me, signer: signers[me], store, limits, resolvers: policies, clock: () => NOW, trustDepositsWithoutChain: true }; // no chain
}

const preimage = (i: number): string => toBeHex(BigInt(i) + 1n, 32);

function transfer(index: number, i: number): Transfer {
  return {
    channel: channelOf(index),
    resolver: HASHLOCK,
    asset: ZeroAddress,
    amount: 1n,
    initiator: aliceWallet.address,
    responder: bobWallet.address,
    timeout: 3_600n,
    salt: toBeHex(i, 32),
    data: encodeHashlockTerms({ lockHash: hashlockLock(preimage(i)), expiry: NOW + 7n * 86_400n }),
  };
}

/** Update k of a channel: even k, alice creates transfer k/2; odd k, bob resolves it. */
function step(index: number, k: number): { proposer: Party; details: UpdateDetails } {
  const i = k >> 1;
  const t = transfer(index, i);
  return k % 2 === 0
    ? { proposer: "alice", details: { type: "create", transfer: t } }
    : {
        proposer: "bob",
        details: {
          type: "resolve",
          transferId: transferId(t),
          toResponder: 1n,
          resolverData: encodeHashlockResolution(preimage(i)),
        },
      };
}

interface Cost {
  wall: number;
  cpu: number;
}

function startClock(): () => Cost {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return { wall: performance.now() - wall, cpu: (used.user + used.system) / 1000 };
  };
}

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
    if (!("signer" in ra) || ra.signer !== aliceWallet.address || !("signer" in rb) || rb.signer !== bobWallet.address)
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
  const pairs: Array<{ alice: Channel; bob: Channel }> = [];
  for (let index = 0; index < level; index++) {
    const alice = await Channel.create(config(index, "alice", stores.alice));
    const bob = await Channel.create(config(index, "bob", stores.bob));
    const proposal = await alice.propose({
      type: "deposit",
      asset: ZeroAddress,
      totalDepositsAlice: 10n ** 24n,
      totalDepositsBob: 10n ** 24n,
    });
    await alice.complete(await bob.receive(proposal));
    pairs.push({ alice, bob });
  }
  const steps = pairs.map((_, index) => Array.from({ length: perChannel }, (_, k) => step(index, k)));
  const before = sumStats(stores.alice.stats(), stores.bob.stats());
  const stop = startClock();
  await Promise.all(
    pairs.map(async (pair, index) => {
      for (const { proposer, details } of steps[index] ?? []) {
        const [from, to] = proposer === "alice" ? [pair.alice, pair.bob] : [pair.bob, pair.alice];
        const proposal = await from.propose(details);
        await from.complete(await to.receive(proposal));
      }
    }),
  );
  const cost = stop();
  const after = sumStats(stores.alice.stats(), stores.bob.stats());
  const updates = level * perChannel;
  return {
    name: backend,
    channels: level,
    updates,
    updatesPerSecond: (1000 * updates) / cost.wall,
    wallMsPerUpdate: cost.wall / updates,
    cpuMsPerUpdate: cost.cpu / updates,
    commits: after.commits - before.commits,
    units: after.units - before.units,
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
    "| store | channels at once | updates | updates/s | wall ms/update | CPU ms/update | units/commit | over raw signatures (wall) | over memory (wall) | over memory (CPU) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    `| raw signatures (2 signs + 2 recoveries), mean of ${raws.length} samples | | ${raws.reduce((s, r) => s + r.updates, 0)} | ${(1000 / raw.wall).toFixed(0)} | ${raw.wall.toFixed(3)} | ${raw.cpu.toFixed(3)} | | | | |`,
  ];
  for (const r of rows) {
    if (r.name === "raw signatures") continue;
    const memory = rows.find((m) => m.name === "memory" && m.channels === r.channels);
    const perCommit = r.commits === undefined || r.commits === 0 ? "" : ((r.units ?? 0) / r.commits).toFixed(1);
    lines.push(
      `| ${r.name} | ${r.channels} | ${r.updates} | ${r.updatesPerSecond.toFixed(0)} | ${r.wallMsPerUpdate.toFixed(3)} | ${r.cpuMsPerUpdate.toFixed(3)} | ${perCommit} | ${pct(r.wallMsPerUpdate, raw.wall)} | ${memory === undefined || r.name === "memory" ? "" : pct(r.wallMsPerUpdate, memory.wallMsPerUpdate)} | ${memory === undefined || r.name === "memory" ? "" : pct(r.cpuMsPerUpdate, memory.cpuMsPerUpdate)} |`,
    );
  }
  return lines.join("\n");
}
