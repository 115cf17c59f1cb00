/**
 * The node's payment table in its store (src/routing/node.ts with `NodeConfig.store`): each payment change
 * commits with the channel update that causes it, and a node restarted on the reopened store finishes what the
 * old one started (here: claims upstream what the payee took downstream, which an in-memory table forgets).
 */
import { join } from "node:path";

import { expect } from "chai";
import { Wallet, ZeroAddress, getAddress, id, keccak256 } from "ethers";

import { Channel, type ChannelConfig, type DepositReader } from "../../../src/channel/channel.js";
import { RouteError } from "../../../src/protocol/errors.js";
import { encodeHashlockResolution, hashlockLock } from "../../../src/protocol/resolvers.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import type { ChannelSetup, Party } from "../../../src/protocol/types.js";
import { Node, hashlockTransfer, type PeerLink } from "../../../src/routing/node.js";
import { MemoryStore } from "../../../src/stores/memory.js";
import { SqliteStore } from "../../../src/stores/sqlite/index.js";
import type { SwitchyardStore } from "../../../src/stores/store.js";
import { CHAIN_ID, HASHLOCK, LIMITS, NOW, POLICIES, TIMEOUT, run, tempDir } from "../sdk/helpers.js";
import { payerLockOf } from "./payerLock.js";

const nodeWallet = new Wallet(keccak256(id("durable node")));
const payerWallet = new Wallet(keccak256(id("durable payer")));
const payeeWallet = new Wallet(keccak256(id("durable payee")));
const UP: ChannelSetup = {
  chainId: CHAIN_ID,
  channel: getAddress(`0x${"0".repeat(36)}0a01`),
  alice: nodeWallet.address,
  bob: payerWallet.address,
  timeout: TIMEOUT,
};
const DOWN: ChannelSetup = {
  chainId: CHAIN_ID,
  channel: getAddress(`0x${"0".repeat(36)}0a02`),
  alice: nodeWallet.address,
  bob: payeeWallet.address,
  timeout: TIMEOUT,
};
const ETH = 10n ** 18n;

/** The chain's deposit totals (a stub chain): the payer funded its channel with 5 ETH, the node the payee's. */
const onChainDeposits = (setup: ChannelSetup): DepositReader => async () =>
  setup.channel === UP.channel ? { alice: 0n, bob: 5n * ETH } : { alice: 5n * ETH, bob: 0n };

function cfg(setup: ChannelSetup, me: Party, wallet: Wallet, store: SwitchyardStore): ChannelConfig {
  return {
    setup,
    me,
    signer: walletSigner(wallet),
    store,
    limits: LIMITS,
    resolvers: POLICIES,
    clock: () => NOW,
    deposits: onChainDeposits(setup),
  };
}

const link = (channel: Channel): PeerLink => ({ receive: (proposal) => channel.receive(proposal) });

async function nodeOn(store: SwitchyardStore, payer: Channel, payee: Channel, open: boolean): Promise<Node> {
  const node = new Node({ address: nodeWallet.address, hashlock: HASHLOCK, clock: () => NOW, store });
  const make = open ? Channel.open : Channel.create;
  node.addPeer(payerWallet.address, await make(cfg(UP, "alice", nodeWallet, store)), link(payer));
  node.addPeer(payeeWallet.address, await make(cfg(DOWN, "alice", nodeWallet, store)), link(payee));
  return node;
}

describe("Node with a durable payment table (src/routing/node.ts)", function () {
  this.timeout(60_000);

  it("claims upstream after a restart what the payee took downstream, from the reopened store", async () => {
    const path = join(await tempDir("node"), "node.db");
    let store: SwitchyardStore = await SqliteStore.open(path);
    const payer = await Channel.create(cfg(UP, "bob", payerWallet, new MemoryStore()));
    const payee = await Channel.create(cfg(DOWN, "bob", payeeWallet, new MemoryStore()));
    let node = await nodeOn(store, payer, payee, false);
    await run(node.channel(payerWallet.address), payer, {
      type: "deposit",
      asset: ZeroAddress,
      totalDepositsAlice: 0n,
      totalDepositsBob: 5n * ETH,
    });
    await run(node.channel(payeeWallet.address), payee, {
      type: "deposit",
      asset: ZeroAddress,
      totalDepositsAlice: 5n * ETH,
      totalDepositsBob: 0n,
    });

    const preimage = id("durable invoice");
    const lockHash = hashlockLock(preimage);
    // Within both route rules (PROTOCOL §12): the downstream lock outlives a dispute of its own channel
    // (>= now + T + margin) and ends before the upstream transfer's earliest settle deadline
    // (<= now + T_up + its settle window - margin); the upstream one leaves T_up + margin after it.
    const downExpiry = NOW + 88_000n;
    const upExpiry = NOW + 3n * 86_400n;
    const lock = payerLockOf({ channel: UP.channel, payer: payerWallet.address, node: nodeWallet.address, lockHash, expiry: upExpiry });
    const proposal = await payer.propose({ type: "create", transfer: lock });
    await payer.complete(
      await node.receive(payerWallet.address, proposal, {
        recipient: payeeWallet.address,
        expiry: downExpiry,
        amount: ETH - 1_000n,
      }),
    );
    const forwarded = node.payment(lockHash);
    expect(forwarded?.status).to.equal("forwarded");
    // accepted (with the upstream lock), then forwarded (with the downstream lock): two versions, each with its update.
    expect((await store.payment(lockHash))?.status).to.equal("forwarded");
    expect((await store.payment(lockHash))?.version).to.equal(2);
    expect(payee.transfers.size).to.equal(1);

    // The node process dies; a new one opens the same file.
    await store.close();
    store = await SqliteStore.open(path);
    node = await nodeOn(store, payer, payee, true);
    expect(await node.loadPayments()).to.equal(1);
    expect(node.payment(lockHash)?.status).to.equal("forwarded");

    const downId = forwarded?.downstream?.transferId as string;
    const claim = await payee.propose({
      type: "resolve",
      transferId: downId,
      toResponder: ETH - 1_000n,
      resolverData: encodeHashlockResolution(preimage),
    });
    await payee.complete(await node.receive(payeeWallet.address, claim));
    expect(node.payment(lockHash)?.status).to.equal("completed");
    expect(payer.transfers.size).to.equal(0); // the upstream lock is claimed
    const stored = await store.payment(lockHash);
    expect(stored?.status).to.equal("completed");
    expect(stored?.version).to.equal(4); // + unlocked (with the payee's resolve), + completed (with the claim)
    expect((await store.preimage(lockHash))?.resolverData).to.equal(encodeHashlockResolution(preimage).toLowerCase());
    const upRecord = await store.load(UP.channel);
    expect(upRecord?.resolutions[forwarded?.upstream.transferId as string]).to.equal(
      encodeHashlockResolution(preimage).toLowerCase(),
    );
    await store.close();
  });

  it("refuses a peer channel that writes to another store than the node's", async () => {
    const store = new MemoryStore();
    const node = new Node({ address: nodeWallet.address, hashlock: HASHLOCK, clock: () => NOW, store });
    const payer = await Channel.create(cfg(UP, "bob", payerWallet, new MemoryStore()));
    const own = await Channel.create(cfg(UP, "alice", nodeWallet, new MemoryStore()));
    expect(() => node.addPeer(payerWallet.address, own, link(payer))).to.throw(RouteError, /node's store/);
  });
});
