/**
 * The node as its own process (src/cli/main.ts) on 127.0.0.1 port 0, against anvil with the contracts
 * deployed, and clients over real sockets (src/wire/session.ts): login, deposits reconciled against the chain,
 * payments both ways routed through the node, restore into an empty client store, the node SIGKILLed while a
 * forward waits for an offline payee and restarted (the payment completes, never also refunds), a cooperative
 * withdraw executed on chain, and every channel's balance checked against the chain at the end.
 */

import { expect } from "chai";
import {
  AbiCoder,
  Contract,
  ContractFactory,
  JsonRpcProvider,
  NonceManager,
  ZeroAddress,
  id,
  type Signer,
} from "ethers";
import WebSocket from "ws";

import type { LocalNode } from "../../../scripts/lib/local-node.js";
import { CHANNEL_ABI } from "../../../src/chain/abi.js";
import { ChannelReader } from "../../../src/chain/reader.js";
import { hashlockLock, encodeHashlockTerms } from "../../../src/protocol/resolvers.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import type { Transfer } from "../../../src/protocol/transfers.js";
import { MemoryStore } from "../../../src/stores/store.js";
import { ClientSession, type PaymentNotice } from "../../../src/wire/session.js";
import { artifact, forwardedLock, nodeWallet, preimage, until, startChain, startNodeProcess, writeConfig, type NodeProcess } from "./harness.js";
import { clientWalletOf } from "./inProcess.js";

const abi = AbiCoder.defaultAbiCoder();
const ETH = 10n ** 18n;
const T = 3_600n; // the channels' dispute timeout (the deployment's minimum: short routes)
const MARGIN = 600n;
const LIMIT = { asset: ZeroAddress, channelCapacity: 100n * ETH, transferCap: 10n * ETH };

