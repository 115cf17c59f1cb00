/**
 * Routing a hashlock payment Alice → Node → Bob (docs/PROTOCOL.md §12) with real channels on the embedded
 * network: the node holds one channel per user (it is alice in both; the users are bob), forwards with the same
 * lock and a shorter expiry, claims upstream with the preimage it learns downstream, and refunds upstream once
 * the downstream can no longer be claimed. Multi-hop atomicity is shown with silent parties, on chain where it
 * matters, with time travel.
 */
import { expect } from "chai";
import { ZeroAddress, id, parseEther, type Wallet } from "ethers";

import type { Acknowledgement, Channel, Proposal } from "../../../src/channel/channel.js";
import { RouteError, TimeoutError } from "../../../src/protocol/errors.js";
import { Node, hashlockTransfer, latestDownstreamExpiry, type PeerLink } from "../../../src/routing/node.js";
import { DEFAULT_SAFETY_MARGIN } from "../../../src/protocol/policies.js";
import { encodeHashlockResolution, hashlockLock } from "../../../src/protocol/resolvers.js";
import { transferId } from "../../../src/protocol/transfers.js";
import { Watcher } from "../../../src/chain/watcher.js";
import { lockReader } from "../../../src/chain/settlements.js";
import { HOUR, balance, deployEnv, openPair, travel, travelTo, wallet, type Env, type OnChainPair } from "./onchain.js";

const env: Env = await deployEnv();
const ETH = ZeroAddress;
const T = HOUR;
const MARGIN = DEFAULT_SAFETY_MARGIN;

/** A link to a user's channel that can go silent. */
class Link implements PeerLink {
  online = true;
  constructor(private readonly channel: Channel) {}
  receive(proposal: Proposal): Promise<Acknowledgement> {
    if (!this.online) return Promise.reject(new Error("unreachable"));
    return this.channel.receive(proposal);
  }
}

interface Network {
  node: Node;
  nodeWallet: Wallet;
  /** Node–Alice: the node is alice, Alice (the payer) is bob; Alice has 5 ETH in it. */
  up: OnChainPair;
  /** Node–Bob: the node is alice with 5 ETH, Bob (the payee) is bob. */
  down: OnChainPair;
  upLink: Link;
  downLink: Link;
}

let count = 0;
async function setup(): Promise<Network> {
  const tag = `route ${count++}`;
  const nodeWallet = await wallet(env, `${tag} node`);
  const alice = await wallet(env, `${tag} alice`);
  const bob = await wallet(env, `${tag} bob`);
  const up = await openPair(env, nodeWallet, alice, { salt: `${tag} up`, bobEth: parseEther("5") });
  const down = await openPair(env, nodeWallet, bob, { salt: `${tag} down`, aliceEth: parseEther("5") });
  const node = new Node({
    address: nodeWallet.address,
    hashlock: env.hashlock,
    clock: env.clock.now,
    peerTimeoutMs: 2_000,
    locks: lockReader(env.provider),
  });
  const upLink = new Link(up.bob);
  const downLink = new Link(down.bob);
  node.addPeer(alice.address, up.alice, upLink);
  node.addPeer(bob.address, down.alice, downLink);
  return { node, nodeWallet, up, down, upLink, downLink };
}

interface Payment {
  preimage: string;
  lockHash: string;
  upId: string;
  downId: string;
  upExpiry: bigint;
  downExpiry: bigint;
}

/** Alice locks `amount` to the node and asks it to pay Bob `toBob` by `downExpiry`; the minimal E_up of §12. */
async function route(n: Network, tag: string, amount = parseEther("1"), toBob = amount): Promise<Payment> {
  const now = await env.clock.sync();
  const preimage = id(`preimage ${tag}`); // Bob's invoice
  const lockHash = hashlockLock(preimage);
  const downExpiry = now + T + MARGIN + 120n;
  const upExpiry = downExpiry + T + MARGIN;
  expect(latestDownstreamExpiry(upExpiry, T)).to.equal(downExpiry);
  const up = hashlockTransfer({
    channel: n.up.address,
    hashlock: env.hashlock,
    asset: ETH,
    amount,
    initiator: n.up.bobWallet.address,
    responder: n.nodeWallet.address,
    timeout: T,
    lockHash,
    expiry: upExpiry,
  });
  const proposal = await n.up.bob.propose({ type: "create", transfer: up });
  const ack = await n.node.receive(n.up.bobWallet.address, proposal, {
    recipient: n.down.bobWallet.address,
    expiry: downExpiry,
    amount: toBob,
  });
  await n.up.bob.complete(ack);
  const downId = n.node.payment(lockHash)?.downstream?.transferId as string;
  return { preimage, lockHash, upId: transferId(up), downId, upExpiry, downExpiry };
}

