/**
 * A tick that runs while a payment is being forwarded (found reviewing Node for "cannot answer read as fine"):
 * the payment is "accepted" in memory from the moment the payer's lock arrives until the downstream lock is
 * signed. A tick in that window read "accepted" as "nothing signed downstream, refund the payer" — while the
 * forward went on to sign the downstream lock: the payer refunded and the payee holding a lock, paid twice if
 * the payee reveals (the tick's signed refund, refused by a payer still waiting for its acknowledgement, stayed
 * pending and was delivered before the node's later claim, which then read "resolved already" as claimed). A tick
 * must leave a payment being routed alone.
 */
import { expect } from "chai";
import { Wallet, ZeroAddress, getAddress, id, keccak256 } from "ethers";

import { Channel, type ChannelConfig } from "../../../src/channel/channel.js";
import type { PendingSignature } from "../../../src/protocol/record.js";
import { encodeHashlockResolution, hashlockLock } from "../../../src/protocol/resolvers.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import type { ChannelSetup, Party } from "../../../src/protocol/types.js";
import { Node, hashlockTransfer } from "../../../src/routing/node.js";
import { MemoryChannelStore, type ChannelStore } from "../../../src/stores/store.js";
import { CHAIN_ID, HASHLOCK, LIMITS, NOW, POLICIES, TIMEOUT, run } from "../sdk/helpers.js";

const nodeWallet = new Wallet(keccak256(id("race node")));
const payerWallet = new Wallet(keccak256(id("race payer")));
const payeeWallet = new Wallet(keccak256(id("race payee")));
const UP: ChannelSetup = { chainId: CHAIN_ID, channel: getAddress(`0x${"0".repeat(36)}0d01`), alice: nodeWallet.address, bob: payerWallet.address, timeout: TIMEOUT };
const DOWN: ChannelSetup = { chainId: CHAIN_ID, channel: getAddress(`0x${"0".repeat(36)}0d02`), alice: nodeWallet.address, bob: payeeWallet.address, timeout: TIMEOUT };
const ETH = 10n ** 18n;

/** A channel store whose next `putSigned` waits until `release()` (the node is slow to sign downstream). */
class SlowSigner extends MemoryChannelStore {
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  entered: Promise<void>;
  private enter!: () => void;
  constructor() {
    super();
    this.entered = new Promise((resolve) => (this.enter = resolve));
  }
  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }
  release(): void {
    this.open?.();
  }
  override async putSigned(channel: string, pending: PendingSignature): Promise<void> {
    const gate = this.gate;
    this.gate = undefined;
    if (gate !== undefined) {
      this.enter();
      await gate;
    }
    return super.putSigned(channel, pending);
  }
}

function cfg(setup: ChannelSetup, me: Party, wallet: Wallet, store: ChannelStore): ChannelConfig {
  return {
    setup,
    me,
    signer: walletSigner(wallet),
    store,
    limits: LIMITS,
    resolvers: POLICIES,
    clock: () => NOW,
    deposits: async () => (setup.channel === UP.channel ? { alice: 0n, bob: 5n * ETH } : { alice: 5n * ETH, bob: 0n }),
  };
}

/** The payer's 1 ETH hashlock lock to the node in the upstream channel. */
function payerLock(lockHash: string): ReturnType<typeof hashlockTransfer> {
  const { address: initiator } = payerWallet;
  return hashlockTransfer({ channel: UP.channel, hashlock: HASHLOCK, asset: ZeroAddress, amount: ETH, initiator, responder: nodeWallet.address, timeout: TIMEOUT, lockHash, expiry: NOW + 3n * 86_400n });
}

