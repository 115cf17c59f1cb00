/**
 * `route.find`'s parts (src/node/peers/routeFind.ts): the payer's node finds the cheapest route over its graph
 * and refuses one above the payer's fee bound with a typed error; the route becomes the instruction
 * `payment.send` carries (the next node, then one step per node, the payee last).
 */
import { expect } from "chai";

import { findNetworkRoute } from "../../../../src/node/peers/routeFind.js";
import { routeInstructionOf } from "../../../../src/routing/network/instruction.js";
import { RouteError } from "../../../../src/protocol/errors.js";
import { NoRouteError } from "../../../../src/routing/network/errors.js";
import { ChannelGraph } from "../../../../src/routing/network/graph.js";
import { signChannelAnnouncement } from "../../../../src/routing/network/announce.js";
import { CHAIN_ID, DEPLOYMENT, ETH, NOW, announcement, channelOf, node } from "../../routing/network/fixtures.js";

const fees = { default: { flat: 1_000n, ppm: 100n }, assets: new Map() };

async function graph(): Promise<ChannelGraph> {
  const g = new ChannelGraph({ chainId: CHAIN_ID, deployment: DEPLOYMENT });
  const side = { capacity: 10n ** 19n, flat: 1_000n, ppm: 100n };
  for (const [from, to, timeout] of [["A", "B", 7_200n], ["B", "C", 1_800n], ["C", "B", 1_800n]] as const) {
    const signed = await signChannelAnnouncement(node(from).signer, CHAIN_ID, announcement(from, to, { ...side, timeout }));
    await g.admit(signed, { now: NOW, channelTotal: () => 10n ** 20n });
  }
  return g;
}

describe("node peers: route.find", () => {
  const ctx = async () => ({ self: node("A").address, graph: await graph(), fees, now: NOW, payerChannel: channelOf("A", "U"), payerTimeout: 7_200n });
  const params = { payee: node("U3").address, payeeNode: node("C").address, asset: ETH, amount: 10n ** 18n, lockHash: "0x" + "ab".repeat(32), payeeWindow: 2_700n };

  it("test_findNetworkRoute_cheapestRouteAndItsInstruction", async () => {
    const route = findNetworkRoute(node("U1").address, params, await ctx());
    expect(route.hops.map((h) => h.node)).to.deep.equal([node("A").address, node("B").address, node("C").address]);
    expect(route.hops.map((h) => h.expiryIn - h.expiryOut)).to.deep.equal([7_800n, 7_800n, 2_400n]);
    const instruction = routeInstructionOf(route).instruction;
    expect(instruction).to.deep.equal({
      recipient: node("B").address,
      expiry: route.hops[0]?.expiryOut,
      amount: route.hops[0]?.amountOut,
      path: [
        { recipient: node("C").address, expiry: route.hops[1]?.expiryOut, amount: route.hops[1]?.amountOut },
        { recipient: node("U3").address, expiry: NOW + 2_700n, amount: 10n ** 18n },
      ],
    });
  });

  it("test_findNetworkRoute_refusesAFeeAboveTheBoundAndTheOwnNode", async () => {
    const c = await ctx();
    expect(() => findNetworkRoute(node("U1").address, { ...params, maxFee: 1_000n }, c)).to.throw(NoRouteError);
    expect(() => findNetworkRoute(node("U1").address, { ...params, payeeNode: node("A").address }, c)).to.throw(RouteError);
  });
});
