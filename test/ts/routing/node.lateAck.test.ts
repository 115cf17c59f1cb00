/**
 * The payer's acknowledgement of the node's claim (the resolve of its upstream lock) that arrives after the node's
 * delivery gave up (the peer timeout: a slow client, a database restart under the node) is stored with the
 * payment's move to "completed" in one unit (src/routing/payments.ts upstreamResolved). Before, the channel update
 * was stored alone and the payment stayed "unlocked" until a later tick: a node stopped in between left its record
 * behind both channels (the chaos run's end checks, seed 909).
 */
import { expect } from "chai";
import { Wallet, ZeroAddress, getAddress, id, keccak256 } from "ethers";

import { Channel, type ChannelConfig, type DepositReader, type Proposal } from "../../../src/channel/channel.js";
import { encodeHashlockResolution, hashlockLock } from "../../../src/protocol/resolvers.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import type { ChannelSetup, Party } from "../../../src/protocol/types.js";
import { Node, hashlockTransfer, type RouteInstruction } from "../../../src/routing/node.js";
import { MemoryStore } from "../../../src/stores/memory.js";
import type { SwitchyardStore } from "../../../src/stores/store.js";
import { CHAIN_ID, HASHLOCK, LIMITS, NOW, POLICIES, TIMEOUT, run } from "../sdk/helpers.js";
import { payerLockOf } from "./payerLock.js";

const nodeWallet = new Wallet(keccak256(id("late ack node")));
const payerWallet = new Wallet(keccak256(id("late ack payer")));
const payeeWallet = new Wallet(keccak256(id("late ack payee")));
const UP: ChannelSetup = { chainId: CHAIN_ID, channel: getAddress(`0x${"0".repeat(36)}0f01`), alice: nodeWallet.address, bob: payerWallet.address, timeout: TIMEOUT };
const DOWN: ChannelSetup = { chainId: CHAIN_ID, channel: getAddress(`0x${"0".repeat(36)}0f02`), alice: nodeWallet.address, bob: payeeWallet.address, timeout: TIMEOUT };
const ETH = 10n ** 18n;
const PREIMAGE = id("late ack invoice");
const LOCK = hashlockLock(PREIMAGE);

const deposits = (setup: ChannelSetup): DepositReader => async () =>
  setup.channel === UP.channel ? { alice: 0n, bob: 5n * ETH } : { alice: 5n * ETH, bob: 0n };

function cfg(setup: ChannelSetup, me: Party, wallet: Wallet, store: SwitchyardStore): ChannelConfig {
  return { setup, me, signer: walletSigner(wallet), store, limits: LIMITS, resolvers: POLICIES, clock: () => NOW, deposits: deposits(setup) };
}

describe("Node: an acknowledgement of its claim after its delivery gave up (src/routing/node.ts acknowledge)", function () {
  this.timeout(30_000);

  it("test_acknowledge_claimAckedAfterTheDeliveryGaveUp_paymentCompletedInTheSameUnit", async () => {
    const store = new MemoryStore();
    const payer = await Channel.create(cfg(UP, "bob", payerWallet, new MemoryStore()));
    const payee = await Channel.create(cfg(DOWN, "bob", payeeWallet, new MemoryStore()));
    const node = new Node({ address: nodeWallet.address, hashlock: HASHLOCK, clock: () => NOW, store, peerTimeoutMs: 200 });
    let held: Proposal | undefined; // the payer is slow to answer the node's claim: past the peer timeout
    node.addPeer(payerWallet.address, await Channel.create(cfg(UP, "alice", nodeWallet, store)), {
      receive: (p) => (p.update.details.type === "resolve" ? new Promise(() => (held = p)) : payer.receive(p)),
    });
    node.addPeer(payeeWallet.address, await Channel.create(cfg(DOWN, "alice", nodeWallet, store)), { receive: (p) => payee.receive(p) });
    await run(node.channel(payerWallet.address), payer, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 0n, totalDepositsBob: 5n * ETH });
    await run(node.channel(payeeWallet.address), payee, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 5n * ETH, totalDepositsBob: 0n });

    const lock = payerLockOf({ channel: UP.channel, payer: payerWallet.address, node: nodeWallet.address, lockHash: LOCK, expiry: NOW + 3n * 86_400n, salt: id("late ack salt") });
    const route: RouteInstruction = { recipient: payeeWallet.address, expiry: NOW + 88_000n, amount: ETH - 1_000n };
    const proposal = await payer.propose({ type: "create", transfer: lock });
    await payer.complete(await node.receive(payerWallet.address, proposal, route));
    const down = payee.transfers.list()[0];
    expect(down, "forwarded to the payee").to.not.equal(undefined);
    const claim = await payee.propose({ type: "resolve", transferId: down?.id as string, toResponder: down?.transfer.amount as bigint, resolverData: encodeHashlockResolution(PREIMAGE) });
    await payee.complete(await node.receive(payeeWallet.address, claim)); // the node claims upstream: no answer in time
    expect(held, "the node's claim was delivered to the payer").to.not.equal(undefined);
    expect(node.payment(LOCK)?.status).to.equal("unlocked");

    // The payer answers late: its acknowledgement reaches the node as channel.acknowledge (nobody waits for it).
    const ack = await payer.receive(held as Proposal);
    await node.acknowledge(payerWallet.address, ack);
    expect(node.channel(payerWallet.address).state).to.deep.equal(payer.state);
    expect(node.payment(LOCK)?.status, "moved with the acknowledgement, not at a later tick").to.equal("completed");
    expect((await store.payment(LOCK))?.status).to.equal("completed");
    expect(payer.transfers.list()).to.deep.equal([]);
  });
});
