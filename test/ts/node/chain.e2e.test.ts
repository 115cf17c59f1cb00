/**
 * The node's chain services in the node process (src/cli/main.ts on 127.0.0.1 port 0, against anvil with the
 * contracts deployed), over real sockets: a client's `channel.requestCollateral` answered by the node's deposit
 * as alice (mined, then reconciled with the client); a routed payment to a payee whose channel holds none of the
 * node's balance, which the node tops up just in time before it signs the payer's lock; a client that disputes on
 * chain with a stale state, refuted by the node's watcher inside the node process and, after the dispute window
 * (anvil time travel), defunded by it at the latest state. Every balance is checked on chain at the end.
 */

import { expect } from "chai";
import {
  AbiCoder,
  Contract,
  JsonRpcProvider,
  NonceManager,
  ZeroAddress,
  id,
  type Signer,
} from "ethers";
import WebSocket from "ws";

import type { LocalNode } from "../../../scripts/lib/local-node.js";
import { Commitments } from "../../../src/chain/commitments.js";
import { ChannelReader } from "../../../src/chain/reader.js";
import { encodeHashlockTerms, hashlockLock } from "../../../src/protocol/resolvers.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import type { Transfer } from "../../../src/protocol/transfers.js";
import { MemoryStore } from "../../../src/stores/store.js";
import { ClientSession } from "../../../src/wire/session.js";
import { artifact, forwardedLock, deploy, get, nodeWallet, preimage, until, startChain, startNodeProcess, writeConfig, type NodeProcess } from "./harness.js";
import { clientWalletOf } from "./inProcess.js";

const abi = AbiCoder.defaultAbiCoder();
const ETH = 10n ** 18n;
const T = 3_600n;
const MARGIN = 600n;
const LIMIT = { asset: ZeroAddress, channelCapacity: 100n * ETH, transferCap: 10n * ETH };
/** The node's collateral policy for ETH: min 1, target 2, max 5. */
const POLICY = { asset: ZeroAddress, min: ETH.toString(), target: (2n * ETH).toString(), max: (5n * ETH).toString() };

