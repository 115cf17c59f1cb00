/**
 * Fees of routes across nodes (src/routing/network/fees.ts): the forwarding fee's arithmetic, a node's schedule
 * for an asset from its `/v1/info` fees or its config, and the info schema's bound on ppm.
 */
import { expect } from "chai";
import { ZeroAddress } from "ethers";

import { forwardingFee, nodeFeeOf } from "../../../../src/routing/network/fees.js";
import { nodeInfo } from "../../../../src/wire/methods.js";

import { TOKEN } from "./fixtures.js";

describe("routing/network fees", () => {
  it("test_forwardingFee_isFlatPlusPpmOfWhatIsSentRoundedDown", () => {
    expect(forwardingFee({ flat: 0n, ppm: 0n }, 10n ** 18n)).to.equal(0n);
    expect(forwardingFee({ flat: 7n, ppm: 0n }, 1n)).to.equal(7n);
    expect(forwardingFee({ flat: 1n, ppm: 100n }, 9_999n)).to.equal(1n); // 0.9999 rounds down
    expect(forwardingFee({ flat: 1n, ppm: 100n }, 10_000n)).to.equal(2n);
    expect(forwardingFee({ flat: 0n, ppm: 1_000_000n }, 123n)).to.equal(123n);
  });

  it("test_nodeFeeOf_takesTheAssetsRowElseTheDefault", () => {
    const info = { default: { flat: 1n, ppm: 100n }, assets: [{ asset: TOKEN, flat: 5n, ppm: 0n }] };
    expect(nodeFeeOf(info, TOKEN.toLowerCase())).to.deep.equal({ flat: 5n, ppm: 0n });
    expect(nodeFeeOf(info, ZeroAddress)).to.deep.equal({ flat: 1n, ppm: 100n });
    const config = { default: { flat: 0n, ppm: 0n }, assets: new Map([[TOKEN, { flat: 2n, ppm: 3n }]]) };
    expect(nodeFeeOf(config, TOKEN)).to.deep.equal({ flat: 2n, ppm: 3n });
    expect(nodeFeeOf(config, ZeroAddress)).to.deep.equal({ flat: 0n, ppm: 0n });
  });

  it("test_nodeInfoSchema_boundsTheAnnouncedPpm", () => {
    const fees = nodeInfo.shape.fees;
    expect(fees.safeParse({ default: { flat: 0n, ppm: 1_000_000n }, assets: [] }).success).to.equal(true);
    expect(fees.safeParse({ default: { flat: 0n, ppm: 1_000_001n }, assets: [] }).success).to.equal(false);
    expect(
      fees.safeParse({ default: { flat: 0n, ppm: 0n }, assets: [{ asset: TOKEN, flat: 0n, ppm: 1_000_001n }] }).success,
    ).to.equal(false);
  });
});
