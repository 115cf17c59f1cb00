/**
 * Announcements (src/routing/network/announce.ts, schemas.ts): EIP-712 typed data in the network's own domain,
 * signed through the SDK signer, verified by ECDSA recovery; the receiver's channel-address and capacity checks;
 * the gossip schemas; the wire codes of the typed errors.
 */
import { expect } from "chai";
import { Signature, TypedDataEncoder } from "ethers";

import { encodeJson, decodeJson } from "../../../../src/protocol/record.js";
import { privateKeySigner } from "../../../../src/protocol/signing.js";
import { signDigest, privateKeyBytes } from "../../../../src/protocol/secp256k1.js";
import {
  CHANNEL_ANNOUNCEMENT_TYPES,
  channelAnnouncementRequest,
  channelRoles,
  checkAnnouncedCapacity,
  checkAnnouncedChannel,
  networkDomain,
  nextAnnouncementSeq,
  signChannelAnnouncement,
  signNodeAnnouncement,
  verifyAnnouncementSignature,
} from "../../../../src/routing/network/announce.js";
import {
  AnnouncementChannelError,
  AnnouncementSignatureError,
  ForgedCapacityError,
  RouteExhaustedError,
  RouteLoopError,
} from "../../../../src/routing/network/errors.js";
import { parseAnnouncement, parseSnapshot } from "../../../../src/routing/network/schemas.js";
import { MalformedMessageError } from "../../../../src/protocol/errors.js";
import { toWireError } from "../../../../src/wire/codes.js";

import { CHAIN_ID, DEPLOYMENT, NOW, announcement, channelOf, node, saltOf, signed } from "./fixtures.js";

