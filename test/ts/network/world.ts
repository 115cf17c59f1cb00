/**
 * Real processes for the network tests: a local chain with the contracts deployed, node processes on 127.0.0.1
 * (port 0) that peer with each other (`peers` config; the higher address dials the lower), and users on them
 * (ClientSession over real sockets). `startNetwork` takes the nodes in address order, their timeouts, fees and
 * channels; `startWorld` is the three-node line where B has the highest address: B dials A and C (bob in both of
 * its node channels), A and C sequence theirs.
 *
 *   U1 ─ A ═ B ═ C ─ U3        (and U4 on B)
 */
import path from "node:path";

import { expect } from "chai";

import { AbiCoder, Contract, ContractFactory, JsonRpcProvider, NonceManager, Wallet, ZeroAddress, id, keccak256, type Signer } from "ethers";
import WebSocket from "ws";

import type { LocalNode } from "../../../scripts/lib/local-node.js";
import { ChannelReader } from "../../../src/chain/reader.js";
import { computeChannelAddress } from "../../../src/protocol/channelAddress.js";
import { encodeHashlockTerms, hashlockLock } from "../../../src/protocol/resolvers.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import type { Transfer } from "../../../src/protocol/transfers.js";
import { MemoryStore } from "../../../src/stores/store.js";
import type { ChannelRecord } from "../../../src/protocol/record.js";
import { openNodeStore } from "../../../src/node/store.js";
import { CHAIN_CLOCK_SAMPLE_MS } from "../../../src/node/chainClock.js";
import { CHANNEL_SALT } from "../../../src/node/channels.js";
import { ClientSession, type Route } from "../../../src/wire/session.js";
import { artifact, forwardedLock, nodeEnv, preimage, startChain, startNodeProcess, until, writeConfig, type NodeProcess } from "../node/harness.js";

export const ETH = 10n ** 18n;
export const MARGIN = 600n; // the node's DEFAULT_SAFETY_MARGIN
/** A's channels (its users' and A–B) are long, C's short: a route A → B → C keeps every hop's settle window. */
export const TIMEOUTS = { A: 7_200n, B: 1_800n, C: 1_800n } as const;
export const FEE = { flat: 1_000n, ppm: 100n };
const abi = AbiCoder.defaultAbiCoder();

export type NodeName = "A" | "B" | "C";

export interface NetNode {
  name: string;
  wallet: Wallet;
  config: string;
  store: string;
  proc: NodeProcess;
}

export interface World<N extends string = NodeName> {
  chain: LocalNode;
  provider: JsonRpcProvider;
  funder: Signer;
  addresses: Record<string, string>;
  nodes: Record<N, NetNode>;
  /** The node channels, each as [alice, bob] (bob dials alice). */
  links: Array<[N, N]>;
  sessions: ClientSession[];
  /** Restarts `name` on its config (same port for a node others dial: their configs name its URL). */
  restart(name: N): Promise<void>;
  /** Prints each node's warnings and peering lines (after a failure). */
  dump(): void;
  stop(): Promise<void>;
}

/** One key per name, the names given from the lowest address to the highest. */
function nodeKeys<N extends string>(tag: string, order: readonly N[]): Record<N, Wallet> {
  const wallets = order.map((_, i) => new Wallet(keccak256(id(`switchyard network test ${tag} ${i}`))));
  wallets.sort((x, y) => (BigInt(x.address) < BigInt(y.address) ? -1 : 1));
  return Object.fromEntries(order.map((name, i) => [name, wallets[i] as Wallet])) as Record<N, Wallet>;
}

/** What `startNetwork` starts: the nodes from the lowest address to the highest, and their settings and channels. */
export interface NetworkSpec<N extends string> {
  order: readonly N[];
  /** Each node's `channelTimeout` (the timeout of the channels it is alice of: its users' and lower-address peers'). */
  timeouts: Record<N, bigint>;
  /** Each node's fee schedule (default FEE). */
  fees?: Partial<Record<N, { flat: bigint; ppm: bigint }>>;
  /** The node channels (either order). */
  links: Array<[N, N]>;
}

/** Three node processes U1 ─ A ═ B ═ C ─ U3, B the highest address (it dials A and C). */
export function startWorld(tag: string): Promise<World> {
  return startNetwork(tag, { order: ["A", "C", "B"], timeouts: TIMEOUTS, links: [["A", "B"], ["C", "B"]] });
}

