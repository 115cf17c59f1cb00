/**
 * `npm run bench`: the SDK's off-chain costs, on one core.
 *
 * 1. Full off-chain updates per second: two parties in this process, each with its own FileChannelStore
 *    (atomic, fsynced writes); an update is propose → receive → complete, so both sides hash, sign, verify and
 *    store. Alternates hashlock creates (alice) and resolves (bob). Also run on memory stores, to separate the
 *    disk's share.
 * 2. Beside it, in the same run (interleaved rounds), the raw cost of the same signatures and recoveries alone
 *    (two ECDSA signs and two recoveries per update), and the SDK's overhead over it, in process CPU time (what
 *    the SDK costs, whatever else the machine runs) and in wall-clock time (what a user waits, fsyncs included).
 * 3. The time to update the transfers root and build a proof at 10, 1,000 and 100,000 active transfers (one
 *    add or one remove, then a proof), and a full update at 100,000 active transfers.
 *
 * Run it with nothing else busy. It pins itself (all threads) to CPU 0 with `taskset` where available.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, open, rename, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";

import { Wallet, ZeroAddress, getAddress, id, keccak256, recoverAddress, toBeHex } from "ethers";

import { Channel, type ChannelConfig } from "../src/channel/channel.js";
import { hashlockPolicy } from "../src/protocol/policies.js";
import type { ChannelRecord } from "../src/protocol/record.js";
import { encodeHashlockResolution, encodeHashlockTerms, hashlockLock } from "../src/protocol/resolvers.js";
import { walletSigner } from "../src/protocol/signing.js";
import { FileChannelStore } from "../src/stores/file.js";
import { MemoryChannelStore, type ChannelStore } from "../src/stores/store.js";
import { IncrementalMerkleTree } from "../src/protocol/merkle.js";
import { TransferSet, transferId, transferLeaf, type Transfer } from "../src/protocol/transfers.js";
import type { ChannelSetup, DeploymentLimits, Party, UpdateDetails } from "../src/protocol/types.js";

function pin(): string {
  if (process.platform !== "linux") return "not pinned (taskset is Linux only)";
  try {
    execFileSync("taskset", ["-a", "-c", "-p", "0", String(process.pid)], { stdio: "ignore" });
    return "pinned to CPU 0 (taskset -a)";
  } catch {
    return "not pinned (taskset unavailable)";
  }
}

const alice = new Wallet(keccak256(id("bench alice")));
const bob = new Wallet(keccak256(id("bench bob")));
const CHANNEL = getAddress("0x00000000000000000000000000000000000c0ffe");
const HASHLOCK = getAddress("0x000000000000000000000000000000000000a11c");
const NOW = 1_800_000_000n;
const setup: ChannelSetup = { chainId: 31337n, channel: CHANNEL, alice: alice.address, bob: bob.address, timeout: 86_400n };
const limits: DeploymentLimits = { minTimeout: 3_600n, maxTimeout: 30n * 86_400n, assets: new Map() };
const policies = [hashlockPolicy(HASHLOCK)];

function config(me: Party, store: ChannelStore): ChannelConfig {
  return { setup, me, signer: walletSigner(me === "alice" ? alice : bob), store, limits, resolvers: policies, clock: () => NOW };
}

const preimage = (i: number): string => toBeHex(BigInt(i) + 1n, 32);

function transfer(i: number, amount = 1n): Transfer {
  return {
    channel: CHANNEL,
    resolver: HASHLOCK,
    asset: ZeroAddress,
    amount,
    initiator: alice.address,
    responder: bob.address,
    timeout: 3_600n,
    salt: toBeHex(i, 32),
    data: encodeHashlockTerms({ lockHash: hashlockLock(preimage(i)), expiry: NOW + 7n * 86_400n }),
  };
}

async function update(from: Channel, to: Channel, details: Parameters<Channel["propose"]>[0]): Promise<void> {
  const proposal = await from.propose(details);
  await from.complete(await to.receive(proposal));
}

/** Wall-clock and process CPU time (all threads), in ms. */
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

const per = (c: Cost, n: number): Cost => ({ wall: c.wall / n, cpu: c.cpu / n });
const add = (a: Cost, b: Cost): Cost => ({ wall: a.wall + b.wall, cpu: a.cpu + b.cpu });
const ZERO: Cost = { wall: 0, cpu: 0 };

/** The details of `count` alternating updates: alice creates transfer i, bob resolves it with its preimage. */
function workload(count: number, first: number): Array<{ proposer: Party; details: UpdateDetails }> {
  const out: Array<{ proposer: Party; details: UpdateDetails }> = [];
  for (let k = 0; k < count; k++) {
    const i = first + (k >> 1);
    const t = transfer(i);
    out.push(
      k % 2 === 0
        ? { proposer: "alice", details: { type: "create", transfer: t } }
        : { proposer: "bob", details: { type: "resolve", transferId: transferId(t), toResponder: 1n, resolverData: encodeHashlockResolution(preimage(i)) } },
    );
  }
  return out;
}

