/**
 * Shared pieces of `npm run bench`: pinning, clocks, the two parties' fixtures and the update workload.
 */
import { execFileSync } from "node:child_process";

import { Wallet, ZeroAddress, getAddress, id, keccak256, toBeHex } from "ethers";

import { Channel, type ChannelConfig } from "../../src/channel/channel.js";
import { hashlockPolicy } from "../../src/protocol/policies.js";
import { encodeHashlockResolution, encodeHashlockTerms, hashlockLock } from "../../src/protocol/resolvers.js";
import { walletSigner } from "../../src/protocol/signing.js";
import { transferId, type Transfer } from "../../src/protocol/transfers.js";
import type { ChannelSetup, DeploymentLimits, Party, UpdateDetails } from "../../src/protocol/types.js";
import type { ChannelStore } from "../../src/stores/store.js";

/** Pins every thread of this process (JS, V8 helpers, libuv) to CPU 0 where `taskset` exists. */
export function pin(): string {
  if (process.platform !== "linux") return "not pinned (taskset is Linux only)";
  try {
    execFileSync("taskset", ["-a", "-c", "-p", "0", String(process.pid)], { stdio: "ignore" });
    return "pinned to CPU 0 (taskset -a)";
  } catch {
    return "not pinned (taskset unavailable)";
  }
}

/** Wall-clock and process CPU time (all threads), in ms. */
export interface Cost {
  wall: number;
  cpu: number;
}

export const ZERO: Cost = { wall: 0, cpu: 0 };
export const per = (c: Cost, n: number): Cost => ({ wall: c.wall / n, cpu: c.cpu / n });
export const add = (a: Cost, b: Cost): Cost => ({ wall: a.wall + b.wall, cpu: a.cpu + b.cpu });
export const sub = (a: Cost, b: Cost): Cost => ({ wall: a.wall - b.wall, cpu: a.cpu - b.cpu });

export function startClock(): () => Cost {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return { wall: performance.now() - wall, cpu: (used.user + used.system) / 1000 };
  };
}

export function mean(samples: number[]): number {
  return samples.reduce((s, x) => s + x, 0) / samples.length;
}

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** One result line: the rate by wall-clock and by CPU time, and the wall and CPU time per operation. */
export function row(name: string, c: Cost, unit: string): string {
  const rate = (ms: number): string => (1000 / ms).toFixed(0).padStart(6);
  return `  ${name.padEnd(46)} ${rate(c.wall)} ${unit}/s wall ${rate(c.cpu)} ${unit}/s CPU   wall ${c.wall.toFixed(3)} ms  cpu ${c.cpu.toFixed(3)} ms`;
}

export const alice = new Wallet(keccak256(id("bench alice")));
export const bob = new Wallet(keccak256(id("bench bob")));
export const HASHLOCK = getAddress("0x000000000000000000000000000000000000a11c");
export const NOW = 1_800_000_000n;
const limits: DeploymentLimits = { minTimeout: 3_600n, maxTimeout: 30n * 86_400n, assets: new Map() };
const policies = [hashlockPolicy(HASHLOCK)];

let pairsMade = 0;

/**
 * `count` pair numbers never handed out before in this process. Every channel pair a bench creates takes its
 * own, so its channel address, and with it every digest it signs, is new: the SDK remembers signatures it
 * verified lately (src/protocol/signing.ts), and a pair replaying an earlier pair's updates would be measured
 * without its recoveries.
 */
export function freshPairs(count: number): number {
  const first = pairsMade;
  pairsMade += count;
  return first;
}

/** The channel of pair `k` (pairs run side by side in the concurrency benchmarks). */
export function channelOf(k: number): string {
  return getAddress(toBeHex(0xc0ffe00000n + BigInt(k), 20));
}

export function setupOf(k: number): ChannelSetup {
  return { chainId: 31337n, channel: channelOf(k), alice: alice.address, bob: bob.address, timeout: 86_400n };
}

export function config(me: Party, store: ChannelStore, pair = 0): ChannelConfig {
  return { setup: setupOf(pair), me, signer: walletSigner(me === "alice" ? alice : bob), store, limits, resolvers: policies, clock: () => NOW, trustDepositsWithoutChain: true }; // no chain in the bench
}

export const preimage = (i: number): string => toBeHex(BigInt(i) + 1n, 32);

export function transfer(i: number, pair = 0, amount = 1n): Transfer {
  return {
    channel: channelOf(pair),
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

export interface Step {
  proposer: Party;
  details: UpdateDetails;
}

/** The details of `count` alternating updates: alice creates transfer i, bob resolves it with its preimage. */
export function workload(count: number, first: number, pair = 0): Step[] {
  const out: Step[] = [];
  for (let k = 0; k < count; k++) {
    const i = first + (k >> 1);
    const t = transfer(i, pair);
    out.push(
      k % 2 === 0
        ? { proposer: "alice", details: { type: "create", transfer: t } }
        : { proposer: "bob", details: { type: "resolve", transferId: transferId(t), toResponder: 1n, resolverData: encodeHashlockResolution(preimage(i)) } },
    );
  }
  return out;
}

/** One full update: propose → receive → complete. */
export async function update(from: Channel, to: Channel, details: UpdateDetails): Promise<void> {
  const proposal = await from.propose(details);
  await from.complete(await to.receive(proposal));
}

/** Runs prepared steps on a pair, in order. */
export async function runSteps(a: Channel, b: Channel, steps: Step[]): Promise<void> {
  for (const { proposer, details } of steps) {
    if (proposer === "alice") await update(a, b, details);
    else await update(b, a, details);
  }
}

/** A pair of channels on `pair`'s address, created in the two stores and funded by one deposit update. */
export async function fundedPair(aStore: ChannelStore, bStore: ChannelStore, pair = 0): Promise<[Channel, Channel]> {
  const a = await Channel.create(config("alice", aStore, pair));
  const b = await Channel.create(config("bob", bStore, pair));
  await update(a, b, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 10n ** 24n, totalDepositsBob: 10n ** 24n });
  return [a, b];
}
