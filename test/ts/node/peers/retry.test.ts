/**
 * The payer's node's choice of the next route (src/node/peers/retry.ts networkReroute) and what a failed attempt
 * leaves in the payment (src/routing/retry.ts legsOf): over a diamond A → B → D, A → C → D (C dearer), the next
 * route avoids the node that refused, keeps the payer's lock (amount and expiry) and the payee's lock, and the
 * retries end, with the reason, at the attempts bound, the retry window, an expired payee lock, a route that would
 * not fit the payer's lock, or when every way is ruled out.
 */
import { expect } from "chai";
import { ZeroHash } from "ethers";

import { DEFAULT_RETRY, networkReroute } from "../../../../src/node/peers/retry.js";
import { signChannelAnnouncement } from "../../../../src/routing/network/announce.js";
import { ChannelGraph } from "../../../../src/routing/network/graph.js";
import { findRoute } from "../../../../src/routing/network/pathfind.js";
import type { NetworkRoute } from "../../../../src/routing/network/types.js";
import type { RouteFailure } from "../../../../src/routing/config.js";
import type { RoutedPayment, RouteAttempt } from "../../../../src/routing/payments.js";
import { legsOf } from "../../../../src/routing/retry.js";
import { CHAIN_ID, DEPLOYMENT, ETH, NOW, announcement, channelOf, node } from "../../routing/network/fixtures.js";

const fees = { default: { flat: 1_000n, ppm: 100n }, assets: new Map() };
const AMOUNT = 10n ** 18n;
const LOCK = "0x" + "cd".repeat(32);
const T_PAYER = 7_200n;

async function diamond(cTimeout = 1_800n, extra: Array<[string, string]> = []): Promise<ChannelGraph> {
  const g = new ChannelGraph({ chainId: CHAIN_ID, deployment: DEPLOYMENT });
  const sides: Array<[string, string, bigint, bigint]> = [
    ["A", "B", 7_200n, 1_000n],
    ["A", "C", 7_200n, 1_000n],
    ["B", "D", 1_800n, 1_000n],
    ["C", "D", cTimeout, 2_000n], // C charges more: the first route goes over B
    ["D", "B", 1_800n, 1_000n], // D's own sides: the payee's node is priced from its announcements
    ["D", "C", 1_800n, 1_000n],
    ...extra.map(([f, t]) => [f, t, 1_800n, 1_000n] as [string, string, bigint, bigint]),
  ];
  for (const [from, to, timeout, flat] of sides) {
    const signed = await signChannelAnnouncement(node(from).signer, CHAIN_ID, announcement(from, to, { capacity: 10n ** 19n, flat, ppm: 100n, timeout }));
    await g.admit(signed, { now: NOW, channelTotal: () => 10n ** 20n });
  }
  return g;
}

/** The first route U1 → A → … → D → U4 and the payment A holds for it (its downstream lock and the onward steps). */
function paymentOver(route: NetworkRoute, lockAmount: bigint, lockExpiry?: bigint): RoutedPayment {
  const hop0 = route.hops[0] as NetworkRoute["hops"][number];
  const transfer = (channel: string, amount: bigint) => ({
    channel,
    resolver: node("hashlock").address,
    asset: ETH,
    amount,
    initiator: node("U1").address,
    responder: node("A").address,
    timeout: T_PAYER,
    salt: ZeroHash,
    data: "0x",
  });
  const [next, ...rest] = route.hops.slice(1).map((h, i) => ({ recipient: route.hops[i + 2]?.node ?? route.payee, expiry: h.expiryOut, amount: h.amountOut }));
  const second = route.hops[1] as NetworkRoute["hops"][number];
  return {
    lockHash: LOCK,
    status: "accepted",
    upstream: { peer: node("U1").address, transferId: ZeroHash, transfer: transfer(channelOf("A", "U1"), lockAmount), expiry: lockExpiry ?? hop0.expiryIn },
    downstream: { peer: second.node, transferId: ZeroHash, transfer: transfer(second.channel, hop0.amountOut), expiry: hop0.expiryOut },
    onward: { recipient: (next as { recipient: string }).recipient, expiry: second.expiryOut, amount: second.amountOut, ...(rest.length > 0 ? { path: rest } : {}) },
    startedAt: 1_000,
  };
}

function firstRoute(g: ChannelGraph): NetworkRoute {
  return findRoute(
    g,
    { payer: node("U1").address, payerChannel: channelOf("A", "U1"), payerTimeout: T_PAYER, payerNode: node("A").address, payee: node("U4").address, payeeNode: node("D").address, asset: ETH, amount: AMOUNT, lockHash: LOCK, payeeWindow: 2_700n },
    { now: NOW, feeOf: (n) => (n === node("A").address ? fees.default : undefined) },
  );
}

const refused = (by: string, p: RoutedPayment): RouteAttempt => ({ path: legsOf(p).map((l) => l.recipient), refusedBy: node(by).address, reason: "refused", failedAt: 1_500 });
const failure = (by: string, now = NOW + 5n): RouteFailure => ({ peer: node(by).address, channel: channelOf("A", by), reason: "refused", upstreamTimeout: T_PAYER, now });