describe("Node: a tick during a forward (src/routing/node.ts)", () => {
  it("does not refund the payer of a payment it is forwarding; the payment ends forwarded, the payer's lock in place", async () => {
    const slow = new SlowSigner();
    const payer = await Channel.create(cfg(UP, "bob", payerWallet, new MemoryChannelStore()));
    const payee = await Channel.create(cfg(DOWN, "bob", payeeWallet, new MemoryChannelStore()));
    const node = new Node({ address: nodeWallet.address, hashlock: HASHLOCK, clock: () => NOW });
    node.addPeer(payerWallet.address, await Channel.create(cfg(UP, "alice", nodeWallet, new MemoryChannelStore())), { receive: (p) => payer.receive(p) });
    node.addPeer(payeeWallet.address, await Channel.create(cfg(DOWN, "alice", nodeWallet, slow)), { receive: (p) => payee.receive(p) });
    await run(node.channel(payerWallet.address), payer, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 0n, totalDepositsBob: 5n * ETH });
    await run(node.channel(payeeWallet.address), payee, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 5n * ETH, totalDepositsBob: 0n });

    const lockHash = hashlockLock(id("race"));
    const lock = payerLock(lockHash);
    slow.hold();
    const proposal = await payer.propose({ type: "create", transfer: lock });
    const routing = node.receive(payerWallet.address, proposal, { recipient: payeeWallet.address, expiry: NOW + 88_000n });
    await slow.entered; // the upstream lock is co-signed; the node is signing the downstream lock
    expect(node.payment(lockHash)?.status).to.equal("accepted");
    const ticking = node.tick();
    slow.release();
    await payer.complete(await routing);
    const tick = await ticking;

    expect(tick.refunded).to.deep.equal([]);
    expect(node.payment(lockHash)?.status).to.equal("forwarded");
    expect(payee.transfers.size).to.equal(1); // the payee holds the downstream lock...
    expect(payer.transfers.size).to.equal(1); // ...and the payer's lock still backs it
    expect(node.channel(payerWallet.address).state).to.deep.equal(payer.state);
    // Nothing the tick signed may be delivered later: the payee reveals, the node claims upstream and is paid.
    expect(node.channel(payerWallet.address).pending).to.equal(undefined);
    const held = payee.transfers.list()[0];
    if (held === undefined) throw new Error("no downstream lock");
    const claim = await payee.propose({ type: "resolve", transferId: held.id, toResponder: held.transfer.amount, resolverData: encodeHashlockResolution(id("race")) });
    await payee.complete(await node.receive(payeeWallet.address, claim));
    expect(node.payment(lockHash)?.status).to.equal("completed");
    const eth = (ch: Channel): bigint[] => {
      const a = ch.state.assets.find((x) => x.asset === ZeroAddress);
      return [a?.balanceAlice ?? 0n, a?.balanceBob ?? 0n];
    };
    expect(eth(payer)).to.deep.equal([ETH, 4n * ETH]); // the node claimed the payer's 1 ETH
    expect(eth(payee)).to.deep.equal([4n * ETH, ETH]); // and paid the payee 1 ETH
  });

  it("never re-delivers a proposal whose delivery is in flight: a tick waits for the channel (the 5 s closed-loop tail)", async () => {
    // Found by the load run: every tick flushed the downstream channel of each "forwarded" payment outside the
    // channel's queue, re-pushing whatever proposal was in flight there; the node's socket link keeps one waiter per
    // client, so the first delivery lost its waiter and its exchange (and the channel's queue) hung for the peer timeout.
    const payer = await Channel.create(cfg(UP, "bob", payerWallet, new MemoryChannelStore()));
    const payee = await Channel.create(cfg(DOWN, "bob", payeeWallet, new MemoryChannelStore()));
    const node = new Node({ address: nodeWallet.address, hashlock: HASHLOCK, clock: () => NOW });
    let gate: Promise<void> | undefined;
    let deliveries = 0;
    let entered = (): void => undefined;
    const inFlight = new Promise<void>((resolve) => (entered = resolve));
    node.addPeer(payerWallet.address, await Channel.create(cfg(UP, "alice", nodeWallet, new MemoryChannelStore())), { receive: (p) => payer.receive(p) });
    node.addPeer(payeeWallet.address, await Channel.create(cfg(DOWN, "alice", nodeWallet, new MemoryChannelStore())), {
      receive: async (p) => {
        deliveries++;
        if (gate !== undefined) {
          entered();
          await gate;
        }
        return payee.receive(p);
      },
    });
    await run(node.channel(payerWallet.address), payer, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 0n, totalDepositsBob: 5n * ETH });
    await run(node.channel(payeeWallet.address), payee, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 5n * ETH, totalDepositsBob: 0n });
    const pay = async (name: string): Promise<{ done: Promise<void> }> => {
      const lock = payerLock(hashlockLock(id(name)));
      const routing = node.receive(payerWallet.address, await payer.propose({ type: "create", transfer: lock }), { recipient: payeeWallet.address, expiry: NOW + 88_000n });
      return { done: routing.then(async (ack) => void (await payer.complete(ack))) }; // not awaited here
    };
    await (await pay("first")).done; // forwarded: the payee holds its lock and has not claimed yet
    expect(node.payment(hashlockLock(id("first")))?.status).to.equal("forwarded");
    const before = deliveries;
    let release = (): void => undefined;
    gate = new Promise<void>((resolve) => (release = resolve));
    const second = (await pay("second")).done;
    await inFlight; // the second lock's delivery to the payee waits for its answer
    const ticking = node.tick(); // the first payment is "forwarded" with that same payee
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(deliveries - before, "the proposal in flight was pushed again").to.equal(1);
    gate = undefined;
    release();
    await second;
    const tick = await ticking;
    expect(tick.failed).to.deep.equal([]);
    expect(deliveries - before).to.equal(1);
    expect(node.payment(hashlockLock(id("second")))?.status).to.equal("forwarded");
    expect(node.channel(payeeWallet.address).state).to.deep.equal(payee.state);
    expect(node.channel(payeeWallet.address).pending).to.equal(undefined);
  });
});