describe("routing/network announcements", () => {
  it("test_signChannelAnnouncement_isTheEip712SignatureOfTheNetworkDomain", async () => {
    const a = announcement("A", "B", { capacity: 5n, flat: 1n, ppm: 100n });
    const s = await signChannelAnnouncement(node("A").signer, CHAIN_ID, a);
    const domain = networkDomain(CHAIN_ID);
    expect(domain).to.deep.equal({ name: "Switchyard Network", version: "1", chainId: CHAIN_ID });
    // ethers' own EIP-712 signer signs the same bytes (RFC 6979: deterministic).
    expect(s.signature).to.equal(await node("A").wallet.signTypedData(domain, CHANNEL_ANNOUNCEMENT_TYPES, a));
    expect(channelAnnouncementRequest(CHAIN_ID, a).digest).to.equal(
      TypedDataEncoder.hash(domain, CHANNEL_ANNOUNCEMENT_TYPES, a),
    );
    verifyAnnouncementSignature(CHAIN_ID, s);
  });

  it("test_verifyAnnouncementSignature_refusesAnotherKeyATamperedFieldAndAnotherChain", async () => {
    const a = announcement("A", "B", { capacity: 5n });
    const byB = privateKeySigner(node("B").wallet.privateKey);
    const forged = {
      kind: "channel" as const,
      announcement: a,
      signature: await byB.sign(channelAnnouncementRequest(CHAIN_ID, a)),
    };
    expect(() => verifyAnnouncementSignature(CHAIN_ID, forged)).to.throw(AnnouncementSignatureError, /signed by 0x/);
    const s = await signed("A", "B", { capacity: 5n });
    const raised = { ...s, announcement: { ...s.announcement, capacityAtoB: 6n } };
    expect(() => verifyAnnouncementSignature(CHAIN_ID, raised)).to.throw(AnnouncementSignatureError);
    expect(() => verifyAnnouncementSignature(CHAIN_ID + 1n, s)).to.throw(AnnouncementSignatureError);
    const garbage = { ...s, signature: "0x" + "00".repeat(65) };
    expect(() => verifyAnnouncementSignature(CHAIN_ID, garbage)).to.throw(
      AnnouncementSignatureError,
      /invalid signature/,
    );
  });

  it("test_verifyAnnouncementSignature_refusesTheHighSTwin", async () => {
    const s = await signed("A", "B", { capacity: 5n });
    const sig = Signature.from(s.signature);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    // The same point with s' = n - s and the other v: valid ECDSA, refused as malleable (the on-chain rule).
    const twin = sig.r + (n - BigInt(sig.s)).toString(16).padStart(64, "0") + (sig.v === 27 ? "1c" : "1b");
    expect(() => verifyAnnouncementSignature(CHAIN_ID, { ...s, signature: twin })).to.throw(AnnouncementSignatureError);
  });

  it("test_signChannelAnnouncement_refusesToSignAnotherNodesSide", async () => {
    const a = announcement("A", "B", { capacity: 5n });
    let caught: unknown;
    try {
      await signChannelAnnouncement(node("B").signer, CHAIN_ID, a);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(AnnouncementSignatureError);
  });

  it("test_signNodeAnnouncement_verifiesAndRefusesAnotherSigner", async () => {
    const n = { node: node("A").address, url: "ws://127.0.0.1:7545/v1", seq: 1n, issuedAt: NOW };
    const s = await signNodeAnnouncement(node("A").signer, CHAIN_ID, n);
    verifyAnnouncementSignature(CHAIN_ID, s);
    const digest = TypedDataEncoder.hash(
      networkDomain(CHAIN_ID),
      {
        NodeAnnouncement: [
          { name: "node", type: "address" },
          { name: "url", type: "string" },
          { name: "seq", type: "uint256" },
          { name: "issuedAt", type: "uint256" },
        ],
      },
      n,
    );
    const byB = signDigest(privateKeyBytes(node("B").wallet.privateKey), digest);
    expect(() => verifyAnnouncementSignature(CHAIN_ID, { ...s, signature: byB })).to.throw(AnnouncementSignatureError);
  });

  it("test_channelRoles_lowerAddressIsAliceWhicheverSideAsks", () => {
    const a = node("A").address;
    const b = node("B").address;
    const low = BigInt(a) < BigInt(b) ? a : b;
    expect(channelRoles(a, b)).to.deep.equal(channelRoles(b, a));
    expect(channelRoles(a, b).alice).to.equal(low);
  });

  it("test_checkAnnouncedChannel_acceptsEitherSideOfThePair", () => {
    checkAnnouncedChannel(announcement("A", "B", { capacity: 1n }), DEPLOYMENT);
    checkAnnouncedChannel(announcement("B", "A", { capacity: 1n }), DEPLOYMENT);
  });

  it("test_checkAnnouncedChannel_refusesAChannelTheSignerIsNotAPartyOf", () => {
    // C announces the channel of A and B as if it were its own with B.
    const a = { ...announcement("C", "B", { capacity: 1n }), channel: channelOf("A", "B"), salt: saltOf("A", "B") };
    expect(() => checkAnnouncedChannel(a, DEPLOYMENT)).to.throw(AnnouncementChannelError, /is not the channel of/);
    const otherSalt = { ...announcement("A", "B", { capacity: 1n }), salt: saltOf("A", "C") };
    expect(() => checkAnnouncedChannel(otherSalt, DEPLOYMENT)).to.throw(AnnouncementChannelError);
    const otherDeployment = { ...DEPLOYMENT, factory: node("Z").address };
    expect(() => checkAnnouncedChannel(announcement("A", "B", { capacity: 1n }), otherDeployment)).to.throw(
      AnnouncementChannelError,
    );
    const self = { ...announcement("A", "B", { capacity: 1n }), nodeB: node("A").address };
    expect(() => checkAnnouncedChannel(self, DEPLOYMENT)).to.throw(AnnouncementChannelError, /two nodes/);
  });

  it("test_checkAnnouncedCapacity_refusesAboveTheOnChainTotalAndAcceptsAtIt", () => {
    checkAnnouncedCapacity(announcement("A", "B", { capacity: 100n }), 100n);
    expect(() => checkAnnouncedCapacity(announcement("A", "B", { capacity: 101n }), 100n)).to.throw(
      ForgedCapacityError,
      /101/,
    );
  });

  it("test_parseAnnouncement_roundTripsTheWireEncodingAndRefusesMalformedOnes", async () => {
    const s = await signed("A", "B", { capacity: 7n, ppm: 1_000_000n });
    expect(parseAnnouncement(decodeJson(encodeJson(s)))).to.deep.equal(s);
    const asNumber = JSON.parse(encodeJson(s)) as { announcement: Record<string, unknown> };
    asNumber.announcement["seq"] = 1;
    expect(() => parseAnnouncement(asNumber)).to.throw(MalformedMessageError);
    expect(() => parseAnnouncement({ ...s, extra: 1 })).to.throw(MalformedMessageError);
    expect(() => parseAnnouncement({ ...s, announcement: { ...s.announcement, feePpm: 1_000_001n } })).to.throw(
      MalformedMessageError,
      /parts per million/,
    );
    expect(() => parseAnnouncement({ ...s, signature: "0x1234" })).to.throw(MalformedMessageError);
    const n = await signNodeAnnouncement(node("A").signer, CHAIN_ID, {
      node: node("A").address,
      url: "http://x",
      seq: 1n,
      issuedAt: NOW,
    });
    expect(() => parseAnnouncement(n)).to.throw(MalformedMessageError, /ws/);
    expect(parseSnapshot({ takenAt: NOW, announcements: [s] }).announcements).to.deep.equal([s]);
  });

  it("test_nextAnnouncementSeq_risesAndFollowsTheClock", () => {
    expect(nextAnnouncementSeq(undefined, NOW)).to.equal(NOW);
    expect(nextAnnouncementSeq(NOW, NOW)).to.equal(NOW + 1n);
    expect(nextAnnouncementSeq(NOW + 5n, NOW)).to.equal(NOW + 6n);
    expect(nextAnnouncementSeq(3n, NOW)).to.equal(NOW);
  });

  it("test_networkErrors_crossTheWireUnderTheirOwnCodes", () => {
    const wire = toWireError(new RouteLoopError(node("A").address, "twice"));
    expect(wire.rpcCode).to.equal(4131);
    expect(wire.data.name).to.equal("ROUTE_LOOP");
    const attempts = [{ path: [node("B").address, node("C").address], refusedBy: node("B").address, reason: "cancelled the lock" }];
    const exhausted = toWireError(new RouteExhaustedError("no route: none left", attempts));
    expect(exhausted.rpcCode).to.equal(4135);
    expect(exhausted.data.name).to.equal("ROUTE_EXHAUSTED");
    // The payer's notice stands for the same typed error, with its attempts; any other notice for none.
    const typed = RouteExhaustedError.fromNotice({ code: "ROUTE_EXHAUSTED", reason: exhausted.message, attempts });
    expect(typed).to.be.instanceOf(RouteExhaustedError);
    expect(typed?.attempts).to.deep.equal(attempts);
    expect(typed?.message).to.equal(exhausted.message);
    expect(RouteExhaustedError.fromNotice({ attempts })).to.equal(undefined);
  });
});