describe("node peers: the payer's node's next route", () => {
  it("test_networkReroute_avoidsTheRefusingNodeAndKeepsThePayersAndThePayeesLocks", async () => {
    const g = await diamond();
    const first = firstRoute(g);
    expect(first.hops.map((h) => h.node)).to.deep.equal([node("A"), node("B"), node("D")].map((n) => n.address));
    const lock = (first.hops[0]?.amountIn ?? 0n) + 1_000n; // the payer locked a little more than the cheapest route
    const p0 = paymentOver(first, lock);
    expect(legsOf(p0).map((l) => l.recipient)).to.deep.equal([node("B"), node("D"), node("U4")].map((n) => n.address));
    const p = { ...p0, attempts: [refused("B", p0)] };
    const reroute = networkReroute({ self: node("A").address, graph: g, fees, clock: () => 2_000 });
    const decision = reroute(p, failure("B"));
    if (!("route" in decision)) throw new Error(`expected a route, got ${decision.exhausted}`);
    const { route } = decision;
    expect([route.recipient, ...(route.path ?? []).map((s) => s.recipient)]).to.deep.equal([node("C"), node("D"), node("U4")].map((n) => n.address));
    const payee = route.path?.[route.path.length - 1];
    expect(payee).to.deep.equal({ recipient: node("U4").address, expiry: legsOf(p0)[2]?.expiry, amount: AMOUNT }); // the payee's lock unchanged
    expect(route.expiry).to.equal(p0.downstream?.expiry); // the same timeouts: the same expiry towards C as towards B
    expect(lock - (route.amount ?? 0n)).to.be.greaterThanOrEqual(1_000n + (AMOUNT * 100n) / 1_000_000n); // A's fee is left
  });

  it("test_networkReroute_endsAtTheAttemptsBoundTheWindowAndAnExpiredPayeeLock", async () => {
    const g = await diamond();
    const p0 = paymentOver(firstRoute(g), 2n * AMOUNT);
    const failed = { ...p0, attempts: [refused("B", p0)] };
    const bound = networkReroute({ self: node("A").address, graph: g, fees, policy: { maxAttempts: 1, withinMs: 60_000 }, clock: () => 2_000 });
    expect(bound(failed, failure("B"))).to.deep.equal({ exhausted: "1 attempts, the most this node makes per payment" });
    const late = networkReroute({ self: node("A").address, graph: g, fees, clock: () => 1_000 + DEFAULT_RETRY.withinMs + 1 });
    expect(late(failed, failure("B"))).to.deep.equal({ exhausted: `the retry window of ${DEFAULT_RETRY.withinMs} ms is over` });
    const reroute = networkReroute({ self: node("A").address, graph: g, fees, clock: () => 2_000 });
    const payeeExpiry = legsOf(p0)[2]?.expiry as bigint;
    expect(reroute(failed, failure("B", payeeExpiry))).to.deep.equal({ exhausted: `the payee's lock expiry ${payeeExpiry} has passed` });
  });

  it("test_networkReroute_refusesARouteThatDoesNotFitThePayersLock", async () => {
    // C's channel with D has a longer timeout: the route over C would need a later payer lock than the one made.
    const g = await diamond(3_600n);
    const p0 = paymentOver(firstRoute(g), 2n * AMOUNT);
    const reroute = networkReroute({ self: node("A").address, graph: g, fees, clock: () => 2_000 });
    const d = reroute({ ...p0, attempts: [refused("B", p0)] }, failure("B"));
    expect(d).to.have.property("exhausted").that.matches(/no route/);
    // And its fee: a payer lock of exactly the first route's amount leaves nothing for C's higher fee.
    const tight = paymentOver(firstRoute(await diamond()), firstRoute(await diamond()).hops[0]?.amountIn as bigint);
    expect(reroute({ ...tight, attempts: [refused("B", tight)] }, failure("B"))).to.have.property("exhausted").that.matches(/no route/);
  });

  it("test_networkReroute_excludesEveryRefusingNodeAndThePayeeNodesDirectChannel", async () => {
    const g = await diamond(1_800n, [["A", "D"]]); // and a direct channel A → D
    const first = firstRoute(g);
    expect(first.hops.map((h) => h.node)).to.deep.equal([node("A"), node("D")].map((n) => n.address)); // the direct one is cheapest
    const short = paymentOver(first, 2n * AMOUNT);
    const reroute = networkReroute({ self: node("A").address, graph: g, fees, clock: () => 2_000 });
    // The payer's lock made for the direct route is too short for a route with one more node.
    expect(reroute({ ...short, attempts: [refused("D", short)] }, failure("D"))).to.have.property("exhausted").that.matches(/no route/);
    // A payer lock 7,800 s longer (its channel's timeout + margin): D refused on its direct channel, the next route
    // reaches D another way (over B, the cheaper of B and C).
    const p0 = paymentOver(first, 2n * AMOUNT, (first.hops[0]?.expiryIn as bigint) + T_PAYER + 600n);
    const afterD = reroute({ ...p0, attempts: [refused("D", p0)] }, failure("D"));
    if (!("route" in afterD)) throw new Error(afterD.exhausted);
    expect(afterD.route.recipient).to.equal(node("B").address);
    // D, then B, then C refused: nothing is left.
    const all = [refused("D", p0), { ...refused("B", p0) }, { ...refused("C", p0) }];
    const none = networkReroute({ self: node("A").address, graph: g, fees, policy: { maxAttempts: 5, withinMs: 60_000 }, clock: () => 2_000 });
    expect(none({ ...p0, attempts: all }, failure("C"))).to.have.property("exhausted").that.matches(/no route/);
  });
});