/**
 * Runs `count` create/resolve updates on a funded pair, returning updates per second. The details are built
 * before the clock starts, so only the SDK's work (and the store's) is timed.
 */
async function fullUpdates(a: Channel, b: Channel, count: number, first: number): Promise<Cost> {
  const steps = workload(count, first);
  const stop = startClock();
  for (const { proposer, details } of steps) {
    if (proposer === "alice") await update(a, b, details);
    else await update(b, a, details);
  }
  return per(stop(), count);
}

async function fundedPair(aStore: ChannelStore, bStore: ChannelStore): Promise<[Channel, Channel]> {
  const a = await Channel.create(config("alice", aStore));
  const b = await Channel.create(config("bob", bStore));
  await update(a, b, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 10n ** 24n, totalDepositsBob: 10n ** 24n });
  return [a, b];
}

/** Raw ECDSA: `count` × (2 signs + 2 recoveries) over distinct digests; returns the cost per such group. */
function rawSignatures(count: number): Cost {
  const digests = Array.from({ length: count }, (_, i) => keccak256(toBeHex(i, 32)));
  const stop = startClock();
  for (const digest of digests) {
    const sa = alice.signingKey.sign(digest);
    const sb = bob.signingKey.sign(digest);
    if (recoverAddress(digest, sa) !== alice.address || recoverAddress(digest, sb) !== bob.address) throw new Error("recover");
  }
  return per(stop(), count);
}