export async function startNetwork<N extends string>(tag: string, spec: NetworkSpec<N>): Promise<World<N>> {
  const chain = await startChain();
  const provider = new JsonRpcProvider(chain.url, 31337, { staticNetwork: true, cacheTimeout: -1 });
  const funder = new NonceManager(await provider.getSigner(0));
  const limit = { asset: ZeroAddress, channelCapacity: 100n * ETH, transferCap: 10n * ETH };
  const factoryArt = await artifact("ChannelFactory");
  const factory = await new ContractFactory(factoryArt.abi, factoryArt.bytecode, funder).deploy([limit], 600n, 30n * 86_400n);
  await factory.waitForDeployment();
  const hl = await artifact("HashlockResolver", "resolvers/HashlockResolver");
  const hashlock = await new ContractFactory(hl.abi, hl.bytecode, funder).deploy();
  const st = await artifact("SignedTransferResolver", "resolvers/SignedTransferResolver");
  const signed = await new ContractFactory(st.abi, st.bytecode, funder).deploy();
  const addresses = {
    ChannelFactory: await factory.getAddress(),
    ChannelMastercopy: (await (factory as Contract).getFunction("mastercopy")()) as string,
    HashlockResolver: await hashlock.getAddress(),
    SignedTransferResolver: await signed.getAddress(),
  };
  const keys = nodeKeys(tag, spec.order);
  for (const k of Object.values<Wallet>(keys)) await (await funder.sendTransaction({ to: k.address, value: 50n * ETH })).wait();
  const base = (name: N, peers: unknown[]): Record<string, unknown> => ({
    name: `Switchyard node ${name}`,
    deployment: {
      addresses,
      limits: {
        minTimeout: "600",
        maxTimeout: (30n * 86_400n).toString(),
        assets: [{ asset: ZeroAddress, channelCapacity: limit.channelCapacity.toString(), transferCap: limit.transferCap.toString() }],
      },
    },
    channelTimeout: spec.timeouts[name].toString(),
    collateral: [{ asset: ZeroAddress, min: (2n * ETH).toString(), target: (5n * ETH).toString(), max: (10n * ETH).toString() }],
    fees: { default: { flat: (spec.fees?.[name] ?? FEE).flat.toString(), ppm: (spec.fees?.[name] ?? FEE).ppm.toString() }, assets: [] },
    wire: { ratePerSecond: 1000, burst: 1000, maxInFlight: 64 },
    watcher: { pollSeconds: 1 },
    transactions: { receiptPollMs: 200 },
    peers,
  });
  const env = (w: Wallet): NodeJS.ProcessEnv => ({ ...nodeEnv(), SWITCHYARD_TEST_NODE_KEY: w.privateKey });
  const make = async (name: N, peers: unknown[], port = 0): Promise<NetNode> => {
    const config = await writeConfig(chain.url, { ...base(name, peers), listen: { host: "127.0.0.1", port } });
    const proc = await startNodeProcess(config, env(keys[name]));
    return { name, wallet: keys[name], config, store: path.join(path.dirname(config), "node.sqlite"), proc };
  };
  const rank = (n: N): number => spec.order.indexOf(n);
  const links = spec.links.map(([x, y]) => (rank(x) < rank(y) ? [x, y] : [y, x]) as [N, N]);
  const nodes = {} as Record<N, NetNode>;
  for (const name of spec.order) {
    // A lower address is alice and listens: it started before, and its URL is known.
    const peers = links.flatMap(([alice, bob]) =>
      alice === name ? [{ address: keys[bob].address }] : bob === name ? [{ address: keys[alice].address, url: nodes[alice].proc.ws }] : [],
    );
    nodes[name] = await make(name, peers);
  }
  const sessions: ClientSession[] = [];
  return {
    chain,
    provider,
    funder,
    addresses,
    nodes,
    links,
    sessions,
    restart: async (name) => {
      const n = nodes[name];
      n.proc = await startNodeProcess(n.config, env(n.wallet));
    },
    dump: () => {
      for (const n of Object.values<NetNode>(nodes)) {
        const lines = n.proc.logs().filter((l) => Number(l.level) >= 40 || /peer|routing|collateral/.test(String(l.msg)));
        console.log(`── node ${n.name} (${n.wallet.address}) ──`);
        for (const l of lines.slice(-40)) console.log(JSON.stringify(l).slice(0, 600));
      }
    },
    stop: async () => {
      for (const s of sessions) await s.close().catch(() => undefined);
      for (const n of Object.values<NetNode>(nodes)) await n.proc.stop();
      provider.destroy();
      await chain.stop();
    },
  };
}

/** The address of the node channel between `alice` and `bob`. */
export function nodeChannel<N extends string>(w: World<N>, alice: N, bob: N): string {
  const { ChannelFactory, ChannelMastercopy } = w.addresses as Record<string, string>;
  return computeChannelAddress(ChannelFactory as string, ChannelMastercopy as string, w.nodes[alice].wallet.address, w.nodes[bob].wallet.address, CHANNEL_SALT);
}

