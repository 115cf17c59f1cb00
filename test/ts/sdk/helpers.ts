/** Shared fixtures of the SDK tests. */
import { cp, mkdtemp, readFile, readdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

import { Wallet, ZeroAddress, getAddress, id, keccak256, toBeHex, zeroPadValue } from "ethers";

import { Channel, type Acknowledgement, type ChannelConfig, type Proposal } from "../../../src/channel/channel.js";
import { hashlockPolicy } from "../../../src/protocol/policies.js";
import { encodeHashlockResolution, encodeHashlockTerms, hashlockLock } from "../../../src/protocol/resolvers.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import { MemoryChannelStore, type ChannelStore } from "../../../src/stores/store.js";
import { transferId, type Transfer } from "../../../src/protocol/transfers.js";
import type { ChannelSetup, DeploymentLimits, Party, UpdateContext, UpdateDetails } from "../../../src/protocol/types.js";

/** A small deterministic PRNG (mulberry32), so random sequences replay (shared with the load script). */
export { prng } from "../../../scripts/lib/prng.js";

// Fixed keys so failures replay; never used outside tests.
export const ALICE_KEY = keccak256(id("switchyard test alice"));
export const BOB_KEY = keccak256(id("switchyard test bob"));
export const aliceWallet = new Wallet(ALICE_KEY);
export const bobWallet = new Wallet(BOB_KEY);

export const CHAIN_ID = 31337n;
export const CHANNEL = getAddress("0x00000000000000000000000000000000000c0ffe");
export const HASHLOCK = getAddress("0x000000000000000000000000000000000000a11c");
export const TOKEN = getAddress("0x000000000000000000000000000000000000dEaD");
export const NOW = 1_800_000_000n;
export const TIMEOUT = 86_400n;

export const SETUP: ChannelSetup = {
  chainId: CHAIN_ID,
  channel: CHANNEL,
  alice: aliceWallet.address,
  bob: bobWallet.address,
  timeout: TIMEOUT,
};

export const LIMITS: DeploymentLimits = {
  minTimeout: 3_600n,
  maxTimeout: 30n * 86_400n,
  assets: new Map([[ZeroAddress, { channelCapacity: 100n * 10n ** 18n, transferCap: 10n * 10n ** 18n }]]),
};

export const POLICIES = [hashlockPolicy(HASHLOCK)];

export function context(now: bigint = NOW): UpdateContext {
  return { setup: SETUP, limits: LIMITS, resolvers: new Map(POLICIES.map((p) => [p.address, p])), now };
}

/** A preimage for transfer number `i`. */
export function preimageOf(i: number): string {
  return zeroPadValue(toBeHex(BigInt(i) + 1n), 32);
}

/** A hashlock transfer from `initiator`, number `i` (distinct salt and lock). */
export function hashlockTransfer(i: number, initiator: Party = "alice", amount = 10n ** 15n, expiry = NOW + 7n * 86_400n): Transfer {
  const from = initiator === "alice" ? SETUP.alice : SETUP.bob;
  const to = initiator === "alice" ? SETUP.bob : SETUP.alice;
  return {
    channel: CHANNEL,
    resolver: HASHLOCK,
    asset: ZeroAddress,
    amount,
    initiator: from,
    responder: to,
    timeout: 3_600n,
    salt: id(`salt ${i}`),
    data: encodeHashlockTerms({ lockHash: hashlockLock(preimageOf(i)), expiry }),
  };
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `switchyard-${prefix}-`));
}

/**
 * A copy of a FileChannelStore directory without its lock file, to reopen what a live instance wrote beside it
 * (the live one holds the directory's single-writer lock).
 */
export async function copyOfStore(dir: string): Promise<string> {
  const copy = await tempDir("store-copy");
  await cp(dir, copy, { recursive: true, filter: (source) => basename(source) !== "LOCK" });
  return copy;
}

/** Every file under `dir` with its bytes, to prove a store was left byte-identical. */
export async function snapshotDir(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const name of (await readdir(d)).sort()) {
      const path = join(d, name);
      if ((await stat(path)).isDirectory()) await walk(path);
      else out.set(path, await readFile(path, "latin1"));
    }
  };
  await walk(dir);
  return out;
}

export interface Pair {
  alice: Channel;
  bob: Channel;
  aliceStore: ChannelStore;
  bobStore: ChannelStore;
}

export function config(me: Party, store: ChannelStore, now: () => bigint = () => NOW): ChannelConfig {
  return {
    setup: SETUP,
    me,
    signer: walletSigner(me === "alice" ? aliceWallet : bobWallet),
    store,
    limits: LIMITS,
    resolvers: POLICIES,
    clock: now,
    // These channels run without a chain: deposit claims are taken within capacity (never in a node).
    trustDepositsWithoutChain: true,
  };
}

/** Two parties' channels on the given stores (memory stores by default). */
export async function pair(
  aliceStore: ChannelStore = new MemoryChannelStore(),
  bobStore: ChannelStore = new MemoryChannelStore(),
  now: () => bigint = () => NOW,
): Promise<Pair> {
  const alice = await Channel.create(config("alice", aliceStore, now));
  const bob = await Channel.create(config("bob", bobStore, now));
  return { alice, bob, aliceStore, bobStore };
}

/** Runs one full update from `from` to `to`. */
export async function run(from: Channel, to: Channel, details: Parameters<Channel["propose"]>[0]): Promise<void> {
  const proposal = await from.propose(details);
  const ack = await to.receive(proposal);
  await from.complete(ack);
}

/** Funds a pair: reconciles `alice` and `bob` deposits of ETH. */
export async function fund(p: Pair, alice = 10n ** 19n, bob = 10n ** 19n): Promise<void> {
  await run(p.alice, p.bob, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: alice, totalDepositsBob: bob });
}

/** One co-signed update of `realChannelRun`: its details, the proposal and the acknowledgement that completed it. */
export interface RunStep {
  from: Party;
  details: UpdateDetails;
  proposal: Proposal;
  ack: Acknowledgement;
}

/**
 * A real channel's history on `pair`'s two channels (memory stores): a deposit of 10 ETH each, then `transfers`
 * hashlock transfers created and resolved, the sides alternating. The messages the fast-path tests start from.
 */
export async function realChannelRun(transfers: number): Promise<RunStep[]> {
  const p = await pair(new MemoryChannelStore(), new MemoryChannelStore());
  const steps: Array<{ from: Party; d: UpdateDetails }> = [
    { from: "alice", d: { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 10n ** 19n, totalDepositsBob: 10n ** 19n } },
  ];
  for (let i = 0; i < transfers; i++) {
    const [side, other]: [Party, Party] = i % 2 === 0 ? ["alice", "bob"] : ["bob", "alice"];
    const t = hashlockTransfer(i, side);
    steps.push({ from: side, d: { type: "create", transfer: t } });
    steps.push({
      from: other,
      d: { type: "resolve", transferId: transferId(t), toResponder: t.amount, resolverData: encodeHashlockResolution(preimageOf(i)) },
    });
  }
  const out: RunStep[] = [];
  for (const { from, d } of steps) {
    const [a, b] = from === "alice" ? [p.alice, p.bob] : [p.bob, p.alice];
    const proposal = await a.propose(d);
    const ack = await b.receive(proposal);
    await a.complete(ack);
    out.push({ from, details: d, proposal, ack });
  }
  return out;
}
