/**
 * The channel graph (src/routing/network/graph.ts): verified announcements only, one per (channel, asset, side),
 * newer seq replacing older, expiry, capacity per direction and asset, exclusions, snapshots a peer re-admits.
 */
import { expect } from "chai";

import { decodeJson, encodeJson } from "../../../../src/protocol/record.js";
import { privateKeySigner } from "../../../../src/protocol/signing.js";
import { channelAnnouncementRequest, signNodeAnnouncement } from "../../../../src/routing/network/announce.js";
import {
  AnnouncementChannelError,
  AnnouncementSignatureError,
  ForgedCapacityError,
  StaleAnnouncementError,
} from "../../../../src/routing/network/errors.js";
import { ChannelGraph, DEFAULT_ANNOUNCEMENT_TTL } from "../../../../src/routing/network/graph.js";
import { parseSnapshot } from "../../../../src/routing/network/schemas.js";

import {
  BIG,
  CHAIN_ID,
  DEPLOYMENT,
  ETH,
  NOW,
  TOKEN,
  announcement,
  channelOf,
  holding,
  node,
  saltOf,
  signed,
} from "./fixtures.js";

function emptyGraph(): ChannelGraph {
  return new ChannelGraph({ chainId: CHAIN_ID, deployment: DEPLOYMENT });
}

async function refusal(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error("expected a refusal");
}

