/**
 * The node's gossip (src/node/peers/gossip.ts) in process: received announcements are checked by the graph and
 * relayed once (never back to their sender), a tampered or over-capacity one is refused and not relayed, and
 * the node signs a new announcement of its own side only when its capacity changed.
 */
import { expect } from "chai";
import { pino } from "pino";

import type { Channel } from "../../../../src/channel/channel.js";
import { Gossip } from "../../../../src/node/peers/gossip.js";
import { computeChannelAddress } from "../../../../src/protocol/channelAddress.js";
import { channelRoles, signChannelAnnouncement } from "../../../../src/routing/network/announce.js";
import type { SignedAnnouncement } from "../../../../src/routing/network/types.js";
import { CHANNEL_SALT } from "../../../../src/node/channels.js";
import { CHAIN_ID, DEPLOYMENT, ETH, NOW, announcement, node } from "../../routing/network/fixtures.js";

const WEI = 10n ** 18n;

function gossipOf(self: string, held: bigint, sent: Array<{ announcements: SignedAnnouncement[]; except?: string }>): Gossip {
  return new Gossip({
    self: node(self).address,
    chainId: CHAIN_ID,
    factory: DEPLOYMENT.factory,
    mastercopy: DEPLOYMENT.mastercopy,
    signer: node(self).signer,
    provider: { getBalance: async () => held } as never,
    fees: { default: { flat: 5n, ppm: 10n }, assets: new Map() },
    assets: [ETH],
    now: () => NOW,
    send: (announcements, except) => sent.push({ announcements, ...(except !== undefined ? { except } : {}) }),
    logger: pino({ level: "silent" }),
  });
}

describe("node gossip", () => {
  it("test_receive_admitsAndRelaysOnceNotBackToTheSender", async () => {
    const sent: Array<{ announcements: SignedAnnouncement[]; except?: string }> = [];
    const gossip = gossipOf("X", 10n * WEI, sent);
    const signed = await signChannelAnnouncement(node("A").signer, CHAIN_ID, announcement("A", "B", { capacity: WEI }));
    expect(await gossip.receive([signed], node("B").address)).to.equal(1);
    expect(sent).to.deep.equal([{ announcements: [signed], except: node("B").address }]);
    expect(await gossip.receive([signed], node("C").address)).to.equal(0); // seen: neither admitted again nor relayed
    expect(sent).to.have.length(1);
    expect(gossip.snapshot().announcements).to.deep.equal([signed]);
  });

  it("test_receive_refusesATamperedAnnouncementAndAForgedCapacity", async () => {
    const sent: Array<{ announcements: SignedAnnouncement[]; except?: string }> = [];
    const gossip = gossipOf("X", WEI, sent);
    const signed = await signChannelAnnouncement(node("A").signer, CHAIN_ID, announcement("A", "B", { capacity: WEI / 2n }));
    const tampered: SignedAnnouncement = { ...signed, announcement: { ...signed.announcement, capacityAtoB: WEI / 4n } };
    const wrongKey = await signChannelAnnouncement(node("C").signer, CHAIN_ID, announcement("C", "B", { capacity: WEI / 2n }));
    const claimedByA: SignedAnnouncement = { ...wrongKey, announcement: { ...wrongKey.announcement, nodeA: node("A").address } };
    const forged = await signChannelAnnouncement(node("A").signer, CHAIN_ID, announcement("A", "B", { capacity: 2n * WEI, seq: 2n }));
    expect(await gossip.receive([tampered, claimedByA, forged], node("B").address)).to.equal(0);
    expect(sent).to.have.length(0);
    expect(gossip.snapshot().announcements).to.have.length(0);
  });

  it("test_announce_signsTheOwnSideOnlyWhenItsCapacityChanged", async () => {
    const sent: Array<{ announcements: SignedAnnouncement[]; except?: string }> = [];
    const gossip = gossipOf("A", 10n * WEI, sent);
    const peer = node("B").address;
    const { alice, bob } = channelRoles(node("A").address, peer);
    const address = computeChannelAddress(DEPLOYMENT.factory, DEPLOYMENT.mastercopy, alice, bob, CHANNEL_SALT);
    const me = alice === node("A").address ? "alice" : "bob";
    let balance = 3n * WEI;
    const channel = {
      me,
      address,
      channelSetup: { timeout: 7_200n },
      get state() {
        return { assets: [{ asset: ETH, balanceAlice: me === "alice" ? balance : 0n, balanceBob: me === "bob" ? balance : 0n }] };
      },
    } as unknown as Channel;
    expect(await gossip.announce([{ peer, channel }])).to.equal(1);
    expect(await gossip.announce([{ peer, channel }])).to.equal(0);
    balance = 2n * WEI;
    expect(await gossip.announce([{ peer, channel }])).to.equal(1);
    const last = sent.at(-1)?.announcements[0];
    expect(last?.kind).to.equal("channel");
    if (last?.kind !== "channel") return;
    expect(last.announcement).to.include({ nodeA: node("A").address, nodeB: peer, capacityAtoB: 2n * WEI, feeFlat: 5n, feePpm: 10n, timeout: 7_200n });
    expect(gossip.ownAnnouncements()).to.deep.equal([last]);
  });
});