describe("node chain services (own process, anvil, contracts deployed)", function () {
  this.timeout(240_000);
  let chain: LocalNode;
  let provider: JsonRpcProvider;
  let funder: Signer;
  let node: NodeProcess;
  let addresses: Record<string, string>;
  const walletA = clientWalletOf("chain e2e a");
  const walletB = clientWalletOf("chain e2e b");
  const walletC = clientWalletOf("chain e2e c");
  const storeA = new MemoryStore();
  const storeB = new MemoryStore();
  const sessions: ClientSession[] = [];

  const open = async (wallet: typeof walletA, store: MemoryStore): Promise<ClientSession> => {
    const s = await ClientSession.connect({
      url: node.ws,
      WebSocket: WebSocket as never,
      signer: walletSigner(wallet),
      store,
      chain: provider,
      timeoutMs: 30_000,
    });
    sessions.push(s);
    return s;
  };

  before(async () => {
    chain = await startChain();
    provider = new JsonRpcProvider(chain.url, 31337, { staticNetwork: true, cacheTimeout: -1 });
    funder = new NonceManager(await provider.getSigner(0));
    const factory = await deploy("ChannelFactory", "ChannelFactory", funder, [LIMIT], T, 30n * 86_400n);
    const hashlock = await deploy("HashlockResolver", "resolvers/HashlockResolver", funder);
    const signed = await deploy("SignedTransferResolver", "resolvers/SignedTransferResolver", funder);
    addresses = {
      ChannelFactory: await factory.getAddress(),
      ChannelMastercopy: (await factory.getFunction("mastercopy")()) as string,
      HashlockResolver: await hashlock.getAddress(),
      SignedTransferResolver: await signed.getAddress(),
    };
    for (const w of [nodeWallet, walletA, walletB])
      await (await funder.sendTransaction({ to: w.address, value: 50n * ETH })).wait();
    const config = await writeConfig(chain.url, {
      deployment: {
        addresses,
        limits: {
          minTimeout: T.toString(),
          maxTimeout: (30n * 86_400n).toString(),
          assets: [
            {
              asset: ZeroAddress,
              channelCapacity: LIMIT.channelCapacity.toString(),
              transferCap: LIMIT.transferCap.toString(),
            },
          ],
        },
      },
      channelTimeout: T.toString(),
      collateral: [POLICY],
      watcher: { pollSeconds: 1 },
      transactions: { receiptPollMs: 200 },
      wire: { ratePerSecond: 1000, burst: 1000, maxInFlight: 64 },
    });
    node = await startNodeProcess(config);
  });

  after(async () => {
    for (const s of sessions) await s.close().catch(() => undefined);
    await node?.stop();
    await chain?.stop();
  });

  it("test_e2e_collateralRequestJustInTimeDepositAndStaleDisputeAnsweredByTheNodesWatcher", async () => {
    const a = await open(walletA, storeA);
    const b = await open(walletB, storeB);
    const readerA = new ChannelReader(provider, a.channel.address);
    const readerB = new ChannelReader(provider, b.channel.address);

    // A funds its channel (5 ETH, the node none): counterfactually, creates it, reconciles.
    const clientA = new NonceManager(walletA.connect(provider));
    await (await clientA.sendTransaction({ to: a.channel.address, value: 5n * ETH })).wait();
    const factory = new Contract(
      addresses.ChannelFactory as string,
      ["function createChannel(address,address,bytes32) returns (address)"],
      clientA,
    );
    await (
      await factory.getFunction("createChannel")(nodeWallet.address, walletA.address, "0x" + "00".repeat(32))
    ).wait();
    const totalsA = await readerA.deposits()(ZeroAddress);
    await a.propose({ type: "deposit", asset: ZeroAddress, ...prefix(totalsA) });
    expect(a.channel.state.assets[0]?.balanceAlice).to.equal(0n);

    // B sends 1 ETH to its channel before it exists, then asks the node for 1 ETH of inbound capacity: the node
    // creates the channel with its deposit (the policy's target, 2 ETH) and reconciles both deposits.
    const clientB = new NonceManager(walletB.connect(provider));
    await (await clientB.sendTransaction({ to: b.channel.address, value: ETH })).wait();
    expect(await provider.getCode(b.channel.address)).to.equal("0x");
    const got = await b.requestCollateral(ZeroAddress, ETH);
    expect(got.channel).to.equal(b.channel.address);
    expect(got.deposited).to.equal(2n * ETH);
    expect(got.balance).to.equal(2n * ETH);
    const receipt = await provider.getTransactionReceipt(got.tx as string);
    expect(receipt?.status).to.equal(1);
    expect(receipt?.from).to.equal(nodeWallet.address);
    expect(await readerB.totalDepositsAlice(ZeroAddress)).to.equal(2n * ETH);
    expect(b.channel.state.assets[0]?.balanceAlice).to.equal(2n * ETH);
    expect(b.channel.state.assets[0]?.balanceBob).to.equal(ETH);
    // Asking for less than the node holds sends nothing; above the policy's max is refused with the reason.
    expect((await b.requestCollateral(ZeroAddress, ETH)).deposited).to.equal(0n);
    const refused = await b.requestCollateral(ZeroAddress, 6n * ETH).catch((e: unknown) => e);
    expect((refused as { code: string }).code).to.equal("INVALID_PARAMS");
    expect(await readerB.totalDepositsAlice(ZeroAddress)).to.equal(2n * ETH);
    const stale = await Commitments.load(storeB, b.channel.address); // B: 1 ETH, the node 2
    const staleNonce = b.channel.state.nonce;

    // B pays A 0.4 ETH through the node; A's channel holds none of the node's balance: the node deposits its
    // target there first (just in time), then signs B's lock, forwards it, A resolves, the node claims from B.
    const pay = 4n * (ETH / 10n);
    const lockHash = hashlockLock(preimage("jit")).toLowerCase();
    a.onUpdate((update) => {
      const n = forwardedLock(a.address, update);
      if (n === undefined || n.lockHash !== lockHash) return;
      void a.propose({
        type: "resolve",
        transferId: n.transferId,
        toResponder: n.amount,
        resolverData: abi.encode(["bytes32"], [preimage("jit")]),
      });
    });
    const down = BigInt(Math.floor(Date.now() / 1000)) + T + MARGIN + 300n;
    const lock: Transfer = {
      channel: b.channel.address,
      resolver: addresses.HashlockResolver as string,
      asset: ZeroAddress,
      amount: pay,
      initiator: walletB.address,
      responder: nodeWallet.address,
      timeout: T,
      salt: id("chain e2e jit"),
      data: encodeHashlockTerms({ lockHash, expiry: down + T + MARGIN + 300n }),
    };
    await b.sendPayment({ type: "create", transfer: lock }, { recipient: walletA.address, expiry: down });
    expect(await readerA.totalDepositsAlice(ZeroAddress)).to.equal(2n * ETH); // deposited before the lock
    await until(
      () => b.channel.transfers.size === 0 && a.channel.transfers.size === 0 && a.channel.state.nonce >= 4n,
      "the routed payment completed",
    );
    expect(a.channel.state.assets[0]?.balanceBob).to.equal(5n * ETH + pay);
    expect(a.channel.state.assets[0]?.balanceAlice).to.equal(2n * ETH - pay);
    expect(b.channel.state.assets[0]?.balanceBob).to.equal(ETH - pay);
    expect(b.channel.state.assets[0]?.balanceAlice).to.equal(2n * ETH + pay);

    // The node's metrics: its collateral per asset, and its store commits timed.
    const metrics = (await get(`${node.http}/metrics`)).text;
    expect(metrics).to.match(
      /switchyard_collateral\{asset="0x0000000000000000000000000000000000000000"\} 4000000000000000000$/m,
    ); // 1.6 + 2.4
    const commits = /switchyard_store_commit_duration_seconds_count\{store="sqlite"\} (\d+)/.exec(metrics);
    expect(Number(commits?.[1])).to.be.greaterThan(8);

    // A route the node refuses (the payee's lock would expire too soon) moves no collateral: C's channel, which
    // holds none of the node's balance, is never created.
    const c = await open(walletC, new MemoryStore());
    const short = BigInt(Math.floor(Date.now() / 1000)) + 600n;
    const badLock: Transfer = {
      ...lock,
      salt: id("chain e2e refused"),
      data: encodeHashlockTerms({ lockHash: hashlockLock(preimage("refused")), expiry: short + T + MARGIN + 300n }),
    };
    const bad = await b
      .sendPayment({ type: "create", transfer: badLock }, { recipient: walletC.address, expiry: short })
      .catch((e: unknown) => e);
    expect((bad as { code: string }).code).to.equal("TIMEOUT");
    expect(await provider.getCode(c.channel.address)).to.equal("0x");
    expect(b.channel.transfers.size).to.equal(0);

    // B disputes with its stale state (1 ETH instead of 0.6): the node's watcher refutes it with the latest.
    const latest = b.channel.state.nonce;
    expect(staleNonce < latest).to.equal(true);
    await (await clientB.sendTransaction(stale.dispute())).wait();
    await until(
      async () => (await readerB.dispute()).nonce === latest,
      "the node's watcher refuting the stale dispute",
    );

    // Past the dispute window the node's watcher defunds the channel at the latest state: B gets 0.6 exactly.
    const before = await provider.getBalance(walletB.address);
    await provider.send("evm_increaseTime", [Number(T) + 1]);
    await provider.send("evm_mine", []);
    await until(async () => (await provider.getBalance(b.channel.address)) === 0n, "the node's watcher defunding");
    expect(await provider.getBalance(walletB.address)).to.equal(before + ETH - pay);

    // A's channel on chain holds exactly what its latest co-signed state gives both parties.
    const stateA = a.channel.state.assets[0];
    expect(await provider.getBalance(a.channel.address)).to.equal(
      (stateA?.balanceAlice ?? 0n) + (stateA?.balanceBob ?? 0n),
    );
    expect(await readerA.totalDepositsBob(ZeroAddress)).to.equal(5n * ETH);
    // Every transaction the node sent came from its own account, through its transaction service (log lines).
    expect(node.logs().some((l) => l.msg === "watcher acted")).to.equal(true);
  });
});

/** The deposit intent's totals from the chain's. */
function prefix(t: { alice: bigint; bob: bigint }): { totalDepositsAlice: bigint; totalDepositsBob: bigint } {
  return { totalDepositsAlice: t.alice, totalDepositsBob: t.bob };
}
