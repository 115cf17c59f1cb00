/**
 * The downstream lock's salt (src/routing/plan.ts `routeSalt`) on the SDK's hashing is exactly the former
 * ethers computation keccak256(upstream transfer id ‖ "switchyard.route"), so routed payments stored before keep
 * their downstream transfer ids.
 */
import { expect } from "chai";
import { concat, hexlify, keccak256, randomBytes, toUtf8Bytes } from "ethers";

import { RouteError } from "../../../src/protocol/errors.js";
import { hashingReady } from "../../../src/protocol/hashes.js";
import { routeSalt } from "../../../src/routing/plan.js";

describe("routeSalt (src/routing/plan.ts)", () => {
  before(async () => {
    await hashingReady();
  });

  it("test_routeSalt_equalsEthersKeccakOfTheIdAndTag_for500Ids", () => {
    for (let i = 0; i < 500; i++) {
      const id = hexlify(randomBytes(32));
      const reference = keccak256(concat([id, toUtf8Bytes("switchyard.route")]));
      expect(routeSalt(id)).to.equal(reference);
      expect(routeSalt("0x" + id.slice(2).toUpperCase())).to.equal(reference);
      const attempt = 1 + (i % 7);
      expect(routeSalt(id, attempt)).to.equal(keccak256(concat([id, toUtf8Bytes(`switchyard.route.${attempt}`)])));
    }
  });

  it("test_routeSalt_refusesAnythingButA32ByteId", () => {
    for (const bad of ["0x", "0x" + "11".repeat(31), "0x" + "11".repeat(33), "11".repeat(32), "0x" + "zz".repeat(32)]) {
      expect(() => routeSalt(bad)).to.throw(RouteError);
    }
    expect(() => routeSalt("0x" + "11".repeat(32), -1)).to.throw(RouteError);
    expect(() => routeSalt("0x" + "11".repeat(32), 1.5)).to.throw(RouteError);
  });
});
