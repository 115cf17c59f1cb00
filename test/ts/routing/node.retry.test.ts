/**
 * The payer's node's retry in the routing Node (src/routing/node.ts, src/routing/retry.ts; docs/PROTOCOL.md
 * §17.6), in process: the node N holds the payer's channel and channels with two next nodes X and Y. The same lock
 * is tried over Y only when nothing of the attempt over X is live: X unreachable (nothing signed for it), or X
 * cancelled the lock it co-signed. A downstream lock signed and left unanswered is never retried elsewhere (the
 * payee could still be paid over X): the payment stays forwarded, one downstream lock at a time.
 */
import { expect } from "chai";
import { Wallet, ZeroAddress, getAddress, id, keccak256 } from "ethers";

import { Channel, type ChannelConfig } from "../../../src/channel/channel.js";
import { hashlockLock } from "../../../src/protocol/resolvers.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import type { ChannelSetup, Party } from "../../../src/protocol/types.js";
import type { RerouteDecision, RouteFailure, RouteInstruction } from "../../../src/routing/config.js";
import { Node, hashlockTransfer, type RoutedPayment } from "../../../src/routing/node.js";
import { MemoryChannelStore } from "../../../src/stores/store.js";
import { CHAIN_ID, HASHLOCK, LIMITS, NOW, POLICIES, TIMEOUT, run } from "../sdk/helpers.js";

const w = (tag: string): Wallet => new Wallet(keccak256(id(`retry ${tag}`)));
const [N, P, X, Y, PAYEE] = [w("node"), w("payer"), w("x"), w("y"), w("payee")];
const setup = (n: number, bob: Wallet): ChannelSetup => ({ chainId: CHAIN_ID, channel: getAddress(`0x${"0".repeat(36)}0e0${n}`), alice: N.address, bob: bob.address, timeout: TIMEOUT });
const [UP, DX, DY] = [setup(1, P), setup(2, X), setup(3, Y)];
const ETH = 10n ** 18n;
const FEE = 1_000n;

function cfg(s: ChannelSetup, me: Party, wallet: Wallet): ChannelConfig {
  return {
    setup: s,
    me,
    signer: walletSigner(wallet),
    store: new MemoryChannelStore(),
    limits: LIMITS,
    resolvers: POLICIES,
    clock: () => NOW,
    deposits: async () => (s.channel === UP.channel ? { alice: 0n, bob: 5n * ETH } : { alice: 5n * ETH, bob: 0n }),
  };
}

/** The onward route over `next`: N's lock to it, then the payee's lock (one step). */
const over = (next: Wallet): RouteInstruction => ({
  recipient: next.address,
  expiry: NOW + 88_000n,
  amount: ETH - FEE,
  path: [{ recipient: PAYEE.address, expiry: NOW + 1_000n, amount: ETH - 2n * FEE }],
});

type LinkOf = (c: Channel) => Parameters<Node["addPeer"]>[2];

async function world(links: { x: LinkOf; y?: LinkOf }, nodes: readonly string[] = [X.address, Y.address], route = over(X)) {
  const calls: Array<{ attempts: number; failure: RouteFailure }> = [];
  const reroute = (p: RoutedPayment, failure: RouteFailure): RerouteDecision => {
    calls.push({ attempts: p.attempts?.length ?? 0, failure });
    return failure.peer === X.address ? { route: over(Y) } : { exhausted: "no route left" };
  };
  const node = new Node({ address: N.address, hashlock: HASHLOCK, clock: () => NOW, peerTimeoutMs: 200, fee: () => FEE, isNode: (a) => nodes.includes(a), reroute });
  const payer = await Channel.create(cfg(UP, "bob", P));
  const x = await Channel.create(cfg(DX, "bob", X));
  const y = await Channel.create(cfg(DY, "bob", Y));
  node.addPeer(P.address, await Channel.create(cfg(UP, "alice", N)), { receive: (p) => payer.receive(p) });
  node.addPeer(X.address, await Channel.create(cfg(DX, "alice", N)), links.x(x));
  node.addPeer(Y.address, await Channel.create(cfg(DY, "alice", N)), (links.y ?? ((c) => ({ receive: (p) => c.receive(p) })))(y));
  await run(node.channel(P.address), payer, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 0n, totalDepositsBob: 5n * ETH });
  for (const [peer, ch] of [[X, x], [Y, y]] as const) {
    await run(node.channel(peer.address), ch, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 5n * ETH, totalDepositsBob: 0n });
  }
  const lockHash = hashlockLock(id("retry lock"));
  const lock = hashlockTransfer({ channel: UP.channel, hashlock: HASHLOCK, asset: ZeroAddress, amount: ETH, initiator: P.address, responder: N.address, timeout: TIMEOUT, lockHash, expiry: NOW + 3n * 86_400n });
  const pay = async (): Promise<void> => {
    const { ack, effects } = await node.receiveFrom(P.address, await payer.propose({ type: "create", transfer: lock }), route);
    await payer.complete(ack); // the payer holds the co-signed lock before the node's next update to it (a refund)
    await effects;
  };
  return { node, payer, x, y, calls, lockHash, pay };
}

