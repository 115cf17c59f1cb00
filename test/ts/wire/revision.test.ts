/**
 * The flow revision check (src/wire/revision.ts): a client refuses, with a message naming both revisions, a node
 * whose node.info names another revision of the /v1 message flow or none (a node of revision 1, which pushes every
 * payment.status to both parties), so old and new never mix silently.
 */
import { expect } from "chai";
import { ZeroAddress } from "ethers";

import { TransportError } from "../../../src/wire/codes.js";
import { FLOW_REVISION, nodeInfo } from "../../../src/wire/methods.js";
import { checkedInfo, nodeInfoOf } from "../../../src/wire/revision.js";

const NODE = "0x00000000000000000000000000000000000000A1";

/** A node.info answer as the wire client decodes it (bigints revived). */
function info(revision?: unknown): Record<string, unknown> {
  return {
    version: "v1",
    ...(revision !== undefined ? { revision } : {}),
    name: "test node",
    node: NODE,
    chainId: 31337n,
    deployment: {},
    limits: {
      minTimeout: 3600n,
      maxTimeout: 86400n,
      assets: [{ asset: ZeroAddress, channelCapacity: 100n, transferCap: 10n }],
    },
    wire: { maxMessageBytes: 65536, ratePerSecond: 100, burst: 100, maxInFlight: 16, challengeTtlSeconds: 300 },
    fees: { default: { flat: 0n, ppm: 0n }, assets: [] },
    resolvers: [],
    methods: ["node.info"],
  };
}

function refused(raw: unknown): TransportError {
  try {
    checkedInfo(raw);
  } catch (error) {
    expect(error).to.be.instanceOf(TransportError);
    return error as TransportError;
  }
  expect.fail("the node.info answer was taken");
}

describe("flow revision (node.info)", () => {
  it("test_checkedInfo_takesANodeOfThisRevision", async () => {
    const taken = checkedInfo(info(FLOW_REVISION));
    expect(taken.revision).to.equal(2);
    expect(taken.limits.assets[0]?.transferCap).to.equal(10n);
    const viaWire = await nodeInfoOf({ call: async () => info(FLOW_REVISION) });
    expect(viaWire.node).to.equal(NODE);
  });

  it("test_checkedInfo_refusesANodeOfRevision1_namingBoth", () => {
    const e = refused(info());
    expect(e.code).to.equal("TRANSPORT_PROTOCOL");
    expect(e.message)
      .to.contain("no flow revision (revision 1)")
      .and.to.contain(`this client revision ${FLOW_REVISION}`);
  });

  it("test_checkedInfo_refusesANewerRevision", () => {
    expect(refused(info(3)).message).to.contain("flow revision 3");
    expect(refused(info("2")).message).to.contain("flow revision 2 of"); // a string is not the revision
    expect(refused(null).message).to.contain("no flow revision");
  });

  it("test_checkedInfo_stillChecksTheWholeSchema", () => {
    expect(refused({ ...info(FLOW_REVISION), name: 7 }).message).to.contain("malformed answer from the node");
  });

  it("test_nodeInfoSchema_aRevision1ClientsStrictSchemaRefusesTheField", () => {
    // What a client of revision 1 checks (the same schema without `revision`): a revision-2 node is refused there.
    expect(nodeInfo.omit({ revision: true }).safeParse(info(FLOW_REVISION)).success).to.equal(false);
    expect(nodeInfo.omit({ revision: true }).safeParse(info()).success).to.equal(true);
  });
});