function mean(samples: number[]): number {
  return samples.reduce((s, x) => s + x, 0) / samples.length;
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

interface MerkleTimes {
  build: number;
  /** Tree only (leaf known): add a leaf, update the root, build its proof. */
  add: number[];
  /** Tree only: remove a leaf (the last one moves into its place), update the root, build another's proof. */
  remove: number[];
  /** The same add through TransferSet, including hashing the transfer into its id and leaf. */
  addTransfer: number[];
}

/** Root update + proof at `size` active transfers, `ops` times each. */
function merkleAt(size: number, ops: number): MerkleTimes {
  const transfers = Array.from({ length: size }, (_, i) => transfer(i));
  const t0 = performance.now();
  const set = TransferSet.from(transfers);
  const build = performance.now() - t0;
  const tree = IncrementalMerkleTree.fromLeaves(set.list().map((t) => t.leaf));
  const fresh = Array.from({ length: ops }, (_, k) => transfer(10_000_000 + k));
  const freshLeaves = fresh.map((t) => transferLeaf(transferId(t)));
  const times: MerkleTimes = { build, add: [], remove: [], addTransfer: [] };
  for (let k = 0; k < ops; k++) {
    const leaf = freshLeaves[k] as string;
    let s = performance.now();
    tree.add(leaf);
    tree.proof(leaf);
    times.add.push(performance.now() - s);
    const victim = tree.leafAt((k * 7919) % tree.size);
    s = performance.now();
    tree.remove(victim);
    tree.proof(tree.leafAt(k % tree.size));
    times.remove.push(performance.now() - s);
    tree.add(victim); // keep the size
    const t = fresh[k] as Transfer;
    s = performance.now();
    set.add(t);
    set.proof(set.get(transferId(t))?.id as string);
    times.addTransfer.push(performance.now() - s);
    set.remove(transferId(t));
  }
  return times;
}

/** The disk's own cost: one atomic write (temp, fsync, rename, directory fsync) of `bytes` bytes, in ms. */
async function atomicWrites(dir: string, count: number, bytes: number): Promise<Cost> {
  const body = "x".repeat(bytes);
  const stop = startClock();
  for (let i = 0; i < count; i++) {
    const temp = join(dir, ".probe.tmp");
    const file = await open(temp, "w");
    await file.writeFile(body);
    await file.sync();
    await file.close();
    await rename(temp, join(dir, `probe-${i % 4}`));
    const d = await open(dir, "r");
    await d.sync();
    await d.close();
  }
  return per(stop(), count);
}

async function main(): Promise<void> {
  const pinned = pin();
  const dir = await mkdtemp(join(tmpdir(), "switchyard-bench-"));
  try {
    console.log(`Switchyard SDK bench — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${pinned}`);
    console.log(`load average at start: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);

    // Warm-up (JIT), then the measured runs.
    const [wa, wb] = await fundedPair(new MemoryChannelStore(), new MemoryChannelStore());
    await fullUpdates(wa, wb, 300, 0);
    rawSignatures(200);

    // Interleaved rounds, so that the raw figure and the full figures see the same machine load.
    const ROUNDS = 10;
    const PER_ROUND = 100;
    const [fa, fb] = await fundedPair(await FileChannelStore.open(join(dir, "a")), await FileChannelStore.open(join(dir, "b")));
    const [ma, mb] = await fundedPair(new MemoryChannelStore(), new MemoryChannelStore());
    const sum = { raw: ZERO, memory: ZERO, file: ZERO, disk: ZERO };
    for (let r = 0; r < ROUNDS; r++) {
      sum.raw = add(sum.raw, rawSignatures(PER_ROUND));
      sum.memory = add(sum.memory, await fullUpdates(ma, mb, PER_ROUND, 1_000 + r * PER_ROUND));
      sum.file = add(sum.file, await fullUpdates(fa, fb, PER_ROUND, 1_000 + r * PER_ROUND));
      sum.disk = add(sum.disk, await atomicWrites(dir, 3 * 20, 1_200));
    }
    const raw = per(sum.raw, ROUNDS);
    const memory = per(sum.memory, ROUNDS);
    const file = per(sum.file, ROUNDS);
    const disk3 = per(sum.disk, ROUNDS / 3); // three writes
    const pct = (x: number, base: number): string => `${((x / base - 1) * 100).toFixed(1)}%`.padStart(7);
    const row = (name: string, c: Cost, unit: string): string =>
      `  ${name.padEnd(34)} ${(1000 / c.wall).toFixed(0).padStart(5)} ${unit}/s  wall ${c.wall.toFixed(3)} ms  cpu ${c.cpu.toFixed(3)} ms`;
    console.log(`\nFull off-chain updates (both sides hash, sign, verify, store): ${ROUNDS} interleaved rounds of ${PER_ROUND}`);
    console.log(row("raw ECDSA: 2 signs + 2 recoveries", raw, "groups"));
    console.log(row("full update, memory store", memory, "upd"));
    console.log(row("full update, file store (fsync)", file, "upd"));
    console.log(row("disk alone: 3 atomic writes", disk3, "sets"));
    console.log(`  SDK overhead over raw ECDSA, CPU time:  memory store ${pct(memory.cpu, raw.cpu)}   file store ${pct(file.cpu, raw.cpu)}`);
    console.log(`  SDK overhead over raw ECDSA, wall time: memory store ${pct(memory.wall, raw.wall)}   file store ${pct(file.wall, raw.wall)}` +
      ` (of which the 3 fsynced writes alone ${((disk3.wall / raw.wall) * 100).toFixed(1)}%)`);

    console.log("\nTransfers root update + proof (incremental tree), mean (p99) per operation:");
    const us = (xs: number[]): string => `${(mean(xs) * 1000).toFixed(1)} µs (${(percentile(xs, 99) * 1000).toFixed(1)})`;
    for (const [size, ops] of [[10, 2_000], [1_000, 2_000], [100_000, 2_000]] as const) {
      const r = merkleAt(size, ops);
      console.log(
        `  ${size.toLocaleString("en").padStart(7)} active: add+root+proof ${us(r.add)}, remove+root+proof ${us(r.remove)}, ` +
          `with transfer hashing ${us(r.addTransfer)}; from-scratch build ${r.build.toFixed(0)} ms`,
      );
    }

    // A full update at 100,000 active transfers: the channel is seeded with a record holding them.
    const SIZE = 100_000;
    const seeded = TransferSet.from(Array.from({ length: SIZE }, (_, i) => transfer(i)));
    const stores = { a: await FileChannelStore.open(join(dir, "big-a")), b: await FileChannelStore.open(join(dir, "big-b")) };
    const record = (me: Party): ChannelRecord => ({
      setup,
      me,
      state: {
        nonce: 1n,
        timeout: setup.timeout,
        transfersRoot: seeded.root,
        assets: [{ asset: ZeroAddress, balanceAlice: 10n ** 24n, balanceBob: 10n ** 24n, processedAlice: 10n ** 24n + BigInt(SIZE), processedBob: 10n ** 24n, defundNonce: 1n }],
      },
      transfers: seeded.list().map((t) => ({ id: t.id, transfer: t.transfer })),
      nextWithdrawNonce: 1n,
      withdrawals: [],
      closed: false,
      resolutions: {},
    });
    const t0 = performance.now();
    await stores.a.create(record("alice"));
    await stores.b.create(record("bob"));
    const seedMs = (performance.now() - t0) / 2;
    const ba = await Channel.open(config("alice", stores.a));
    const bb = await Channel.open(config("bob", stores.b));
    const BIG = 400;
    const big = await fullUpdates(ba, bb, BIG, SIZE + 1);
    console.log(`\nFull update at ${SIZE.toLocaleString("en")} active transfers (file store, ${BIG} updates): wall ${big.wall.toFixed(3)} ms, cpu ${big.cpu.toFixed(3)} ms per update`);
    console.log(`  (writing that record whole, as a checkpoint does once per ${SIZE.toLocaleString("en")} entries: ${seedMs.toFixed(0)} ms)`);
    console.log(`load average at end: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
