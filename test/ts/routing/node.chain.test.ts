/**
 * The node never pays twice (docs/PROTOCOL.md §12 rule 5, review finding "the node can pay twice"): a payee who
 * settles the downstream lock on chain with the preimage just before its expiry is paid by the channel; the node
 * must not refund the payer at the downstream expiry, but learn the preimage from the chain (its watcher's
 * `onTransferSettled` → `Node.learnPreimage`) and claim upstream with it.
 */
import { expect } from "chai";
import { ZeroAddress, id, parseEther, type Wallet } from "ethers";

import type { Acknowledgement, Channel, Proposal } from "../../../src/channel/channel.js";
import { accept } from "../../../src/channel/sequencing.js";
import { lockReader, type SettledTransfer } from "../../../src/chain/settlements.js";
import { Watcher } from "../../../src/chain/watcher.js";
import { RouteError } from "../../../src/protocol/errors.js";
import { DEFAULT_SAFETY_MARGIN } from "../../../src/protocol/policies.js";
import { encodeHashlockResolution, hashlockLock } from "../../../src/protocol/resolvers.js";
import { learnPreimagesFor, revealedPreimage } from "../../../src/routing/learn.js";
import { Node, hashlockTransfer, type PeerLink } from "../../../src/routing/node.js";
import { HOUR, balance, deployEnv, openPair, travel, travelTo, wallet, type Env, type OnChainPair } from "../sdk/onchain.js";

const env: Env = await deployEnv();
const T = HOUR;
const MARGIN = DEFAULT_SAFETY_MARGIN;

class Link implements PeerLink {
  online = true;
  constructor(private readonly channel: Channel) {}
  receive(proposal: Proposal): Promise<Acknowledgement> {
    if (!this.online) return Promise.reject(new Error("unreachable"));
    return this.channel.receive(proposal);
  }
}

interface Routed {
  node: Node;
  nodeWallet: Wallet;
  up: OnChainPair;
  down: OnChainPair;
  downLink: Link;
  preimage: string;
  lockHash: string;
  downId: string;
  downExpiry: bigint;
}

let count = 0;
/** Alice → Node → Bob, 1 ETH, routed and forwarded (the minimal E_up of §12). */
async function routed(withLocks: boolean): Promise<Routed> {
  const tag = `pay twice ${count++}`;
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
    ...(withLocks ? { locks: lockReader(env.provider) } : {}),
  });
  const downLink = new Link(down.bob);
  node.addPeer(alice.address, up.alice, new Link(up.bob));
  node.addPeer(bob.address, down.alice, downLink);
  const now = await env.clock.sync();
  const preimage = id(`preimage ${tag}`);
  const lockHash = hashlockLock(preimage);
  const downExpiry = now + T + MARGIN + 120n;
  const lock = hashlockTransfer({
    channel: up.address,
    hashlock: env.hashlock,
    asset: ZeroAddress,
    amount: parseEther("1"),
    initiator: alice.address,
    responder: nodeWallet.address,
    timeout: T,
    lockHash,
    expiry: downExpiry + T + MARGIN,
  });
  const proposal = await up.bob.propose({ type: "create", transfer: lock });
  await up.bob.complete(await node.receive(alice.address, proposal, { recipient: bob.address, expiry: downExpiry }));
  const downId = node.payment(lockHash)?.downstream?.transferId as string;
  return { node, nodeWallet, up, down, downLink, preimage, lockHash, downId, downExpiry };
}

/** Bob, offline for the node, settles his downstream lock on chain with the preimage before it expires. */
async function bobClaimsOnChain(r: Routed): Promise<void> {
  r.downLink.online = false;
  await r.down.bob.learnResolution(r.downId, encodeHashlockResolution(r.preimage));
  const bobWatcher = new Watcher({ provider: env.provider, sender: r.down.bobWallet, channel: r.down.address, store: r.down.bobStore });
  await bobWatcher.dispute();
  await travel(env, T);
  const report = await bobWatcher.tick();
  expect(report.actions.map((a) => a.kind)).to.include("claimTransfer");
  expect(env.clock.now()).to.be.lessThan(r.downExpiry); // claimed before E_down: the hashlock paid Bob
}

/** [alice's, bob's] ETH balance in the latest state `ch` holds. */
function balances(ch: Channel): [bigint, bigint] {
  const a = ch.state.assets.find((x) => x.asset === ZeroAddress);
  return [a?.balanceAlice ?? 0n, a?.balanceBob ?? 0n];
}