/** Bob reveals the preimage to the node (resolves the downstream transfer); `complete` false: Bob goes silent. */
async function reveal(n: Network, p: Payment, amount: bigint, complete = true): Promise<void> {
  const proposal = await n.down.bob.propose({
    type: "resolve",
    transferId: p.downId,
    toResponder: amount,
    resolverData: encodeHashlockResolution(p.preimage),
  });
  const ack = await n.node.receive(n.down.bobWallet.address, proposal);
  if (complete) await n.down.bob.complete(ack);
}

/** [alice's balance, bob's balance] of the channel's ETH in the latest state `ch` holds. */
function balances(ch: Channel): [bigint, bigint] {
  const a = ch.state.assets.find((x) => x.asset === ETH);
  return [a?.balanceAlice ?? 0n, a?.balanceBob ?? 0n];
}

describe("routing through a node", () => {
  it("forwards Alice → Node → Bob with the same lock and a shorter expiry, and settles both hops off chain", async () => {
    const n = await setup();
    const p = await route(n, "happy", parseEther("1"), parseEther("0.99"));
    const down = n.down.bob.transfers.get(p.downId)?.transfer;
    expect(down?.amount).to.equal(parseEther("0.99"));
    expect(n.node.payment(p.lockHash)?.status).to.equal("forwarded");
    expect(balances(n.up.alice)).to.deep.equal([0n, parseEther("4")]); // 1 ETH locked upstream
    expect(balances(n.down.alice)).to.deep.equal([parseEther("4.01"), 0n]); // 0.99 ETH locked downstream

    await reveal(n, p, parseEther("0.99"));
    expect(n.node.payment(p.lockHash)?.status).to.equal("completed");
    // Both sides of both channels agree: the node earned 0.01 ETH.
    for (const ch of [n.up.alice, n.up.bob]) expect(balances(ch)).to.deep.equal([parseEther("1"), parseEther("4")]);
    for (const ch of [n.down.alice, n.down.bob])
      expect(balances(ch)).to.deep.equal([parseEther("4.01"), parseEther("0.99")]);
    expect(n.up.alice.transfers.size + n.down.alice.transfers.size).to.equal(0);
  });

  it("refuses a route that breaks §12 before signing anything", async () => {
    const n = await setup();
    const now = await env.clock.sync();
    const lockHash = hashlockLock(id("refused"));
    const downExpiry = now + T + MARGIN + 60n;
    const nonce = n.up.alice.state.nonce;
    const upExpiry = downExpiry + T + MARGIN - 1n;
    const t = hashlockTransfer({
      channel: n.up.address,
      hashlock: env.hashlock,
      asset: ETH,
      amount: parseEther("1"),
      initiator: n.up.bobWallet.address,
      responder: n.nodeWallet.address,
      timeout: T,
      lockHash,
      expiry: upExpiry,
      salt: id("refused salt"),
    });
    // Alice signs her lock once; the route travels beside it (unsigned), so she may resend the same proposal.
    const attempt = async (route: { recipient: string; expiry: bigint; amount?: bigint }): Promise<unknown> => {
      try {
        return await n.node.receive(
          n.up.bobWallet.address,
          await n.up.bob.propose({ type: "create", transfer: t }),
          route,
        );
      } catch (error) {
        return error;
      }
    };
    const bob = n.down.bobWallet.address;
    // E_up is one second short of E_down + T_up + margin.
    expect(await attempt({ recipient: bob, expiry: downExpiry })).to.be.instanceOf(TimeoutError);
    expect(await attempt({ recipient: n.nodeWallet.address, expiry: downExpiry - 1n })).to.be.instanceOf(RouteError);
    expect(await attempt({ recipient: bob, expiry: downExpiry - 1n, amount: parseEther("2") })).to.be.instanceOf(
      RouteError,
    );
    // A downstream lock too short for Bob to claim it on chain.
    expect(await attempt({ recipient: bob, expiry: now + T })).to.be.instanceOf(TimeoutError);
    expect(n.up.alice.state.nonce).to.equal(nonce);
    expect(n.up.alice.pending).to.equal(undefined);
    expect(n.down.alice.pending).to.equal(undefined);
    expect(n.down.alice.transfers.size).to.equal(0);
    // E_down one second earlier fits exactly: the same signed proposal is now accepted and forwarded.
    const ack = await attempt({ recipient: bob, expiry: downExpiry - 1n });
    await n.up.bob.complete(ack as Acknowledgement);
    expect(n.node.payment(lockHash)?.status).to.equal("forwarded");
    expect(n.down.bob.transfers.size).to.equal(1);
  });

  it("serializes concurrent payments on one channel (one proposal at a time) and refuses a reused lock", async () => {
    const n = await setup();
    const carol = await wallet(env, "carol");
    const side = await openPair(env, n.nodeWallet, carol, { salt: "carol up", bobEth: parseEther("5") });
    n.node.addPeer(carol.address, side.alice, new Link(side.bob));
    const now = await env.clock.sync();
    const downExpiry = now + T + MARGIN + 120n;
    const pay = async (payer: OnChainPair, tag: string): Promise<void> => {
      const t = hashlockTransfer({
        channel: payer.address,
        hashlock: env.hashlock,
        asset: ETH,
        amount: parseEther("1"),
        initiator: payer.bobWallet.address,
        responder: n.nodeWallet.address,
        timeout: T,
        lockHash: hashlockLock(id(tag)),
        expiry: downExpiry + T + MARGIN,
      });
      const proposal = await payer.bob.propose({ type: "create", transfer: t });
      await payer.bob.complete(
        await n.node.receive(payer.bobWallet.address, proposal, {
          recipient: n.down.bobWallet.address,
          expiry: downExpiry,
        }),
      );
    };
    await Promise.all([pay(n.up, "concurrent 1"), pay(side, "concurrent 2")]);
    expect(n.down.alice.transfers.size).to.equal(2);
    expect(n.down.bob.state.nonce).to.equal(n.down.alice.state.nonce);
    expect(n.node.payment(hashlockLock(id("concurrent 1")))?.status).to.equal("forwarded");
    expect(n.node.payment(hashlockLock(id("concurrent 2")))?.status).to.equal("forwarded");
    const reuse = await pay(n.up, "concurrent 2").catch((error: unknown) => error);
    expect(reuse).to.be.instanceOf(RouteError);
  });

  it("(a) the node goes silent after paying downstream: Alice is unaffected and the node still claims upstream on chain within E_up", async () => {
    const n = await setup();
    const p = await route(n, "node silent");
    const aliceBefore = balances(n.up.bob);
    // Bob reveals at the last moment he can; the node pays him, then cannot reach Alice.
    n.upLink.online = false;
    await travelTo(env, p.downExpiry - 5n);
    await reveal(n, p, parseEther("1"));
    expect(balances(n.down.bob)).to.deep.equal([parseEther("4"), parseEther("1")]);
    expect(n.node.payment(p.lockHash)?.status).to.equal("unlocked");
    // Alice's side is unaffected: her latest state still locks exactly the 1 ETH she agreed to pay.
    expect(balances(n.up.bob)).to.deep.equal(aliceBefore);
    expect(n.up.bob.transfers.get(p.upId)).to.not.equal(undefined);
    expect(n.up.bob.pending).to.equal(undefined);

    // At E_down (the latest moment §12 assumes) the node must go on chain: dispute, wait T_up, claim.
    await travelTo(env, p.downExpiry);
    expect((await n.node.tick()).mustDispute).to.deep.equal([n.up.bobWallet.address]);
    const watcher = new Watcher({
      provider: env.provider,
      sender: n.nodeWallet,
      channel: n.up.address,
      store: n.up.aliceStore,
    });
    const nodeBefore = await balance(env, n.nodeWallet.address);
    const aliceOnChain = await balance(env, n.up.bobWallet.address);
    const dispute = await watcher.dispute();
    await travel(env, T);
    const report = await watcher.tick();
    expect(report.actions.map((x) => x.kind)).to.deep.equal(["defund", "disputeTransfer", "claimTransfer"]);
    const claim = await env.provider.getTransactionReceipt(report.actions[2]?.txHash as string);
    const claimTime = BigInt((await env.provider.getBlock(claim?.blockNumber as number))?.timestamp ?? 0);
    expect(claimTime).to.be.lessThan(p.upExpiry);
    expect(claimTime).to.be.greaterThanOrEqual(p.downExpiry + T);
    let gas = 0n;
    for (const h of [dispute.txHash, ...report.actions.map((x) => x.txHash)]) {
      const r = await env.provider.getTransactionReceipt(h);
      gas += (r?.gasUsed ?? 0n) * (r?.gasPrice ?? 0n);
    }
    expect(await balance(env, n.nodeWallet.address)).to.equal(nodeBefore + parseEther("1") - gas);
    expect(await balance(env, n.up.bobWallet.address)).to.equal(aliceOnChain + parseEther("4"));
    expect(await balance(env, n.up.address)).to.equal(0n);
  });

  it("(b) Bob goes silent after being paid: the node claims upstream off chain with the preimage", async () => {
    const n = await setup();
    const p = await route(n, "bob silent");
    await reveal(n, p, parseEther("1"), false); // Bob never completes his own update
    n.downLink.online = false;
    expect(n.down.bob.pending).to.not.equal(undefined);
    expect(n.node.payment(p.lockHash)?.status).to.equal("completed");
    for (const ch of [n.up.alice, n.up.bob]) expect(balances(ch)).to.deep.equal([parseEther("1"), parseEther("4")]);
    expect(balances(n.down.alice)).to.deep.equal([parseEther("4"), parseEther("1")]);
    // The upstream channel carries on: a second payment from Alice is forwarded... to silent Bob, and refunded
    // upstream once its downstream lock expires.
    const q = await route(n, "after silence");
    expect(n.node.payment(q.lockHash)?.status).to.equal("forwarded");
    // Past E_down + margin on chain, with no settlement of the downstream lock there: it can no longer be claimed.
    await travelTo(env, q.downExpiry + MARGIN);
    const tick = await n.node.tick();
    expect(tick.refunded).to.deep.equal([q.lockHash]);
    expect(balances(n.up.bob)).to.deep.equal([parseEther("1"), parseEther("4")]);
  });

  it("(c) nobody unlocks, off chain: Bob cancels after E_down and the node refunds Alice (downstream first)", async () => {
    const n = await setup();
    const p = await route(n, "cancel");
    expect((await n.node.tick()).refunded).to.deep.equal([]); // before E_down nothing is refunded
    await travelTo(env, p.downExpiry);
    const cancel = await n.down.bob.propose({
      type: "resolve",
      transferId: p.downId,
      toResponder: 0n,
      resolverData: "0x",
    });
    await n.down.bob.complete(await n.node.receive(n.down.bobWallet.address, cancel));
    expect(n.node.payment(p.lockHash)?.status).to.equal("refunded");
    for (const ch of [n.down.alice, n.down.bob]) expect(balances(ch)).to.deep.equal([parseEther("5"), 0n]);
    for (const ch of [n.up.alice, n.up.bob]) expect(balances(ch)).to.deep.equal([0n, parseEther("5")]);
  });

  it("(c) nobody unlocks, Bob silent: the node's watcher refunds the downstream on chain, then the node refunds Alice", async () => {
    const n = await setup();
    const p = await route(n, "refund on chain");
    n.downLink.online = false;
    await travelTo(env, p.downExpiry);
    const watcher = new Watcher({
      provider: env.provider,
      sender: n.nodeWallet,
      channel: n.down.address,
      store: n.down.aliceStore,
    });
    const nodeBefore = await balance(env, n.nodeWallet.address);
    const bobBefore = await balance(env, n.down.bobWallet.address);
    const hashes = [(await watcher.dispute()).txHash];
    await travel(env, T);
    const defund = await watcher.tick();
    expect(defund.actions.map((x) => x.kind)).to.deep.equal(["defund", "disputeTransfer"]);
    await travel(env, T);
    const refund = await watcher.tick();
    expect(refund.actions.map((x) => x.kind)).to.deep.equal(["refundTransfer"]);
    hashes.push(...defund.actions.map((x) => x.txHash), ...refund.actions.map((x) => x.txHash));
    let gas = 0n;
    for (const h of hashes) {
      const r = await env.provider.getTransactionReceipt(h);
      gas += (r?.gasUsed ?? 0n) * (r?.gasPrice ?? 0n);
    }
    expect(await balance(env, n.nodeWallet.address)).to.equal(nodeBefore + parseEther("5") - gas);
    expect(await balance(env, n.down.bobWallet.address)).to.equal(bobBefore);
    expect(await balance(env, n.down.address)).to.equal(0n);

    const tick = await n.node.tick();
    expect(tick.refunded).to.deep.equal([p.lockHash]);
    for (const ch of [n.up.alice, n.up.bob]) expect(balances(ch)).to.deep.equal([0n, parseEther("5")]);
    expect(n.up.bob.transfers.size).to.equal(0);
  });
});
