/**
 * The node's watchers on the embedded Hardhat network with time travel, the node's channels in a SQLite store:
 * every channel of the store is watched (a new one from the next pass, an undeployed one skipped), a client's
 * stale dispute is refuted through the transaction service (its intent recorded and mined), a lock the node can
 * claim (it holds the preimage, the payer went silent) is disputed, proven and settled before its deadline,
 * `stop()` ends the polling, and the node service's drain (SIGTERM) stops the chain services attached to it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { Wallet, ZeroAddress, id, parseEther } from "ethers";
import { pino, type Logger } from "pino";

import { Commitments } from "../../../src/chain/commitments.js";
import { startChainServices, type ChainServices } from "../../../src/node/chainServices.js";
import { createMetrics } from "../../../src/node/metrics.js";
import { DEFAULT_WIRE_LIMITS } from "../../../src/node/options.js";
import { NodeService } from "../../../src/node/service.js";
import { TxServiceStoppedError } from "../../../src/node/transactions.js";
import { NodeWatchers, ServiceSigner } from "../../../src/node/watchers.js";
import { hashlockPolicy } from "../../../src/protocol/policies.js";
import { encodeHashlockResolution, hashlockLock } from "../../../src/protocol/resolvers.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import { transferId } from "../../../src/protocol/transfers.js";
import { Channel } from "../../../src/channel/channel.js";
import { ChannelReader } from "../../../src/chain/reader.js";
import { hashlockTransfer } from "../../../src/routing/node.js";
import { SqliteStore } from "../../../src/stores/sqlite/index.js";
import { MemoryChannelStore } from "../../../src/stores/store.js";
import { HOUR, deployEnv, exchange, travel, update, wallet, type Env } from "../sdk/onchain.js";

const env: Env = await deployEnv();
const ETH = ZeroAddress;

let dir: string;
let store: SqliteStore;
let nodeWallet: Wallet;
let services: ChainServices;
const metrics = createMetrics();
let count = 0;

interface Pair {
  node: Channel;
  client: Channel;
  clientStore: MemoryChannelStore;
  clientWallet: Wallet;
}

/** A deployed channel of the node (alice, SQLite) with a client (bob) who deposited `bobEth`, reconciled. */
async function pair(name: string, bobEth: bigint, nodeEth = 0n): Promise<Pair> {
  const w = await wallet(env, `watchers ${name} ${++count}`);
  const salt = id(`watchers ${name} ${count}`);
  const factory = env.factory.connect(nodeWallet);
  const address = await factory.channelAddress(nodeWallet.address, w.address, salt);
  await (await w.sendTransaction({ to: address, value: bobEth })).wait();
  if (nodeEth > 0n) {
    await (
      await factory.createChannelAndDeposit(nodeWallet.address, w.address, salt, ETH, nodeEth, { value: nodeEth })
    ).wait();
  } else {
    await (await factory.createChannel(nodeWallet.address, w.address, salt)).wait();
  }
  const reader = new ChannelReader(env.provider, address);
  const common = {
    setup: { chainId: env.chainId, channel: address, alice: nodeWallet.address, bob: w.address, timeout: HOUR },
    limits: env.limits,
    resolvers: [hashlockPolicy(env.hashlock)],
    clock: env.clock.now,
    chain: env.provider,
    deposits: reader.deposits(),
  };
  const node = await Channel.create({ ...common, me: "alice", signer: walletSigner(nodeWallet), store });
  const clientStore = new MemoryChannelStore();
  const client = await Channel.create({ ...common, me: "bob", signer: walletSigner(w), store: clientStore });
  await exchange(node, client, await node.proposeDeposit(ETH));
  return { node, client, clientStore, clientWallet: w };
}

