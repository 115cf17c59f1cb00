/**
 * The node's collateral on the embedded Hardhat network, the node's channels in a SQLite store and the clients
 * in process (their `Channel.receive` is the node's PeerLink): requestCollateral tops up to the policy's target
 * (creating the channel on chain if needed) and reconciles it, refuses above max / without a policy / beyond
 * the capacity before anything is sent, the wire handler acts only for the logged-in client, a routed payment
 * gets just-in-time collateral, excess above max is reclaimed by a cooperative withdraw sent on chain, and a
 * co-signed withdraw never sent is sent on resume.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { Wallet, ZeroAddress, id, parseEther } from "ethers";

import { Channel } from "../../../src/channel/channel.js";
import { ChannelReader } from "../../../src/chain/reader.js";
import { depositAliceCall } from "../../../src/chain/commitments.js";
import type { ConnectionAuth } from "../../../src/node/auth.js";
import {
  CollateralCapacityError,
  CollateralManager,
  CollateralPolicyError,
  nodeBalance,
  proposeVia,
  type ProposeToPeer,
} from "../../../src/node/collateral.js";
import { ensureRouteCollateral, requestCollateralHandler } from "../../../src/node/collateralRpc.js";
import type { Session } from "../../../src/node/rpc.js";
import { TransactionService } from "../../../src/node/transactions.js";
import { hashlockPolicy } from "../../../src/protocol/policies.js";
import { encodeHashlockResolution, hashlockLock } from "../../../src/protocol/resolvers.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import { Node, hashlockTransfer, type PeerLink } from "../../../src/routing/node.js";
import { SqliteStore } from "../../../src/stores/sqlite/index.js";
import { MemoryChannelStore } from "../../../src/stores/store.js";
import { WireError } from "../../../src/wire/codes.js";
import { HOUR, deployEnv, update, wallet, type Env } from "../sdk/onchain.js";

const env: Env = await deployEnv();
const ETH = ZeroAddress;
const TOKEN = "0x00000000000000000000000000000000000000aa";
const POLICY = { asset: ETH, min: parseEther("1"), target: parseEther("3"), max: parseEther("5") };

let dir: string;
let store: SqliteStore;
let nodeWallet: Wallet;
let transactions: TransactionService;
const gauge = new Map<string, bigint>();

interface Client {
  wallet: Wallet;
  node: Channel;
  client: Channel;
  /** The client's Channel as the node's PeerLink (what Node routes through). */
  peer: PeerLink;
  /** The node's updates to the client over that link. */
  link: ProposeToPeer;
  salt: string;
}

let clients = 0;

/** A channel of the node (alice, SQLite) with a new client (bob, in memory); deployed on chain if asked. */
async function client(name: string, options: { deploy?: boolean; bobEth?: bigint } = {}): Promise<Client> {
  const w = await wallet(env, `collateral ${name} ${++clients}`);
  const salt = id(`collateral ${name} ${clients}`);
  const address = await env.factory.channelAddress(nodeWallet.address, w.address, salt);
  if (options.deploy === true)
    await (await env.factory.connect(env.funder).createChannel(nodeWallet.address, w.address, salt)).wait();
  if (options.bobEth !== undefined) await (await w.sendTransaction({ to: address, value: options.bobEth })).wait();
  const common = {
    setup: { chainId: env.chainId, channel: address, alice: nodeWallet.address, bob: w.address, timeout: HOUR },
    limits: env.limits,
    resolvers: [hashlockPolicy(env.hashlock)],
    clock: env.clock.now,
    chain: env.provider,
    deposits: new ChannelReader(env.provider, address).deposits(),
  };
  const node = await Channel.create({ ...common, me: "alice", signer: walletSigner(nodeWallet), store });
  const bob = await Channel.create({ ...common, me: "bob", signer: walletSigner(w), store: new MemoryChannelStore() });
  const peer: PeerLink = { receive: (p) => bob.receive(p) };
  return { wallet: w, node, client: bob, peer, link: proposeVia(node, peer), salt };
}

