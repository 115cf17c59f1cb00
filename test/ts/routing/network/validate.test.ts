/**
 * checkNetworkRoute (src/routing/network/validate.ts): every bad input of issue 16 refused with its typed error,
 * at the payer's node (max fee, the graph) and at a forwarding node (its own hop, channel, timeout and fee);
 * the expiry rules tested at their bounds.
 */
import { expect } from "chai";
import { ZeroHash } from "ethers";

import {
  RouteCapacityError,
  RouteExpiryError,
  RouteFeeError,
  RouteLoopError,
  RouteShapeError,
} from "../../../../src/routing/network/errors.js";
import type { ChannelGraph } from "../../../../src/routing/network/graph.js";
import { findRoute } from "../../../../src/routing/network/pathfind.js";
import { parseRoute } from "../../../../src/routing/network/schemas.js";
import { MalformedMessageError } from "../../../../src/protocol/errors.js";
import { decodeJson, encodeJson } from "../../../../src/protocol/record.js";
import type { NetworkRoute, RouteHop } from "../../../../src/routing/network/types.js";
import { checkNetworkRoute, type RouteCheckContext } from "../../../../src/routing/network/validate.js";
import { payerLockOf, routeInstructionOf } from "../../../../src/routing/network/instruction.js";

import { ETH, MARGIN, NOW, TOKEN, channelOf, graphOf, node, request, signed } from "./fixtures.js";

const DAY = 86_400n;
const M = 10n ** 6n;

let graph: ChannelGraph;
let good: NetworkRoute;

/** A copy of `route` with hop `i` changed by `patch`. */
function withHop(route: NetworkRoute, i: number, patch: Partial<RouteHop>): NetworkRoute {
  return { ...route, hops: route.hops.map((h, j) => (j === i ? { ...h, ...patch } : { ...h })) };
}

const ctx = (extra: Partial<RouteCheckContext> = {}): RouteCheckContext => ({ now: NOW, margin: MARGIN, ...extra });