describe("node over the wire (own process, anvil, contracts deployed)", function () {
  this.timeout(240_000);
  let chain: LocalNode;
  let provider: JsonRpcProvider;
  let funder: Signer;
  /** The node operator's account (the node's key) for its deposits as alice. */
  let operator: NonceManager;
  let node: NodeProcess;
  let config: string;
  let addresses: Record<string, string>;
  const walletA = clientWalletOf("e2e a");
  const walletB = clientWalletOf("e2e b");
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
      timeoutMs: 20_000,
    });
    sessions.push(s);
    return s;
  };

  const payment = (payer: ClientSession, payee: ClientSession, tag: string, amount: bigint) => {
    const setup = payer.channel.channelSetup;
    const down = BigInt(Math.floor(Date.now() / 1000)) + T + MARGIN + 300n;
    const lock: Transfer = {
      channel: setup.channel,
      resolver: addresses.HashlockResolver as string,
      asset: ZeroAddress,
      amount,
      initiator: setup.bob,
      responder: setup.alice,
      timeout: T,
      salt: id(`e2e ${tag}`),
      data: encodeHashlockTerms({ lockHash: hashlockLock(preimage(tag)), expiry: down + T + MARGIN + 300n }),
    };
    return { intent: { type: "create" as const, transfer: lock }, route: { recipient: payee.address, expiry: down } };
  };

  /** The payee resolves every lock forwarded to it whose preimage it knows. */
  const autoResolve = (payee: ClientSession, known: Map<string, string>): void => {
    payee.onUpdate((update) => {
      const n = forwardedLock(payee.address, update);
      const tag = n === undefined ? undefined : known.get(n.lockHash);
      if (n === undefined || tag === undefined) return;
      void payee
        .propose({
          type: "resolve",
          transferId: n.transferId,
          toResponder: n.amount,
          resolverData: abi.encode(["bytes32"], [preimage(tag)]),
        })
        .catch(() => undefined); // a resolve raced by a reconnect is retried by the test
    });
  };

  before(async () => {
    chain = await startChain();
    provider = new JsonRpcProvider(chain.url, 31337, { staticNetwork: true, cacheTimeout: -1 });
    funder = new NonceManager(await provider.getSigner(0));
    operator = new NonceManager(nodeWallet.connect(provider));
    const factoryArt = await artifact("ChannelFactory");
    const factory = await new ContractFactory(factoryArt.abi, factoryArt.bytecode, funder).deploy(
      [LIMIT],
      T,
      30n * 86_400n,
    );
    await factory.waitForDeployment();
    const hashlock = await new ContractFactory(
      (await artifact("HashlockResolver", "resolvers/HashlockResolver")).abi,
      (await artifact("HashlockResolver", "resolvers/HashlockResolver")).bytecode,
      funder,
    ).deploy();
    const signed = await new ContractFactory(
      (await artifact("SignedTransferResolver", "resolvers/SignedTransferResolver")).abi,
      (await artifact("SignedTransferResolver", "resolvers/SignedTransferResolver")).bytecode,
      funder,
    ).deploy();
    addresses = {
      ChannelFactory: await factory.getAddress(),
      ChannelMastercopy: (await (factory as Contract).getFunction("mastercopy")()) as string,
      HashlockResolver: await hashlock.getAddress(),
      SignedTransferResolver: await signed.getAddress(),
    };
    for (const w of [nodeWallet, walletA, walletB])
      await (await funder.sendTransaction({ to: w.address, value: 50n * ETH })).wait();
    config = await writeConfig(chain.url, {
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
      wire: { ratePerSecond: 1000, burst: 1000, maxInFlight: 64 },
    });
    node = await startNodeProcess(config);
  });

  after(async () => {
    for (const s of sessions) await s.close().catch(() => undefined);
    await node?.stop();
    await chain?.stop();
  });

  /** Funds `s`'s channel on chain (the client counterfactually, the node as alice after creation) and reconciles it. */
  async function fund(s: ClientSession, wallet: typeof walletA, bob: bigint, alice: bigint): Promise<void> {
    const address = s.channel.address;
    const client = new NonceManager(wallet.connect(provider));
    await (await client.sendTransaction({ to: address, value: bob })).wait(); // before it exists
    const factory = new Contract(
      addresses.ChannelFactory as string,
      ["function createChannel(address,address,bytes32) returns (address)"],
      client,
    );
    await (
      await factory.getFunction("createChannel")(nodeWallet.address, wallet.address, "0x" + "00".repeat(32))
    ).wait();
    const channel = new Contract(address, CHANNEL_ABI as string[], operator);
    await (await channel.getFunction("depositAliceEth")({ value: alice })).wait();
    const totals = await new ChannelReader(provider, address).deposits()(ZeroAddress);
    await s.propose({
      type: "deposit",
      asset: ZeroAddress,
      totalDepositsAlice: totals.alice,
      totalDepositsBob: totals.bob,
    });
  }

  it("test_e2e_loginDepositRoutedPaymentsRestoreKillRestartWithdraw_balancesOnChain", async () => {
    let a = await open(walletA, storeA);
    let b = await open(walletB, storeB);
    await fund(a, walletA, 5n * ETH, 5n * ETH);
    await fund(b, walletB, 5n * ETH, 5n * ETH);
    expect(a.channel.state.assets[0]?.balanceBob).to.equal(5n * ETH);

    // Payments both ways at once, routed through the node.
    const toA = new Map<string, string>();
    const toB = new Map<string, string>();
    autoResolve(a, toA);
    autoResolve(b, toB);
    const sends: Array<Promise<unknown>> = [];
    const n = 8;
    for (let i = 0; i < n; i++) {
      const ab = payment(a, b, `ab${i}`, ETH / 10n);
      const ba = payment(b, a, `ba${i}`, ETH / 20n);
      toB.set(hashlockLock(preimage(`ab${i}`)).toLowerCase(), `ab${i}`);
      toA.set(hashlockLock(preimage(`ba${i}`)).toLowerCase(), `ba${i}`);
      sends.push(a.sendPayment(ab.intent, ab.route), b.sendPayment(ba.intent, ba.route));
    }
    await Promise.all(sends);
    const paidAB = BigInt(n) * (ETH / 10n);
    const paidBA = BigInt(n) * (ETH / 20n);
    await until(
      () =>
        a.channel.transfers.size === 0 &&
        b.channel.transfers.size === 0 &&
        a.channel.state.assets[0]?.balanceBob === 5n * ETH - paidAB + paidBA,
      "every payment claimed upstream",
    );
    expect(b.channel.state.assets[0]?.balanceBob).to.equal(5n * ETH + paidAB - paidBA);

    // Restore into an empty client store: the same latest state, and it keeps working.
    const latestA = a.channel.latest;
    await a.close();
    const fresh = new MemoryStore();
    a = await open(walletA, fresh);
    expect(a.channel.latest).to.deep.equal(latestA);

    // The payee goes offline; the forward is signed and waits; the node is SIGKILLed and restarted.
    await b.close();
    const killed = payment(a, b, "killed", ETH / 4n);
    const lockHash = hashlockLock(preimage("killed")).toLowerCase();
    const notices: PaymentNotice[] = [];
    a.onPayment((x) => notices.push(x));
    await a.sendPayment(killed.intent, killed.route);
    await until(
      () => notices.some((x) => x.lockHash === lockHash && x.status === "forwarded"),
      "the forward signed for the offline payee",
    );
    node.signal("SIGKILL");
    await node.exited;
    await a.close();
    node = await startNodeProcess(config);
    b = await open(walletB, storeB); // the forward is re-delivered at login
    a = await open(walletA, fresh);
    await until(() => b.channel.transfers.size === 1, "the re-delivered forward");
    const t = b.channel.transfers.list()[0] as { id: string; transfer: Transfer };
    await b.propose({
      type: "resolve",
      transferId: t.id,
      toResponder: t.transfer.amount,
      resolverData: abi.encode(["bytes32"], [preimage("killed")]),
    });
    await until(() => a.channel.transfers.size === 0, "the upstream claim after the restart");
    const balA = 5n * ETH - paidAB + paidBA - ETH / 4n;
    const balB = 5n * ETH + paidAB - paidBA + ETH / 4n;
    expect(a.channel.state.assets[0]?.balanceBob).to.equal(balA); // completed, not also refunded
    expect(b.channel.state.assets[0]?.balanceBob).to.equal(balB);

    // A cooperative withdraw by the client, executed on chain.
    const amount = ETH;
    const commitment = {
      asset: ZeroAddress,
      recipient: walletB.address,
      amount,
      nonce: b.channel.snapshot().nextWithdrawNonce,
      callTo: ZeroAddress,
      callData: "0x",
    };
    await b.propose({ type: "withdraw", party: "bob", commitment });
    const record = await storeB.load(b.channel.address);
    const signedWithdraw = record?.withdrawals.at(-1);
    expect(signedWithdraw?.commitment.amount).to.equal(amount);
    const before = await provider.getBalance(walletB.address);
    const channelB = new Contract(b.channel.address, CHANNEL_ABI as string[], funder);
    await (
      await channelB.getFunction("withdraw")(
        signedWithdraw?.commitment,
        signedWithdraw?.aliceSignature,
        signedWithdraw?.bobSignature,
      )
    ).wait();
    expect(await provider.getBalance(walletB.address)).to.equal(before + amount);

    // Every channel's ETH on chain is what its latest co-signed state says both parties hold.
    for (const s of [a, b]) {
      const state = s.channel.state.assets[0];
      const onchain = await provider.getBalance(s.channel.address);
      expect(onchain, s.channel.address).to.equal((state?.balanceAlice ?? 0n) + (state?.balanceBob ?? 0n));
    }
    expect(b.channel.state.assets[0]?.balanceBob).to.equal(balB - amount);
  });

  it("test_e2e_badAcksAndIntents_answerStableCodesAndChangeNothing", async () => {
    const s = await open(walletA, new MemoryStore()); // restored from the node
    const other = await open(walletB, storeB);
    const before = await s.wire.request("channel.sync", { nonce: s.channel.state.nonce });
    const code = async (p: Promise<unknown>): Promise<string> => {
      try {
        await p;
      } catch (error) {
        return (error as { code: string }).code;
      }
      return "none";
    };
    const lock = payment(s, other, "bad", ETH / 100n).intent;
    // Wrong params, an intent in another client's channel, an ack nobody asked for, a replayed ack, a wrong signature.
    expect(
      await code(s.wire.call("channel.propose", { details: { type: "create", transfer: { amount: 1 } } })),
    ).to.equal("INVALID_PARAMS");
    const theirs = {
      type: "create" as const,
      transfer: { ...lock.transfer, channel: other.channel.address, initiator: other.address },
    };
    expect(await code(s.wire.request("channel.propose", { details: theirs }))).to.equal("MALFORMED");
    const stale = { nonce: s.channel.state.nonce, signatures: { state: s.channel.latest?.bobSignature as string } };
    expect(await code(s.wire.request("channel.acknowledge", { ack: stale }))).to.equal("NONCE");
    const proposal = await s.wire.request("channel.propose", { details: lock });
    const forged = { nonce: proposal.update.state.nonce, signatures: proposal.signatures }; // the node's, not the client's
    expect(await code(s.wire.request("channel.acknowledge", { ack: forged }))).to.equal("SIGNATURE");
    const after = await s.wire.request("channel.sync", { nonce: s.channel.state.nonce });
    expect(after.latest).to.deep.equal(before.latest); // nothing co-signed
    expect(after.pending).to.deep.equal(proposal); // only the node's own signature of the intent, answered below
    const { accept } = await import("../../../src/channel/sequencing.js");
    const ack = await accept(s.channel, proposal, lock);
    await s.wire.request("channel.acknowledge", { ack });
    expect(await code(s.wire.request("channel.acknowledge", { ack }))).to.equal("NONCE"); // replayed
    expect((await s.wire.request("channel.get")).nonce).to.equal(ack.nonce);
  });
});