function manager(salt?: string): CollateralManager {
  return new CollateralManager({
    transactions,
    provider: env.provider,
    node: nodeWallet.address,
    policies: [POLICY],
    limits: env.limits,
    factory: env.factoryAddress,
    ...(salt !== undefined ? { salt } : {}),
    onCollateral: (asset, total) => gauge.set(asset, total),
  });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

function session(address: string | undefined): Session {
  // Only what the handler reads (the logged-in address); the rest of a connection's session is not needed.
  return { id: "c1", auth: { address } as unknown as ConnectionAuth, push: () => undefined } as unknown as Session;
}

describe("CollateralManager", () => {
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "switchyard-collateral-"));
    store = await SqliteStore.open(path.join(dir, "node.sqlite"));
    nodeWallet = await wallet(env, "collateral node");
    transactions = await TransactionService.start({
      store,
      signer: new Wallet(nodeWallet.privateKey),
      provider: env.provider,
      chainId: env.chainId,
      pollIntervalMs: 20,
    });
  });
  after(async () => {
    await transactions.stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("test_request_createsTheChannelDepositsToTargetAndReconcilesIt", async () => {
    const c = await client("request");
    expect(await env.provider.getCode(c.node.address)).to.equal("0x");
    const collateral = manager(c.salt);
    const result = await collateral.request(c.node, ETH, parseEther("2"), c.link);
    expect(result.deposited).to.equal(POLICY.target);
    expect(result.balance).to.equal(POLICY.target);
    expect(result.tx).to.be.a("string");
    expect(await env.provider.getCode(c.node.address)).to.not.equal("0x");
    const reader = new ChannelReader(env.provider, c.node.address);
    expect(await reader.totalDepositsAlice(ETH)).to.equal(POLICY.target);
    expect(nodeBalance(c.node, ETH)).to.equal(POLICY.target);
    expect(c.client.state.nonce).to.equal(c.node.state.nonce);
    expect(c.client.latest?.aliceSignature).to.equal(c.node.latest?.aliceSignature);
    const record = await store.chainTx(`deposit:${c.node.address}:${ETH}:0`);
    expect(record?.status).to.equal("mined");
    expect(record?.value).to.equal(POLICY.target);
    expect(gauge.get(ETH)).to.equal(POLICY.target);

    const txs = (await store.chainTxs()).length;
    const again = await collateral.request(c.node, ETH, parseEther("2"), c.link);
    expect(again.deposited).to.equal(0n);
    expect((await store.chainTxs()).length).to.equal(txs);
  });

  it("test_request_refusesAboveMaxWithoutPolicyAndBeyondCapacityBeforeSending", async () => {
    const c = await client("refuse", { deploy: true });
    const collateral = manager();
    const txs = (await store.chainTxs()).length;
    const above = await rejection(collateral.request(c.node, ETH, POLICY.max + 1n, c.link));
    expect(above).to.be.instanceOf(CollateralPolicyError);
    expect((above as CollateralPolicyError).amount).to.equal(POLICY.max + 1n);
    expect(await rejection(collateral.request(c.node, TOKEN, 1n, c.link))).to.be.instanceOf(CollateralPolicyError);
    expect(await rejection(collateral.request(c.node, ETH, 0n, c.link))).to.be.instanceOf(CollateralPolicyError);

    const full = await client("capacity", { deploy: true, bobEth: parseEther("99") });
    await collateral.reconcile(full.node, ETH, full.link);
    const capped = await rejection(collateral.request(full.node, ETH, parseEther("2"), full.link));
    expect(capped).to.be.instanceOf(CollateralCapacityError);
    expect((capped as CollateralCapacityError).room).to.equal(parseEther("1"));
    expect((await store.chainTxs()).length).to.equal(txs);
    expect(nodeBalance(c.node, ETH)).to.equal(0n);
  });

  it("test_requestCollateralHandler_actsOnlyForTheLoggedInClientWithinPolicy", async () => {
    const c = await client("handler", { deploy: true });
    const other = await client("handler other", { deploy: true });
    const collateral = manager();
    const opened: string[] = [];
    const handler = requestCollateralHandler({
      collateral,
      channelOf: async (address) => {
        opened.push(address);
        if (address === c.wallet.address) return c.node;
        if (address === other.wallet.address) return other.node;
        throw new Error(`no channel for ${address}`);
      },
      proposerOf: (address) => (address === c.wallet.address ? c.link : other.link),
    });
    const anonymous = await rejection(handler({ asset: ETH, amount: 1n }, session(undefined)));
    expect(anonymous).to.be.instanceOf(WireError);
    expect((anonymous as WireError).code).to.equal("UNAUTHORIZED");
    const over = await rejection(handler({ asset: ETH, amount: POLICY.max + 1n }, session(c.wallet.address)));
    expect((over as WireError).code).to.equal("INVALID_PARAMS");
    const done = await handler({ asset: ETH, amount: parseEther("1") }, session(c.wallet.address));
    expect(done.channel).to.equal(c.node.address);
    expect(done.deposited).to.equal(POLICY.target);
    expect(nodeBalance(other.node, ETH)).to.equal(0n);
    expect(opened).to.deep.equal([c.wallet.address, c.wallet.address]);
  });

  it("test_routedPayment_getsJustInTimeCollateralInThePayeesChannel", async () => {
    const payer = await client("payer", { deploy: true, bobEth: parseEther("5") });
    const payee = await client("payee", { deploy: true });
    const collateral = manager();
    await collateral.reconcile(payer.node, ETH, payer.link);
    await env.clock.sync();
    const node = new Node({ address: nodeWallet.address, hashlock: env.hashlock, clock: env.clock.now, store });
    node.addPeer(payer.wallet.address, payer.node, payer.peer);
    node.addPeer(payee.wallet.address, payee.node, payee.peer);
    expect(nodeBalance(payee.node, ETH)).to.equal(0n);

    const now = env.clock.now();
    const preimage = id("collateral jit invoice");
    const lock = hashlockTransfer({
      channel: payer.node.address,
      hashlock: env.hashlock,
      asset: ETH,
      amount: parseEther("1"),
      initiator: payer.wallet.address,
      responder: nodeWallet.address,
      timeout: HOUR,
      lockHash: hashlockLock(preimage),
      expiry: now + 9_400n,
    });
    const route = { recipient: payee.wallet.address, expiry: now + 5_000n };
    const proposal = await payer.client.propose({ type: "create", transfer: lock });
    const topUp = await ensureRouteCollateral(node, collateral, proposal, route, payee.link);
    expect(topUp?.deposited).to.equal(POLICY.target);
    await payer.client.complete(await node.receive(payer.wallet.address, proposal, route));
    const forwarded = node.payment(hashlockLock(preimage));
    expect(forwarded?.status).to.equal("forwarded");

    const claim = await payee.client.propose({
      type: "resolve",
      transferId: forwarded?.downstream?.transferId as string,
      toResponder: parseEther("1"),
      resolverData: encodeHashlockResolution(preimage),
    });
    await payee.client.complete(await node.receive(payee.wallet.address, claim));
    expect(node.payment(hashlockLock(preimage))?.status).to.equal("completed");
    const bobSide = payee.client.state.assets[0];
    expect(bobSide?.balanceBob).to.equal(parseEther("1"));
    expect(nodeBalance(payee.node, ETH)).to.equal(POLICY.target - parseEther("1"));
    expect(nodeBalance(payer.node, ETH)).to.equal(parseEther("1"));
  });

  it("test_reclaim_withdrawsTheExcessAboveMaxDownToTargetOnChain", async () => {
    const c = await client("reclaim", { deploy: true });
    const collateral = manager();
    expect(await collateral.reconcile(c.node, ETH, c.link)).to.equal(false); // nothing new on chain
    const { to, data, value } = depositAliceCall(c.node.address, ETH, parseEther("7")); // anyone may top alice up
    await (await env.funder.sendTransaction({ to, data, value })).wait();
    expect(await collateral.reconcile(c.node, ETH, c.link)).to.equal(true);
    expect(nodeBalance(c.node, ETH)).to.equal(parseEther("7"));

    const before = await env.provider.getBalance(nodeWallet.address);
    const held = await env.provider.getBalance(c.node.address);
    const result = await collateral.reclaim(c.node, ETH, c.link);
    expect(result.withdrawn).to.equal(parseEther("4"));
    expect(result.balance).to.equal(POLICY.target);
    expect(c.client.state.assets[0]?.balanceAlice).to.equal(POLICY.target);
    const receipt = await env.provider.getTransactionReceipt(result.tx as string);
    if (receipt === null) throw new Error("no receipt");
    const gas = receipt.gasUsed * receipt.gasPrice;
    expect(await env.provider.getBalance(nodeWallet.address)).to.equal(before + parseEther("4") - gas);
    expect(await env.provider.getBalance(c.node.address)).to.equal(held - parseEther("4"));
    const reader = new ChannelReader(env.provider, c.node.address);
    const nonce = c.node.snapshot().nextWithdrawNonce - 1n;
    expect(await reader.isWithdrawExecuted(nonce)).to.equal(true);
    expect((await store.chainTx(`withdraw:${c.node.address}:${nonce}`))?.status).to.equal("mined");
    expect((await collateral.reclaim(c.node, ETH, c.link)).withdrawn).to.equal(0n);
    expect(await collateral.resumeWithdrawals(c.node)).to.deep.equal([]);
  });

  it("test_reclaim_buildsItsWithdrawAgainWhenTheClientTookTheWithdrawNonceMeanwhile", async () => {
    const c = await client("reclaim race", { deploy: true, bobEth: parseEther("2") });
    const collateral = manager();
    const { to, data, value } = depositAliceCall(c.node.address, ETH, parseEther("6"));
    await (await env.funder.sendTransaction({ to, data, value })).wait();
    await collateral.reconcile(c.node, ETH, c.link);
    const first = c.node.snapshot().nextWithdrawNonce;
    let calls = 0;
    const racing: ProposeToPeer = async (details) => {
      if (calls++ === 0) {
        // The client's own withdraw lands first and takes the withdraw nonce the node's update was built with.
        await update(c.client, c.node, {
          type: "withdraw",
          party: "bob",
          commitment: {
            asset: ETH,
            recipient: c.wallet.address,
            amount: parseEther("1"),
            nonce: first,
            callTo: ZeroAddress,
            callData: "0x",
          },
        });
      }
      await c.link(details);
    };
    const result = await collateral.reclaim(c.node, ETH, racing);
    expect(calls).to.equal(2);
    expect(result.withdrawn).to.equal(parseEther("3"));
    const reader = new ChannelReader(env.provider, c.node.address);
    expect(await reader.isWithdrawExecuted(first + 1n)).to.equal(true);
    expect(await reader.isWithdrawExecuted(first)).to.equal(false); // the client's, for the client to send
    expect(nodeBalance(c.node, ETH)).to.equal(POLICY.target);
  });

  it("test_restart_joinsTheDepositRecordedBeforeInsteadOfSendingASecondOne", async () => {
    const file = path.join(dir, "restart.sqlite");
    let own = await SqliteStore.open(file);
    const key = await wallet(env, "collateral restart node");
    const b = await wallet(env, "collateral restart client");
    const salt = id("collateral restart");
    await (await env.factory.connect(env.funder).createChannel(key.address, b.address, salt)).wait();
    const address = await env.factory.channelAddress(key.address, b.address, salt);
    const common = {
      setup: { chainId: env.chainId, channel: address, alice: key.address, bob: b.address, timeout: HOUR },
      limits: env.limits,
      resolvers: [hashlockPolicy(env.hashlock)],
      chain: env.provider,
      deposits: new ChannelReader(env.provider, address).deposits(),
    };
    const bob = await Channel.create({
      ...common,
      me: "bob",
      signer: walletSigner(b),
      store: new MemoryChannelStore(),
    });
    const peer: PeerLink = { receive: (p) => bob.receive(p) };
    const services = async (s: SqliteStore): Promise<[TransactionService, CollateralManager]> => {
      const tx = await TransactionService.start({
        store: s,
        signer: new Wallet(key.privateKey),
        provider: env.provider,
        chainId: env.chainId,
        pollIntervalMs: 20,
      });
      const m = new CollateralManager({
        transactions: tx,
        provider: env.provider,
        node: key.address,
        policies: [POLICY],
        limits: env.limits,
      });
      return [tx, m];
    };
    let node = await Channel.create({ ...common, me: "alice", signer: walletSigner(key), store: own });
    let [tx, m] = await services(own);
    const rpc = env.net.provider;
    await rpc.request({ method: "evm_setAutomine", params: [false] });
    try {
      const lost = m.request(node, ETH, parseEther("2"), proposeVia(node, peer)).catch((error: unknown) => error);
      const id0 = `deposit:${address}:${ETH}:0`;
      for (let i = 0; i < 500 && (await own.chainTx(id0))?.status !== "sent"; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect((await own.chainTx(id0))?.status).to.equal("sent");
      await tx.stop(); // the node process ends with the deposit broadcast, not mined
      expect(await lost).to.have.property("code", "TX_SERVICE_STOPPED");
      await own.close();

      own = await SqliteStore.open(file);
      node = await Channel.open({ ...common, me: "alice", signer: walletSigner(key), store: own });
      [tx, m] = await services(own);
      const again = m.request(node, ETH, parseEther("2"), proposeVia(node, peer));
      await new Promise((r) => setTimeout(r, 100));
      await rpc.request({ method: "evm_mine", params: [] });
      await rpc.request({ method: "evm_setAutomine", params: [true] });
      const result = await again;
      expect(result.deposited).to.equal(POLICY.target);
      expect(await env.provider.getTransactionCount(key.address)).to.equal(1);
      expect((await own.chainTxs()).map((t) => t.id)).to.deep.equal([id0]);
      expect(bob.state.nonce).to.equal(node.state.nonce);
    } finally {
      await rpc.request({ method: "evm_setAutomine", params: [true] });
      await tx.stop();
      await own.close();
    }
  });

  it("test_resumeWithdrawals_sendsACoSignedWithdrawThatWasNeverSent", async () => {
    const c = await client("resume", { deploy: true });
    const collateral = manager();
    await collateral.request(c.node, ETH, parseEther("1"), c.link);
    const nonce = c.node.snapshot().nextWithdrawNonce;
    await update(c.node, c.client, {
      type: "withdraw",
      party: "alice",
      commitment: {
        asset: ETH,
        recipient: nodeWallet.address,
        amount: parseEther("1"),
        nonce,
        callTo: ZeroAddress,
        callData: "0x",
      },
    });
    const reader = new ChannelReader(env.provider, c.node.address);
    expect(await reader.isWithdrawExecuted(nonce)).to.equal(false);
    const sent = await collateral.resumeWithdrawals(c.node);
    expect(sent).to.have.length(1);
    expect(sent[0]?.id).to.equal(`withdraw:${c.node.address}:${nonce}`);
    expect(await reader.isWithdrawExecuted(nonce)).to.equal(true);
    expect(await collateral.resumeWithdrawals(c.node)).to.deep.equal([]);
  });
});