describe("Node: the payer's node retries another route (src/routing/retry.ts)", () => {
  it("test_reroute_nextNodeUnreachable_signsNothingForItAndLocksTheSameLockTowardsTheNext", async () => {
    const t = await world({ x: (x) => ({ receive: (p) => x.receive(p), reachable: () => false }) });
    const xNonce = t.node.channel(X.address).state.nonce;
    await t.pay();
    const p = t.node.payment(t.lockHash);
    expect(p?.status).to.equal("forwarded");
    expect(p?.downstream?.peer).to.equal(Y.address);
    expect(p?.attempts?.map((a) => [a.refusedBy, a.path])).to.deep.equal([[X.address, [X.address, PAYEE.address]]]);
    expect(p?.attempts?.[0]?.reason).to.match(/not connected/);
    expect(t.calls.map((c) => [c.attempts, c.failure.peer, c.failure.channel])).to.deep.equal([[1, X.address, DX.channel]]);
    expect(t.node.channel(X.address).state.nonce).to.equal(xNonce); // nothing signed towards X
    expect(t.node.channel(X.address).pending).to.equal(undefined);
    expect(t.y.transfers.size).to.equal(1); // the lock went to Y, with the same lock hash
    expect(t.y.transfers.list()[0]?.transfer.data.slice(0, 66)).to.equal(t.lockHash.toLowerCase());
    expect(t.payer.transfers.size).to.equal(1);
  });

  it("test_reroute_nextNodeCancels_theLockIsCancelledFirstThenTriedOverTheNext", async () => {
    const t = await world({ x: (x) => ({ receive: (p) => x.receive(p) }) });
    await t.pay();
    expect(t.node.payment(t.lockHash)?.downstream?.peer).to.equal(X.address);
    const held = t.x.transfers.list()[0];
    if (held === undefined) throw new Error("no lock at X");
    const firstId = held.id;
    // X refuses after co-signing: it cancels (resolves paying itself nothing); only then is Y tried.
    await t.x.complete(await t.node.receive(X.address, await t.x.propose({ type: "resolve", transferId: held.id, toResponder: 0n, resolverData: "0x" })));
    const p = t.node.payment(t.lockHash);
    expect(p?.status).to.equal("forwarded");
    expect(p?.downstream?.peer).to.equal(Y.address);
    expect(p?.downstream?.transferId).to.not.equal(firstId);
    expect(p?.attempts?.[0]?.reason).to.match(/cancelled the lock/);
    expect(t.x.transfers.size).to.equal(0); // X's lock is gone before Y's exists
    expect(t.y.transfers.size).to.equal(1);
    expect(t.x.state.assets[0]?.balanceAlice).to.equal(5n * ETH); // X was paid nothing
  });

  it("test_reroute_notAfterASignedLockGoesUnanswered_thePaymentStaysForwardedOverX", async () => {
    const t = await world({ x: () => ({ receive: () => new Promise(() => undefined) }) }); // X never answers
    await t.pay();
    const p = t.node.payment(t.lockHash);
    expect(p?.status).to.equal("forwarded");
    expect(p?.downstream?.peer).to.equal(X.address);
    expect(p?.error).to.match(/no answer/);
    expect(t.calls).to.deep.equal([]); // never rerouted: X may hold the co-signed lock
    expect(t.node.channel(X.address).pending).to.not.equal(undefined);
    expect(t.y.transfers.size).to.equal(0);
    expect((await t.node.tick()).refunded).to.deep.equal([]); // nor refunded before the downstream expiry
  });

  it("test_reroute_exhausted_refundsThePayerAtOnceWithTheAttempts", async () => {
    // X and Y unreachable: the second failure (Y's) gets no further route.
    const away: LinkOf = (c) => ({ receive: (p) => c.receive(p), reachable: () => false });
    const t = await world({ x: away, y: away });
    await t.pay();
    const p = t.node.payment(t.lockHash);
    expect(p?.status).to.equal("refunded");
    expect(p?.attempts?.map((a) => a.refusedBy)).to.deep.equal([X.address, Y.address]);
    expect(p?.exhausted).to.equal("no route left");
    expect(t.payer.transfers.size).to.equal(0);
    expect(t.payer.state.assets[0]?.balanceBob).to.equal(5n * ETH);
  });

  it("test_reroute_notForAPaymentWithinOneNode_thePayeesCancelRefundsThePayer", async () => {
    // X is a user of N here (no node): a payee's cancel is the end of the payment, not a refusal to route around.
    const direct = { recipient: X.address, expiry: NOW + 88_000n, amount: ETH };
    const t = await world({ x: (x) => ({ receive: (p) => x.receive(p) }) }, [Y.address], direct);
    await t.pay();
    const held = t.x.transfers.list()[0];
    if (held === undefined) throw new Error("no lock at X");
    await t.x.complete(await t.node.receive(X.address, await t.x.propose({ type: "resolve", transferId: held.id, toResponder: 0n, resolverData: "0x" })));
    const p = t.node.payment(t.lockHash);
    expect(t.calls).to.deep.equal([]);
    expect(p?.status).to.equal("refunded");
    expect(p?.attempts).to.equal(undefined);
    expect(t.payer.transfers.size).to.equal(0);
  });
});