describe("NodeWatchers", () => {
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "switchyard-watchers-"));
    store = await SqliteStore.open(path.join(dir, "node.sqlite"));
    nodeWallet = await wallet(env, "watchers node");
    services = await startChainServices({
      store,
      signer: new Wallet(nodeWallet.privateKey),
      provider: env.provider,
      chainId: env.chainId,
      deployment: { addresses: { ChannelFactory: env.factoryAddress }, limits: env.limits },
      collateral: [],
      receiptPollMs: 20,
      watcherPollMs: 0,
      metrics,
    });
  });
  after(async () => {
    await services.stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("test_tick_refutesAClientsStaleDisputeThroughTheTransactionService", async () => {
    const p = await pair("stale", parseEther("4"), parseEther("2"));
    const stale = await Commitments.load(p.clientStore, p.node.address);
    await env.clock.sync();
    const preimage = id("watchers stale pay");
    const t = hashlockTransfer({
      channel: p.node.address,
      hashlock: env.hashlock,
      asset: ETH,
      amount: parseEther("3"),
      initiator: p.clientWallet.address,
      responder: nodeWallet.address,
      timeout: HOUR,
      lockHash: hashlockLock(preimage),
      expiry: env.clock.now() + 3n * HOUR,
    });
    await update(p.client, p.node, { type: "create", transfer: t });
    await update(p.node, p.client, {
      type: "resolve",
      transferId: transferId(t),
      toResponder: parseEther("3"),
      resolverData: encodeHashlockResolution(preimage),
    });
    const latest = p.node.state.nonce;

    const idle = await services.watchers.tick();
    expect(idle.get(p.node.address)?.phase).to.equal("none");
    expect(services.watchers.channels).to.include(p.node.address);

    await (await p.clientWallet.sendTransaction(stale.dispute())).wait(); // the client disputes its better old state
    const reports = await services.watchers.tick();
    const report = reports.get(p.node.address);
    expect(report?.phase).to.equal("consensus");
    expect(report?.actions.map((a) => a.kind)).to.deep.equal(["refute"]);
    const reader = new ChannelReader(env.provider, p.node.address);
    expect((await reader.dispute()).nonce).to.equal(latest);
    const refute = report?.actions[0]?.txHash as string;
    const recorded = (await store.chainTxs()).find((tx) => tx.receipt?.hash === refute);
    expect(recorded?.id.startsWith(`watch:${p.node.address}:`)).to.equal(true);
    expect(recorded?.status).to.equal("mined");
    expect((await services.watchers.tick()).get(p.node.address)?.actions).to.deep.equal([]);

    await travel(env, HOUR);
    const before = await env.provider.getBalance(nodeWallet.address);
    const defund = (await services.watchers.tick()).get(p.node.address);
    expect(defund?.actions.map((a) => a.kind)).to.deep.equal(["defund"]);
    const receipt = await env.provider.getTransactionReceipt(defund?.actions[0]?.txHash as string);
    if (receipt === null) throw new Error("no receipt");
    // Latest: the node 2 + 3 = 5, the client 4 - 3 = 1 (the stale state said 2 and 4).
    expect(await env.provider.getBalance(nodeWallet.address)).to.equal(
      before + parseEther("5") - receipt.gasUsed * receipt.gasPrice,
    );
    expect((await metrics.chainTxPending.get()).values[0]?.value).to.equal(0);
  });

  it("test_dispute_claimsALockTheNodeHoldsThePreimageOfBeforeItsDeadline", async () => {
    const p = await pair("claim", parseEther("5"));
    await env.clock.sync();
    const preimage = id("watchers claim pay");
    const t = hashlockTransfer({
      channel: p.node.address,
      hashlock: env.hashlock,
      asset: ETH,
      amount: parseEther("2"),
      initiator: p.clientWallet.address,
      responder: nodeWallet.address,
      timeout: HOUR,
      lockHash: hashlockLock(preimage),
      expiry: env.clock.now() + 4n * HOUR,
    });
    await update(p.client, p.node, { type: "create", transfer: t });
    // The node learned the preimage (downstream); the payer goes silent instead of letting it resolve.
    await p.node.learnResolution(transferId(t), encodeHashlockResolution(preimage));

    const opened = await services.watchers.disputeWhereNeeded([p.node.address]);
    expect(opened.map((a) => a.kind)).to.deep.equal(["dispute"]);
    expect(await services.watchers.disputeWhereNeeded([p.node.address])).to.deep.equal([]); // disputed already
    await travel(env, HOUR + 1n);
    const before = await env.provider.getBalance(nodeWallet.address);
    const report = (await services.watchers.tick()).get(p.node.address);
    expect(report?.phase).to.equal("defund");
    expect(report?.actions.map((a) => a.kind)).to.deep.equal(["defund", "disputeTransfer", "claimTransfer"]);
    const reader = new ChannelReader(env.provider, p.node.address);
    const onchain = await reader.transfer(transferId(t));
    expect(onchain.settled).to.equal(true);
    let gas = 0n;
    for (const a of report?.actions ?? []) {
      const r = await env.provider.getTransactionReceipt(a.txHash);
      if (r === null) throw new Error("no receipt");
      gas += r.gasUsed * r.gasPrice;
    }
    // The node had 0 in the channel: the claim pays it the lock's 2 (the defund paid the client its 3).
    expect(await env.provider.getBalance(nodeWallet.address)).to.equal(before + parseEther("2") - gas);
    expect(await env.provider.getBalance(p.node.address)).to.equal(0n);
    for (const a of report?.actions ?? []) {
      const recorded = (await store.chainTxs()).find((tx) => tx.receipt?.hash === a.txHash);
      expect(recorded?.status, a.kind).to.equal("mined");
    }
  });

  it("test_serviceSigner_joinsAnOpenIntentWithTheSameCalldata", async () => {
    const signer = new ServiceSigner(services.transactions, env.provider, "0x000000000000000000000000000000000000bEEF");
    expect(await signer.getAddress()).to.equal(nodeWallet.address);
    const request = { to: "0x000000000000000000000000000000000000bEEF", data: "0x1234", gasLimit: 50_000n };
    const [a, b] = await Promise.all([signer.sendTransaction(request), signer.sendTransaction(request)]);
    expect(a.hash).to.equal(b.hash);
    const c = await signer.sendTransaction(request); // the first is over: a new intent
    expect(c.hash).to.not.equal(a.hash);
    let refused: unknown;
    try {
      await signer.signMessage();
    } catch (error) {
      refused = error;
    }
    expect(refused).to.have.property("code", "TX_SIGNER");
  });

  it("test_start_pollsEveryDeployedChannelSkipsUndeployedOnesAndStopEndsIt", async () => {
    const undeployed = await Channel.create({
      setup: {
        chainId: env.chainId,
        channel: await env.factory.channelAddress(nodeWallet.address, nodeWallet.address, id("never deployed")),
        alice: nodeWallet.address,
        bob: (await wallet(env, "watchers undeployed")).address,
        timeout: HOUR,
      },
      me: "alice",
      signer: walletSigner(nodeWallet),
      store,
      limits: env.limits,
      resolvers: [hashlockPolicy(env.hashlock)],
    });
    const ticks = new Map<string, number>();
    const errors: unknown[] = [];
    const watchers = new NodeWatchers({
      provider: env.provider,
      transactions: services.transactions,
      store,
      pollIntervalMs: 25,
      onReport: (channel) => ticks.set(channel, (ticks.get(channel) ?? 0) + 1),
      logger: { info: () => undefined, error: (e: unknown) => errors.push(e) } as unknown as Logger,
    });
    watchers.start();
    const deployed = (await store.channels()).filter((c) => c !== undeployed.address);
    const end = Date.now() + 5_000;
    while (deployed.some((c) => (ticks.get(c) ?? 0) < 2) && Date.now() < end)
      await new Promise((r) => setTimeout(r, 20));
    await watchers.stop();
    for (const c of deployed) expect(ticks.get(c) ?? 0, c).to.be.at.least(2);
    expect(watchers.channels).to.include(undeployed.address);
    expect(ticks.has(undeployed.address)).to.equal(false);
    expect(errors).to.deep.equal([]);
    const after = [...ticks.values()].reduce((a, b) => a + b, 0);
    await new Promise((r) => setTimeout(r, 120));
    expect([...ticks.values()].reduce((a, b) => a + b, 0)).to.equal(after);
  });

  it("test_tick_readsTheChainsHeadOncePerPassNotTwicePerChannel", async () => {
    await pair("head a", parseEther("1"));
    await pair("head b", parseEther("1"));
    // The provider as the watchers see it, counting the reads of the chain's head (everything else passes through).
    const reads = { getBlock: 0, getBlockNumber: 0 };
    const counted = new Proxy(env.provider, {
      get(target, key) {
        if (key === "getBlock" || key === "getBlockNumber") reads[key]++;
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const watchers = new NodeWatchers({ provider: counted, transactions: services.transactions, store });
    await watchers.tick(); // the first pass also asks each channel for its code (deployed?)
    reads.getBlock = reads.getBlockNumber = 0;
    const head = await env.provider.getBlock("latest");
    const reports = await watchers.tick();
    expect(reports.size).to.be.at.least(2);
    for (const report of reports.values()) {
      expect(report.actions).to.deep.equal([]);
      expect(report.now).to.equal(BigInt(head?.timestamp ?? -1)); // the pass's one head is each channel's time
    }
    // One head for the pass (two if it ran past HEAD_REUSE_MS); before: a getBlock and a getBlockNumber per channel.
    expect(reads.getBlock).to.be.within(1, 2);
    expect(reads.getBlockNumber).to.equal(0);
  });

  it("test_serviceDrain_stopsTheAttachedChainServices", async () => {
    const other = await wallet(env, "watchers drain node");
    const chain = await startChainServices({
      store,
      signer: new Wallet(other.privateKey),
      provider: env.provider,
      chainId: env.chainId,
      deployment: { addresses: {}, limits: env.limits },
      collateral: [],
      watcherPollMs: 60_000,
    });
    const service = await NodeService.start({
      name: "drain test",
      host: "127.0.0.1",
      port: 0,
      chainId: env.chainId,
      wallet: other,
      deployment: {
        addresses: {
          ChannelFactory: env.factoryAddress,
          ChannelMastercopy: await env.factory.mastercopy(),
          HashlockResolver: env.hashlock,
        },
        limits: env.limits,
      },
      fees: { default: { flat: 0n, ppm: 0n }, assets: new Map() },
      collateral: [],
      channelTimeout: HOUR,
      store: { kind: "sqlite", url: ":memory:" },
      wire: DEFAULT_WIRE_LIMITS,
      logger: pino({ level: "silent" }),
    });
    service.attach(chain);
    const sent = await chain.transactions.submit({
      id: "drain:before",
      to: other.address,
      data: "0x",
      purpose: "drain test",
    });
    expect(sent.nonce).to.equal(0n);
    await service.drain();
    let refused: unknown;
    try {
      await chain.transactions.send({ id: "drain:after", to: other.address, data: "0x", purpose: "drain test" });
    } catch (error) {
      refused = error;
    }
    expect(refused).to.be.instanceOf(TxServiceStoppedError);
    expect(await store.chainTx("drain:after")).to.equal(undefined);
  });
});

describe("NodeWatchers polling while the store is away", () => {
  // Found by `npm run chaos` (PostgreSQL restarted under the node): a pass whose channel listing failed
  // (StoreUnavailableError while the database started up) rejected unhandled and ended the node process.
  it("test_start_storeUnavailableDuringAPass_loggedAndTheNextPassTriesAgain", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    const logged: string[] = [];
    const logger = pino({ level: "error" }, { write: (line: string) => void logged.push(line) });
    let listings = 0;
    const away = {
      channels: async () => {
        listings++;
        throw new Error("the database system is starting up (SQLSTATE 57P03)");
      },
    };
    const watchers = new NodeWatchers({ provider: env.provider, transactions: {} as never, store: away as never, pollIntervalMs: 50, logger });
    try {
      watchers.start();
      const end = Date.now() + 10_000;
      while (listings < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await watchers.stop();
      process.off("unhandledRejection", onUnhandled);
    }
    expect(listings, "the passes go on after a failed one").to.be.at.least(3);
    expect(unhandled).to.deep.equal([]);
    expect(logged.some((l) => l.includes("watcher pass failed") && l.includes("57P03"))).to.equal(true);
  });
});