describe("Node never pays twice (src/routing/node.ts, src/chain/watcher.ts)", function () {
  this.timeout(120_000);

  it("does not refund the payer after the payee settled the downstream lock on chain; claims upstream with the preimage the watcher saw", async () => {
    const r = await routed(true);
    const bobBefore = await balance(env, r.down.bobWallet.address);
    await bobClaimsOnChain(r);
    expect(await balance(env, r.down.bobWallet.address)).to.be.greaterThan(bobBefore); // the channel paid Bob

    // Past E_down + margin. The node's own watcher has not run yet: the node knows nothing of the claim, but the
    // chain's transfer record shows it, so the node must not refund Alice.
    await travelTo(env, r.downExpiry + MARGIN);
    const tick = await r.node.tick();
    expect(tick.refunded).to.deep.equal([]);
    expect(tick.waiting.map((w) => w.lockHash)).to.deep.equal([r.lockHash]);
    expect(tick.waiting[0]?.reason).to.match(/claimed .* on chain/);
    expect(r.node.payment(r.lockHash)?.status).to.equal("forwarded");
    expect(r.up.alice.transfers.size).to.equal(1); // Alice's lock is still there

    // The node's watcher of the downstream channel sees the settlement and its evidence, and hands it over.
    const seen: SettledTransfer[] = [];
    const nodeWatcher = new Watcher({
      provider: env.provider,
      sender: r.nodeWallet,
      channel: r.down.address,
      store: r.down.aliceStore,
      onTransferSettled: async (s) => {
        seen.push(s);
        await learnPreimagesFor(r.node)(s);
      },
    });
    const report = await nodeWatcher.tick();
    expect(report.settled.map((s) => s.transferId)).to.deep.equal([r.downId]);
    expect(seen[0]?.resolverData).to.equal(encodeHashlockResolution(r.preimage).toLowerCase());
    expect(seen[0]?.toResponder).to.equal(parseEther("1"));
    expect(revealedPreimage(seen[0] as SettledTransfer)).to.equal(r.preimage);
    expect(nodeWatcher.settledTransfers().has(r.downId)).to.equal(true);
    expect(r.node.payment(r.lockHash)?.status).to.equal("completed");
    for (const ch of [r.up.alice, r.up.bob]) expect(balances(ch)).to.deep.equal([parseEther("1"), parseEther("4")]);
    expect(r.up.alice.transfers.size).to.equal(0);
    // The upstream channel's store keeps the preimage for the node's upstream watcher.
    const upRecord = await r.up.aliceStore.load(r.up.address);
    expect(Object.values(upRecord?.resolutions ?? {})).to.include(encodeHashlockResolution(r.preimage).toLowerCase());
    // A second tick changes nothing: no refund ever follows the claim.
    expect((await r.node.tick()).refunded).to.deep.equal([]);
  });

  it("refunds the payer only once the chain is past E_down + margin and shows no claim", async () => {
    const r = await routed(true);
    r.downLink.online = false;
    await travelTo(env, r.downExpiry);
    const early = await r.node.tick(); // at E_down the chain might still reorg a last-moment claim in
    expect(early.refunded).to.deep.equal([]);
    expect(early.waiting[0]?.reason).to.match(/before .*E_down \+ margin/);
    await travelTo(env, r.downExpiry + MARGIN);
    expect((await r.node.tick()).refunded).to.deep.equal([r.lockHash]);
    // A refund settlement reveals no preimage.
    expect(revealedPreimage({ transferId: r.downId, toResponder: 0n, toInitiator: parseEther("1"), resolverData: "0x", txHash: "0x", blockNumber: 0 })).to.equal(undefined);
    for (const ch of [r.up.alice, r.up.bob]) expect(balances(ch)).to.deep.equal([0n, parseEther("5")]);
  });

  it("test_tick_payeesClaimTheNodeSignedWithItsAckLost_claimsUpstreamAndNeverRefunds", async () => {
    // The chaos run's "node pays twice": the node signed the payee's claim intent (sequenced flow), the payee
    // co-signed and stored it (it can enforce it on chain), its acknowledgement never reached the node; at
    // E_down + margin the chain shows no settlement. The node must take the claim it signed, not refund the payer.
    const r = await routed(true);
    const claim = { type: "resolve", transferId: r.downId, toResponder: parseEther("1"), resolverData: encodeHashlockResolution(r.preimage) } as const;
    const proposal = await r.node.intent(r.down.bobWallet.address, claim);
    await accept(r.down.bob, proposal, claim);
    r.downLink.online = false;
    expect(balances(r.down.bob)).to.deep.equal([parseEther("4"), parseEther("1")]); // the payee holds its payment
    await travelTo(env, r.downExpiry + MARGIN);
    const report = await r.node.tick();
    expect(report.refunded).to.deep.equal([]);
    expect(r.node.payment(r.lockHash)?.status).to.equal("completed");
    for (const ch of [r.up.alice, r.up.bob]) expect(balances(ch)).to.deep.equal([parseEther("1"), parseEther("4")]);
  });

  it("never reads an expired downstream lock as unclaimed without a lock reader", async () => {
    const r = await routed(false);
    r.downLink.online = false;
    await travelTo(env, r.downExpiry + 10n * T);
    const tick = await r.node.tick();
    expect(tick.refunded).to.deep.equal([]);
    expect(tick.waiting[0]?.reason).to.match(/no lock reader/);
    expect(r.node.payment(r.lockHash)?.status).to.equal("forwarded");
  });

  it("learnPreimage refuses a preimage that does not open the lock, and ignores one no payment waits for", async () => {
    const r = await routed(true);
    const wrong = await r.node.learnPreimage(r.lockHash, id("not it")).catch((e: unknown) => e);
    expect(wrong).to.be.instanceOf(RouteError);
    const stranger = id("no such payment");
    expect(await r.node.learnPreimage(hashlockLock(stranger), stranger)).to.equal(false);
    expect(r.node.payment(r.lockHash)?.status).to.equal("forwarded");
  });
});