describe("routing/network checkNetworkRoute", () => {
  before(async () => {
    graph = await graphOf([
      await signed("A", "B", { capacity: M, flat: 1n, timeout: 2n * DAY }),
      await signed("B", "C", { capacity: M, flat: 2n, timeout: DAY }),
      await signed("B", "A", { capacity: M, flat: 2n, timeout: 2n * DAY }),
      await signed("C", "B", { capacity: 0n, flat: 3n, timeout: DAY }),
    ]);
    good = findRoute(graph, request("A", "C", 10_000n), { now: NOW, margin: MARGIN });
    expect(good.hops).to.have.length(3);
  });

  it("test_checkNetworkRoute_acceptsAPlannedRouteAndFindsTheCheckersHop", () => {
    expect(checkNetworkRoute(good, ctx({ graph, maxFee: good.totalFee }))).to.equal(-1);
    const b = good.hops[1] as RouteHop;
    const view = {
      node: b.node,
      upstreamChannel: channelOf("A", "B"),
      upstreamTimeout: 2n * DAY,
      fee: { flat: 2n, ppm: 0n },
    };
    expect(checkNetworkRoute(good, ctx({ graph, self: view }))).to.equal(1);
  });

  it("test_parseRoute_roundTripsTheWireEncodingAndRefusesMalformedRoutes", () => {
    expect(parseRoute(decodeJson(encodeJson(good)))).to.deep.equal(good);
    expect(() => parseRoute({ ...good, hops: [] })).to.throw(MalformedMessageError);
    expect(() => parseRoute({ ...good, extra: true })).to.throw(MalformedMessageError);
    expect(() => parseRoute(withHop(good, 0, { fee: -1n }))).to.throw(MalformedMessageError);
    const asNumber = JSON.parse(encodeJson(good)) as { amount: unknown };
    asNumber.amount = 10_000;
    expect(() => parseRoute(asNumber)).to.throw(MalformedMessageError);
  });

  it("test_checkNetworkRoute_refusesExpiriesThatDoNotDecreaseEnough", () => {
    // Hop 1 (B): E_in - E_out = T_AB + margin exactly is accepted; one second less is refused.
    const b = good.hops[1] as RouteHop;
    const short = b.expiryIn - 1n;
    const shifted = withHop(withHop(good, 1, { expiryIn: short }), 0, { expiryOut: short });
    const error = (() => {
      try {
        checkNetworkRoute(shifted, ctx());
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).to.be.instanceOf(RouteExpiryError);
    expect(error).to.include({ hop: 1, code: "ROUTE_EXPIRY" });
    expect(b.expiryIn - b.expiryOut).to.equal(b.timeout + MARGIN);
    // A larger margin than the route was planned with refuses it too.
    expect(() => checkNetworkRoute(good, ctx({ margin: MARGIN + 1n }))).to.throw(RouteExpiryError);
  });

  it("test_checkNetworkRoute_refusesADownstreamLockTheUpstreamPayerCouldOutrun", () => {
    // The payee's node C alone: its downstream lock may end at now + 2·T_BC - margin at the latest (settle-window
    // rule with the SDK's window = T): accepted there, refused one second later.
    const c = good.hops[2] as RouteHop;
    const latest = NOW + 2n * c.timeout - MARGIN;
    const at = { ...c, expiryOut: latest, expiryIn: latest + c.timeout + MARGIN };
    const alone: NetworkRoute = { ...good, payerNode: c.node, hops: [at], totalFee: c.fee };
    checkNetworkRoute(alone, ctx());
    const later = { ...alone, hops: [{ ...at, expiryOut: latest + 1n, expiryIn: latest + 1n + c.timeout + MARGIN }] };
    expect(() => checkNetworkRoute(later, ctx())).to.throw(RouteExpiryError, /hop 0: .*refunded before the preimage/);
    // Over three nodes with node channels of one day each (the planner would never produce it): refused at B.
    const equal = planned(
      [
        ["A", "payer", 8n * DAY, 0n],
        ["B", "A-B", DAY, 0n],
        ["C", "B-C", DAY, 0n],
      ],
      1_000n,
    );
    expect(() => checkNetworkRoute(equal, ctx())).to.throw(RouteExpiryError, /hop 1/);
  });

  it("test_checkNetworkRoute_refusesAnExpiredPayeeLock", () => {
    const last = good.hops[2] as RouteHop;
    expect(() => checkNetworkRoute(good, ctx({ now: last.expiryOut - MARGIN }))).to.throw(
      RouteExpiryError,
      /payee's lock/,
    );
  });

  it("test_checkNetworkRoute_refusesAFeeAboveWhatThePayerAccepted", () => {
    checkNetworkRoute(good, ctx({ maxFee: good.totalFee }));
    expect(() => checkNetworkRoute(good, ctx({ maxFee: good.totalFee - 1n }))).to.throw(
      RouteFeeError,
      /payer accepted/,
    );
  });

  it("test_checkNetworkRoute_refusesAForwardersFeeBelowItsSchedule", () => {
    const b = good.hops[1] as RouteHop;
    const view = {
      node: b.node,
      upstreamChannel: channelOf("A", "B"),
      upstreamTimeout: 2n * DAY,
      fee: { flat: 2n, ppm: 100n },
    };
    // 2 + 100 ppm of 10,003 = 3 > the 2 planned.
    expect(() => checkNetworkRoute(good, ctx({ self: view }))).to.throw(RouteFeeError);
  });

  it("test_checkNetworkRoute_refusesALoop", () => {
    const twiceB = planned(
      [
        ["A", "payer", 8n * DAY, 1n],
        ["B", "A-B", 4n * DAY, 1n],
        ["C", "B-C", 2n * DAY, 1n],
        ["B", "C-B", DAY, 1n],
      ],
      1_000n,
    );
    checkShapeOnly(twiceB);
    expect(() => checkNetworkRoute(twiceB, ctx())).to.throw(RouteLoopError, /forwards twice/);
    const twiceAB = planned(
      [
        ["A", "payer", 8n * DAY, 1n],
        ["B", "A-B", 4n * DAY, 1n],
        ["C", "A-B", 2n * DAY, 1n],
      ],
      1_000n,
    );
    expect(() => checkNetworkRoute(twiceAB, ctx())).to.throw(RouteLoopError, /crossed twice/);
  });

  it("test_checkNetworkRoute_refusesAmountsThatDoNotHoldTogether", () => {
    const cases: Array<[string, NetworkRoute]> = [
      ["fee not in - out", withHop(good, 1, { fee: (good.hops[1] as RouteHop).fee + 1n })],
      [
        "amounts do not chain",
        withHop(good, 1, {
          amountOut: (good.hops[1] as RouteHop).amountOut - 1n,
          fee: (good.hops[1] as RouteHop).fee + 1n,
        }),
      ],
      ["expiries do not chain", withHop(good, 2, { expiryIn: (good.hops[2] as RouteHop).expiryIn - 1n })],
      ["payee amount", { ...good, amount: good.amount + 1n }],
      ["total fee", { ...good, totalFee: good.totalFee - 1n }],
      ["negative fee", withHop(good, 0, { amountIn: (good.hops[0] as RouteHop).amountOut - 1n, fee: -1n })],
      ["mixed assets", withHop(good, 1, { asset: TOKEN })],
      ["first hop", { ...good, payerNode: node("B").address }],
      ["last hop", { ...good, payeeNode: node("B").address }],
      ["zero lock", { ...good, lockHash: ZeroHash }],
      ["no hops", { ...good, hops: [] }],
    ];
    for (const [why, route] of cases) expect(() => checkNetworkRoute(route, ctx()), why).to.throw(RouteShapeError);
    expect(() => checkNetworkRoute(good, ctx({ maxHops: 2 }))).to.throw(RouteShapeError, /above the bound of 2/);
    const zero = withHop(withHop(good, 2, { amountOut: 0n, fee: (good.hops[2] as RouteHop).amountIn }), 2, {});
    expect(() =>
      checkNetworkRoute({ ...zero, amount: 0n, totalFee: (good.hops[0] as RouteHop).amountIn }, ctx()),
    ).to.throw(RouteShapeError, /positive/);
  });

  it("test_checkNetworkRoute_refusesChannelsTheGraphDoesNotHoldOrCannotCarry", async () => {
    const small = await graphOf([
      await signed("A", "B", { capacity: (good.hops[1] as RouteHop).amountIn - 1n, flat: 1n, timeout: 2n * DAY }),
      await signed("B", "C", { capacity: M, flat: 2n, timeout: DAY }),
    ]);
    expect(() => checkNetworkRoute(good, ctx({ graph: small }))).to.throw(RouteCapacityError, /less than/);
    const missing = await graphOf([await signed("A", "B", { capacity: M, flat: 1n, timeout: 2n * DAY })]);
    expect(() => checkNetworkRoute(good, ctx({ graph: missing }))).to.throw(RouteCapacityError, /not in the graph/);
    const reverse = await graphOf([
      await signed("B", "A", { capacity: M, timeout: 2n * DAY }),
      await signed("B", "C", { capacity: M, flat: 2n, timeout: DAY }),
    ]);
    expect(() => checkNetworkRoute(good, ctx({ graph: reverse }))).to.throw(RouteCapacityError, /not in the graph/);
    const otherTimeout = await graphOf([
      await signed("A", "B", { capacity: M, flat: 1n, timeout: 3n * DAY }),
      await signed("B", "C", { capacity: M, flat: 2n, timeout: DAY }),
    ]);
    expect(() => checkNetworkRoute(good, ctx({ graph: otherTimeout }))).to.throw(RouteCapacityError, /timeout/);
    const otherAsset = await graphOf([
      await signed("A", "B", { capacity: M, flat: 1n, timeout: 2n * DAY, asset: TOKEN }),
      await signed("B", "C", { capacity: M, flat: 2n, timeout: DAY }),
    ]);
    expect(() => checkNetworkRoute(good, ctx({ graph: otherAsset }))).to.throw(RouteCapacityError);
    expect(good.asset).to.equal(ETH);
  });

  it("test_checkNetworkRoute_refusesAForwarderThatIsNotTheHopItIsAskedFor", () => {
    const b = good.hops[1] as RouteHop;
    const base = {
      node: b.node,
      upstreamChannel: channelOf("A", "B"),
      upstreamTimeout: 2n * DAY,
      fee: { flat: 0n, ppm: 0n },
    };
    expect(() => checkNetworkRoute(good, ctx({ self: { ...base, node: node("Z").address } }))).to.throw(
      RouteShapeError,
      /not a hop/,
    );
    expect(() => checkNetworkRoute(good, ctx({ self: { ...base, upstreamChannel: channelOf("B", "C") } }))).to.throw(
      RouteShapeError,
      /arrives in/,
    );
    expect(() => checkNetworkRoute(good, ctx({ self: { ...base, upstreamTimeout: 3n * DAY } }))).to.throw(
      RouteExpiryError,
      /plans with timeout/,
    );
  });
});

const CHANNELS: Record<string, string> = {};

/** The channel named `name`: "payer" (the payer's channel) or "X-Y" (the pair's channel). */
function channelNamed(name: string): string {
  if (name === "payer") return request("A", "A", 1n).payerChannel;
  const [x, y] = name.split("-") as [string, string];
  return (CHANNELS[name] ??= channelOf(x, y));
}

/** A consistent route over `hops` ([node, upstream channel, its timeout, fee]), planned backwards like pathfind. */
function planned(hops: Array<[string, string, bigint, bigint]>, amount: bigint): NetworkRoute {
  const out: RouteHop[] = [];
  let amountOut = amount;
  let expiryOut = NOW + DAY;
  for (let i = hops.length - 1; i >= 0; i--) {
    const [name, channel, timeout, fee] = hops[i] as [string, string, bigint, bigint];
    const hop: RouteHop = {
      node: node(name).address,
      channel: channelNamed(channel),
      asset: ETH,
      amountIn: amountOut + fee,
      amountOut,
      expiryIn: expiryOut + timeout + MARGIN,
      expiryOut,
      fee,
      timeout,
    };
    out.unshift(hop);
    amountOut = hop.amountIn;
    expiryOut = hop.expiryIn;
  }
  const first = out[0] as RouteHop;
  const last = out[out.length - 1] as RouteHop;
  return { ...good, payerNode: first.node, payeeNode: last.node, hops: out, amount, totalFee: first.amountIn - amount };
}

/** A → B → C: fees 1 and 2 (B's back to C's payee side 3), channel timeouts two days and one. */
async function lineGraph(): Promise<ChannelGraph> {
  return graphOf([
    await signed("A", "B", { capacity: M, flat: 1n, timeout: 2n * DAY }),
    await signed("B", "C", { capacity: M, flat: 2n, timeout: DAY }),
    await signed("C", "B", { capacity: 0n, flat: 3n, timeout: DAY }),
  ]);
}

/** The route is well formed apart from the rule under test (so the test exercises that rule, not another). */
function checkShapeOnly(route: NetworkRoute): void {
  for (let i = 0; i + 1 < route.hops.length; i++) {
    expect((route.hops[i] as RouteHop).amountOut).to.equal((route.hops[i + 1] as RouteHop).amountIn);
    expect((route.hops[i] as RouteHop).expiryOut).to.equal((route.hops[i + 1] as RouteHop).expiryIn);
  }
}

describe("routing/network routeInstructionOf", () => {
  it("test_routeInstructionOf_givesThePayersLockAndTheOnwardSteps", async () => {
    const g = await lineGraph();
    const route = findRoute(g, request("A", "C", 10_000n), { now: NOW, margin: MARGIN });
    const [a, b, c] = route.hops as [RouteHop, RouteHop, RouteHop];
    const { lock, instruction } = routeInstructionOf(route);
    expect(lock).to.deep.equal({ amount: a.amountIn, expiry: a.expiryIn, lockHash: route.lockHash });
    expect(instruction).to.deep.equal({
      recipient: b.node,
      expiry: a.expiryOut,
      amount: a.amountOut,
      path: [
        { recipient: c.node, expiry: b.expiryOut, amount: b.amountOut },
        { recipient: route.payee, expiry: c.expiryOut, amount: c.amountOut },
      ],
    });
    const single = findRoute(g, request("C", "C", 5n), { now: NOW, margin: MARGIN });
    expect(routeInstructionOf(single).instruction).to.deep.equal({
      recipient: single.payee,
      expiry: (single.hops[0] as RouteHop).expiryOut,
      amount: 5n,
    });
  });

  it("test_payerLockOf_refusesARouteWhoseFeeIsAboveThePayersMaxBeforeAnyLock", async () => {
    const g = await lineGraph();
    const route = findRoute(g, request("A", "C", 10_000n), { now: NOW, margin: MARGIN });
    expect(payerLockOf(route, { now: NOW, maxFee: route.totalFee, margin: MARGIN })).to.deep.equal(routeInstructionOf(route));
    expect(() => payerLockOf(route, { now: NOW, maxFee: route.totalFee - 1n, margin: MARGIN })).to.throw(RouteFeeError, /above the most the payer accepted/);
    // A route whose node understated a hop's fee (total fee that is not the hops') is refused too.
    const forged = { ...route, totalFee: route.totalFee - 1n };
    expect(() => payerLockOf(forged, { now: NOW, maxFee: route.totalFee, margin: MARGIN })).to.throw(RouteShapeError);
  });
});