describe("routing/network graph", () => {
  it("test_admit_keepsEachDirectionAndAssetApart", async () => {
    const g = emptyGraph();
    await g.admit(await signed("A", "B", { capacity: 10n, flat: 1n }), holding(BIG));
    await g.admit(await signed("B", "A", { capacity: 3n, ppm: 50n }), holding(BIG));
    await g.admit(await signed("A", "B", { capacity: 99n, asset: TOKEN }), holding(BIG));
    const ab = g.edge(channelOf("A", "B"), node("A").address, ETH, NOW);
    const ba = g.edge(channelOf("A", "B"), node("B").address, ETH, NOW);
    expect(ab).to.include({
      from: node("A").address,
      to: node("B").address,
      capacity: 10n,
      expiresAt: NOW + DEFAULT_ANNOUNCEMENT_TTL,
    });
    expect(ab?.fee).to.deep.equal({ flat: 1n, ppm: 0n });
    expect(ba).to.include({ capacity: 3n });
    expect(g.edge(channelOf("A", "B"), node("A").address, TOKEN, NOW)?.capacity).to.equal(99n);
    expect(g.edges(ETH, NOW)).to.have.length(2);
    expect(g.incoming(node("B").address, ETH, NOW).map((e) => e.capacity)).to.deep.equal([10n]);
    expect(g.outgoing(node("B").address, ETH, NOW).map((e) => e.capacity)).to.deep.equal([3n]);
    expect(g.size(NOW)).to.equal(3);
  });

  it("test_admit_replacesByNewerSeqAndRefusesStaleOnes", async () => {
    const g = emptyGraph();
    await g.admit(await signed("A", "B", { capacity: 10n, seq: 5n }), holding(BIG));
    await g.admit(await signed("A", "B", { capacity: 4n, seq: 6n }), holding(BIG));
    expect(g.edge(channelOf("A", "B"), node("A").address, ETH, NOW)?.capacity).to.equal(4n);
    for (const seq of [6n, 5n]) {
      const error = await refusal(g.admit(await signed("A", "B", { capacity: 8n, seq }), holding(BIG)));
      expect(error).to.be.instanceOf(StaleAnnouncementError);
      expect((error as StaleAnnouncementError).code).to.equal("ANNOUNCEMENT_STALE");
    }
    expect(g.edge(channelOf("A", "B"), node("A").address, ETH, NOW)?.capacity).to.equal(4n);
  });

  it("test_admit_refusesExpiredAndFutureDatedAnnouncements", async () => {
    const g = emptyGraph();
    const old = await signed("A", "B", { capacity: 1n, issuedAt: NOW - DEFAULT_ANNOUNCEMENT_TTL });
    expect(await refusal(g.admit(old, holding(BIG)))).to.be.instanceOf(StaleAnnouncementError);
    const early = await signed("A", "B", { capacity: 1n, issuedAt: NOW + 301n });
    expect(await refusal(g.admit(early, holding(BIG)))).to.be.instanceOf(StaleAnnouncementError);
    await g.admit(await signed("A", "B", { capacity: 1n, issuedAt: NOW + 300n }), holding(BIG));
    expect(g.size(NOW)).to.equal(1);
  });

  it("test_expire_dropsEntriesAtTheirExpiry", async () => {
    const g = emptyGraph();
    await g.admit(await signed("A", "B", { capacity: 1n, issuedAt: NOW - 100n }), holding(BIG));
    await g.admit(await signed("B", "A", { capacity: 1n }), holding(BIG));
    const first = NOW - 100n + DEFAULT_ANNOUNCEMENT_TTL;
    expect(g.edges(ETH, first - 1n)).to.have.length(2);
    expect(g.edges(ETH, first)).to.have.length(1);
    expect(g.edge(channelOf("A", "B"), node("A").address, ETH, first)).to.equal(undefined);
    expect(g.expire(first)).to.equal(1);
    expect(g.expire(first)).to.equal(0);
    expect(g.size(NOW)).to.equal(1);
  });

  it("test_admit_refusesTheWrongKeyAndLeavesTheGraphUnchanged", async () => {
    const g = emptyGraph();
    const a = announcement("A", "B", { capacity: 5n });
    const byC = privateKeySigner(node("C").wallet.privateKey);
    const forged = {
      kind: "channel" as const,
      announcement: a,
      signature: await byC.sign(channelAnnouncementRequest(CHAIN_ID, a)),
    };
    expect(await refusal(g.admit(forged, holding(BIG)))).to.be.instanceOf(AnnouncementSignatureError);
    expect(g.size(NOW)).to.equal(0);
  });

  it("test_admit_refusesAChannelTheSignerIsNotAPartyOf", async () => {
    const g = emptyGraph();
    const s = await privateKeySigner(node("C").wallet.privateKey);
    const a = { ...announcement("C", "B", { capacity: 5n }), channel: channelOf("A", "B"), salt: saltOf("A", "B") };
    const claimed = {
      kind: "channel" as const,
      announcement: a,
      signature: await s.sign(channelAnnouncementRequest(CHAIN_ID, a)),
    };
    expect(await refusal(g.admit(claimed, holding(BIG)))).to.be.instanceOf(AnnouncementChannelError);
    expect(g.size(NOW)).to.equal(0);
  });

  it("test_admit_refusesAForgedCapacityReadFromTheChain", async () => {
    const g = emptyGraph();
    const reads: Array<[string, string]> = [];
    const ctx = {
      now: NOW,
      channelTotal: async (channel: string, asset: string) => {
        reads.push([channel, asset]);
        return 100n;
      },
    };
    const error = await refusal(g.admit(await signed("A", "B", { capacity: 101n }), ctx));
    expect(error).to.be.instanceOf(ForgedCapacityError);
    expect(error).to.include({ announced: 101n, limit: 100n });
    expect(reads).to.deep.equal([[channelOf("A", "B"), ETH]]);
    await g.admit(await signed("A", "B", { capacity: 100n }), ctx);
    expect(g.size(NOW)).to.equal(1);
  });

  it("test_admit_refusesAChannelThatHoldsNothingOnChain", async () => {
    const g = emptyGraph();
    const error = await refusal(g.admit(await signed("A", "B", { capacity: 0n }), holding(0n)));
    expect(error).to.be.instanceOf(AnnouncementChannelError);
    expect((error as Error).message).to.match(/holds none/);
    expect(g.size(NOW)).to.equal(0);
  });

  it("test_admit_keepsTheNewerOfTwoConcurrentAdmits", async () => {
    const g = emptyGraph();
    let release: (v: bigint) => void = () => undefined;
    const slow = { now: NOW, channelTotal: () => new Promise<bigint>((resolve) => (release = resolve)) };
    const older = g.admit(await signed("A", "B", { capacity: 1n, seq: 2n }), slow);
    await g.admit(await signed("A", "B", { capacity: 2n, seq: 3n }), holding(BIG));
    release(BIG);
    expect(await refusal(older)).to.be.instanceOf(StaleAnnouncementError);
    expect(g.edge(channelOf("A", "B"), node("A").address, ETH, NOW)?.seq).to.equal(3n);
  });

  it("test_edges_leaveOutExcludedNodesAndChannels", async () => {
    const g = emptyGraph();
    for (const [x, y] of [
      ["A", "B"],
      ["B", "C"],
      ["C", "D"],
    ] as const) {
      await g.admit(await signed(x, y, { capacity: 1n }), holding(BIG));
    }
    expect(g.edges(ETH, NOW, { nodes: new Set([node("B").address]) }).map((e) => e.from)).to.deep.equal([
      node("C").address,
    ]);
    expect(g.edges(ETH, NOW, { channels: new Set([channelOf("C", "D")]) })).to.have.length(2);
  });

  it("test_feeOf_isTheNewestAnnouncedScheduleInTheAsset", async () => {
    const g = emptyGraph();
    await g.admit(await signed("A", "B", { capacity: 1n, flat: 5n, issuedAt: NOW - 10n }), holding(BIG));
    await g.admit(await signed("A", "C", { capacity: 1n, flat: 7n, ppm: 3n }), holding(BIG));
    expect(g.feeOf(node("A").address, ETH, NOW)).to.deep.equal({ flat: 7n, ppm: 3n });
    expect(g.feeOf(node("A").address, TOKEN, NOW)).to.equal(undefined);
    expect(g.feeOf(node("B").address, ETH, NOW)).to.equal(undefined);
  });

  it("test_snapshot_isReadmittedByAPeerThroughTheWireEncoding", async () => {
    const g = emptyGraph();
    for (const [x, y, c] of [
      ["A", "B", 4n],
      ["B", "A", 6n],
      ["B", "C", 9n],
    ] as const) {
      await g.admit(await signed(x, y, { capacity: c }), holding(BIG));
    }
    await g.admit(
      await signNodeAnnouncement(node("B").signer, CHAIN_ID, {
        node: node("B").address,
        url: "ws://127.0.0.1:1/v1",
        seq: 1n,
        issuedAt: NOW,
      }),
      holding(BIG),
    );
    const snapshot = parseSnapshot(decodeJson(encodeJson(g.snapshot(NOW))));
    expect(snapshot.announcements.map((a) => a.kind)).to.deep.equal(["node", "channel", "channel", "channel"]);
    const peer = emptyGraph();
    for (const a of snapshot.announcements) await peer.admit(a, holding(BIG));
    expect(peer.edges(ETH, NOW)).to.deep.equal(g.edges(ETH, NOW));
    expect(peer.nodes(NOW)).to.deep.equal(g.nodes(NOW));
    expect(peer.snapshot(NOW)).to.deep.equal(g.snapshot(NOW));
  });

  it("test_admitNode_replacesByNewerSeqAndRefusesTheWrongKey", async () => {
    const g = emptyGraph();
    const body = { node: node("A").address, url: "ws://127.0.0.1:2/v1", seq: 1n, issuedAt: NOW };
    await g.admit(await signNodeAnnouncement(node("A").signer, CHAIN_ID, body), holding(BIG));
    await g.admit(
      await signNodeAnnouncement(node("A").signer, CHAIN_ID, { ...body, seq: 2n, url: "ws://127.0.0.1:3/v1" }),
      holding(BIG),
    );
    expect(g.nodes(NOW).get(node("A").address)?.url).to.equal("ws://127.0.0.1:3/v1");
    const stale = await signNodeAnnouncement(node("A").signer, CHAIN_ID, body);
    expect(await refusal(g.admit(stale, holding(BIG)))).to.be.instanceOf(StaleAnnouncementError);
    const other = await signNodeAnnouncement(node("B").signer, CHAIN_ID, { ...body, node: node("B").address, seq: 9n });
    const wrong = { ...other, announcement: { ...other.announcement, node: node("C").address } };
    expect(await refusal(g.admit(wrong, holding(BIG)))).to.be.instanceOf(AnnouncementSignatureError);
  });
});
