/**
 * CollateralManager.observe: the collateral gauge is the node's balance summed over every channel, kept as running
 * sums (a channel's old balances out, its new ones in) so an update does not walk every channel.
 */
import { expect } from "chai";
import { ZeroAddress } from "ethers";

import type { Channel } from "../../../src/channel/channel.js";
import { CollateralManager, type CollateralOptions } from "../../../src/node/collateral.js";

const TOKEN = "0x00000000000000000000000000000000000000aa";

/** The part of a Channel observe() reads: its address and the node's (alice's) balance per asset. */
function channelWith(address: string, balances: Record<string, bigint>): Channel {
  const assets = Object.entries(balances).map(([asset, balanceAlice]) => ({ asset, balanceAlice }));
  return { address, state: { assets } } as unknown as Channel;
}

describe("CollateralManager.observe (the collateral gauge)", () => {
  it("test_observe_sumsTheNodeBalanceOverChannelsAsTheyChange", () => {
    const reported = new Map<string, bigint>();
    const options = {
      node: "0x0000000000000000000000000000000000000001",
      policies: [],
      onCollateral: (asset: string, total: bigint) => reported.set(asset, total),
    } as unknown as CollateralOptions;
    const manager = new CollateralManager(options);
    const a = "0x000000000000000000000000000000000000000A";
    const b = "0x000000000000000000000000000000000000000b";
    manager.observe(channelWith(a, { [ZeroAddress]: 5n }));
    manager.observe(channelWith(b, { [ZeroAddress]: 3n }));
    expect(reported.get(ZeroAddress)).to.equal(8n);
    manager.observe(channelWith(a, { [ZeroAddress]: 2n })); // a payment moved 3 out of the node's side in a
    expect(reported.get(ZeroAddress)).to.equal(5n);
    manager.observe(channelWith(b, { [ZeroAddress]: 3n, [TOKEN]: 7n })); // a second asset in b
    expect(reported.get(ZeroAddress)).to.equal(5n);
    expect(reported.get("0x00000000000000000000000000000000000000AA")).to.equal(7n);
    manager.observe(channelWith(b, { [ZeroAddress]: 0n })); // b's token entry gone: its total drops to 0
    expect(reported.get(ZeroAddress)).to.equal(2n);
    expect(reported.get("0x00000000000000000000000000000000000000AA")).to.equal(0n);
  });
});