/** Waits until every node channel is funded both ways (alice's deposits, and bob's own reconciled by each bob). */
export async function peered<N extends string>(w: World<N>): Promise<void> {
  for (const [alice, bob] of w.links) {
    const channel = nodeChannel(w, alice, bob);
    await until(async () => {
      const d = await new ChannelReader(w.provider, channel).deposits()(ZeroAddress).catch(() => undefined);
      return d !== undefined && d.alice >= 5n * ETH && d.bob >= 5n * ETH;
    }, `channel ${alice}–${bob} funded on chain both ways`, 60_000, 250);
  }
  for (const name of Object.keys(w.nodes) as N[]) {
    const dials = w.links.filter(([, bob]) => bob === name).length;
    const node = w.nodes[name];
    await until(() => node.proc.logs().filter((l) => l.msg === "peer channel funded (bob)").length >= dials, `${name}'s deposits reconciled`, 60_000, 250);
  }
}

/** A user of `node`, logged in, its channel funded with `deposit` of its own (the node deposits first: it creates the channel). */
export async function user<N extends string>(w: World<N>, node: NetNode, name: string, deposit: bigint): Promise<{ session: ClientSession; wallet: Wallet; store: MemoryStore }> {
  const wallet = new Wallet(keccak256(id(`switchyard network user ${name}`)));
  await (await w.funder.sendTransaction({ to: wallet.address, value: 20n * ETH })).wait();
  const store = new MemoryStore();
  const session = await ClientSession.connect({ url: node.proc.ws, WebSocket: WebSocket as never, signer: walletSigner(wallet), store, chain: w.provider, timeoutMs: 20_000 });
  w.sessions.push(session);
  await session.requestCollateral(ZeroAddress, 3n * ETH); // the node deposits as alice and creates the channel
  if (deposit > 0n) {
    const payer = new NonceManager(wallet.connect(w.provider));
    await (await payer.sendTransaction({ to: session.channel.address, value: deposit })).wait();
    const totals = await new ChannelReader(w.provider, session.channel.address).deposits()(ZeroAddress);
    await session.propose({ type: "deposit", asset: ZeroAddress, totalDepositsAlice: totals.alice, totalDepositsBob: totals.bob });
  }
  return { session, wallet, store };
}

/** The chain's time (seconds). */
export async function chainNow<N extends string>(w: World<N>): Promise<bigint> {
  const block = await w.provider.getBlock("latest");
  return BigInt(block?.timestamp ?? Math.floor(Date.now() / 1000));
}

/** Moves the chain's clock on by `seconds` (and mines a block). The nodes read lock expiry against it. */
/**
 * Moves the chain's time forward and mines a block, then waits until every node has sampled it: a node's routing
 * clock follows the chain by sampling its latest block every CHAIN_CLOCK_SAMPLE_MS (src/node/chainClock.ts), so
 * a payment planned on the new chain time right away could reach a node whose clock is still before the jump,
 * which then (rightly) refuses its expiries as too far ahead (a flaky failure seen on CI).
 */
export async function travel<N extends string>(w: World<N>, seconds: bigint): Promise<void> {
  await w.provider.send("evm_increaseTime", [Number(seconds)]);
  await w.provider.send("evm_mine", []);
  await new Promise((resolve) => setTimeout(resolve, 2 * CHAIN_CLOCK_SAMPLE_MS + 100));
}

export function fee(amountOut: bigint): bigint {
  return FEE.flat + (amountOut * FEE.ppm) / 1_000_000n;
}

export interface Hop {
  /** The node that receives this hop's lock and forwards it, or the payee. */
  recipient: string;
  /** The channel timeout of the channel the recipient receives the lock in. */
  timeout: bigint;
}

/**
 * The payer's lock and route over `nodes` (the forwarding nodes after the payer's own, the payee last): amounts
 * back from the payee's (each node's fee added), expiries back from the payee's lock (each upstream hop later by
 * its channel's timeout + margin + slack), the payer's own lock timeout `payerTimeout`.
 */
export function networkPayment(
  payer: ClientSession,
  hashlock: string,
  tag: string,
  amount: bigint,
  hops: Hop[],
  now: bigint,
  payerTimeout: bigint,
  /** The fee of the payer's node, then of each hop's recipient that forwards (default `fee` for each). */
  fees: ReadonlyArray<(amountOut: bigint) => bigint> = [],
): { intent: { type: "create"; transfer: Transfer }; route: Route; lockHash: string; amounts: bigint[]; expiries: bigint[] } {
  const n = hops.length;
  const amounts: bigint[] = new Array<bigint>(n);
  const expiries: bigint[] = new Array<bigint>(n);
  const last = hops[n - 1] as Hop;
  amounts[n - 1] = amount;
  expiries[n - 1] = now + last.timeout + MARGIN + 300n;
  const feeAt = (i: number): ((amountOut: bigint) => bigint) => fees[i] ?? fee;
  for (let i = n - 2; i >= 0; i--) {
    amounts[i] = (amounts[i + 1] as bigint) + feeAt(i + 1)(amounts[i + 1] as bigint);
    expiries[i] = (expiries[i + 1] as bigint) + (hops[i] as Hop).timeout + MARGIN; // the forwarder's upstream: hop i's channel
  }
  const lockAmount = (amounts[0] as bigint) + feeAt(0)(amounts[0] as bigint);
  const lockExpiry = (expiries[0] as bigint) + payerTimeout + MARGIN;
  const setup = payer.channel.channelSetup;
  const lockHash = hashlockLock(preimage(tag)).toLowerCase();
  const transfer: Transfer = {
    channel: setup.channel,
    resolver: hashlock,
    asset: ZeroAddress,
    amount: lockAmount,
    initiator: setup.bob,
    responder: setup.alice,
    timeout: payerTimeout,
    salt: id(`network ${tag}`),
    data: encodeHashlockTerms({ lockHash, expiry: lockExpiry }),
  };
  const path = hops.slice(1).map((h, i) => ({ recipient: h.recipient, expiry: expiries[i + 1] as bigint, amount: amounts[i + 1] as bigint }));
  const route: Route = {
    recipient: (hops[0] as Hop).recipient,
    expiry: expiries[0] as bigint,
    amount: amounts[0] as bigint,
    ...(path.length > 0 ? { path } : {}),
  };
  return { intent: { type: "create", transfer }, route, lockHash, amounts: [lockAmount, ...amounts], expiries: [lockExpiry, ...expiries] };
}

/** The payee resolves every lock forwarded to it whose preimage it knows (tags by lock hash). */
export function autoResolve(payee: ClientSession, known: Map<string, string>): void {
  payee.onUpdate((update) => {
    const n = forwardedLock(payee.address, update);
    const tag = n === undefined ? undefined : known.get(n.lockHash);
    if (n === undefined || tag === undefined) return;
    void payee
      .propose({ type: "resolve", transferId: n.transferId, toResponder: n.amount, resolverData: abi.encode(["bytes32"], [preimage(tag)]) })
      .catch(() => undefined);
  });
}

/** Every channel record of a node's store (read after the node stopped). */
export async function storedChannels(node: NetNode): Promise<ChannelRecord[]> {
  const store = await openNodeStore({ kind: "sqlite", url: node.store });
  try {
    const out: ChannelRecord[] = [];
    for (const address of await store.channels()) {
      const r = await store.load(address);
      if (r !== undefined) out.push(r);
    }
    return out;
  } finally {
    await store.close();
  }
}

/**
 * Every node's books, read from its store after every node stopped, checked: no active lock in any channel, both
 * sides of each node channel hold the same latest state, and each channel's ETH on chain is its co-signed
 * balances. Returns what each node holds across its channels minus what it deposited (its fees), and how many
 * channels both sides hold (the node channels).
 */
export async function checkBooks<N extends string>(w: World<N>): Promise<{ earned: Record<N, bigint>; nodeChannels: number }> {
  const names = Object.keys(w.nodes) as N[];
  const books = {} as Record<N, ChannelRecord[]>;
  for (const name of names) books[name] = await storedChannels(w.nodes[name]);
  const byChannel = new Map<string, ChannelRecord[]>();
  for (const records of Object.values<ChannelRecord[]>(books))
    for (const r of records) byChannel.set(r.setup.channel, [...(byChannel.get(r.setup.channel) ?? []), r]);
  let nodeChannels = 0;
  for (const [address, records] of byChannel) {
    for (const r of records) expect(r.transfers, `${address} has no active lock`).to.have.length(0);
    if (records.length === 2) {
      nodeChannels++;
      expect(records[0]?.latest?.state).to.deep.equal(records[1]?.latest?.state);
    }
    const state = records[0]?.latest?.state.assets.find((a) => a.asset === ZeroAddress);
    expect(await w.provider.getBalance(address), address).to.equal((state?.balanceAlice ?? 0n) + (state?.balanceBob ?? 0n));
  }
  const earned = {} as Record<N, bigint>;
  for (const name of names) {
    const me = w.nodes[name].wallet.address;
    let total = 0n;
    for (const r of books[name]) {
      const a = r.latest?.state.assets.find((x) => x.asset === ZeroAddress);
      if (a === undefined) continue;
      total += r.me === "alice" ? a.balanceAlice - a.processedAlice : a.balanceBob - a.processedBob;
      expect([r.setup.alice, r.setup.bob]).to.include(me);
    }
    earned[name] = total;
  }
  return { earned, nodeChannels };
}
