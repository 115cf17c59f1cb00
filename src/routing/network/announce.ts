/**
 * Announcements as EIP-712 typed data (docs/PROTOCOL.md §17): the one definition of what a node signs about itself
 * and its channels, signed through the SDK's signer interface and verified by ECDSA recovery on the active
 * secp256k1 backend (src/protocol/signing.ts `tryRecover`), and the checks a receiver makes before it believes one.
 *
 * Domain: `{ name: "Switchyard Network", version: "1", chainId }`, no `verifyingContract`. An announcement is
 * addressed to the whole network, not to a contract, and it is already bound to one deployment: its channel
 * address is the CREATE2 address of the deployment's factory for the pair, which the receiver recomputes
 * (`checkAnnouncedChannel`), so an announcement replayed onto another deployment or chain names no channel there.
 * Putting the factory in the domain would add nothing to that check and would tie every gossip message to one
 * deployment's address even where (node announcements) no channel is involved. The distinct name keeps every
 * announcement digest apart from channel states, logins and the resolvers' typed data.
 */
import { TypedDataEncoder, type TypedDataDomain, type TypedDataField } from "ethers";

import { checksum } from "../../protocol/address.js";
import { computeChannelAddress } from "../../protocol/channelAddress.js";
import { tryRecover, type ChannelSigner, type SignRequest } from "../../protocol/signing.js";

import { AnnouncementChannelError, AnnouncementSignatureError, ForgedCapacityError } from "./errors.js";
import type {
  ChannelAnnouncement,
  NodeAnnouncement,
  SignedAnnouncement,
  SignedChannelAnnouncement,
  SignedNodeAnnouncement,
} from "./types.js";

export const NETWORK_DOMAIN_NAME = "Switchyard Network";
export const NETWORK_DOMAIN_VERSION = "1";

type Types = Record<string, TypedDataField[]>;

export const CHANNEL_ANNOUNCEMENT_TYPES: Types = {
  ChannelAnnouncement: [
    { name: "channel", type: "address" },
    { name: "salt", type: "bytes32" },
    { name: "nodeA", type: "address" },
    { name: "nodeB", type: "address" },
    { name: "asset", type: "address" },
    { name: "capacityAtoB", type: "uint256" },
    { name: "feeFlat", type: "uint256" },
    { name: "feePpm", type: "uint256" },
    { name: "timeout", type: "uint256" },
    { name: "seq", type: "uint256" },
    { name: "issuedAt", type: "uint256" },
  ],
};

export const NODE_ANNOUNCEMENT_TYPES: Types = {
  NodeAnnouncement: [
    { name: "node", type: "address" },
    { name: "url", type: "string" },
    { name: "seq", type: "uint256" },
    { name: "issuedAt", type: "uint256" },
  ],
};

/** The network's EIP-712 domain on chain `chainId`. */
export function networkDomain(chainId: bigint): TypedDataDomain {
  return { name: NETWORK_DOMAIN_NAME, version: NETWORK_DOMAIN_VERSION, chainId };
}

/** The signature request (what a wallet shows, and the digest) of a channel announcement. */
export function channelAnnouncementRequest(chainId: bigint, a: ChannelAnnouncement): SignRequest {
  const message = { ...a };
  const domain = networkDomain(chainId);
  return {
    domain,
    types: CHANNEL_ANNOUNCEMENT_TYPES,
    primaryType: "ChannelAnnouncement",
    message,
    digest: TypedDataEncoder.hash(domain, CHANNEL_ANNOUNCEMENT_TYPES, message),
  };
}

/** The signature request of a node announcement. */
export function nodeAnnouncementRequest(chainId: bigint, n: NodeAnnouncement): SignRequest {
  const message = { ...n };
  const domain = networkDomain(chainId);
  return {
    domain,
    types: NODE_ANNOUNCEMENT_TYPES,
    primaryType: "NodeAnnouncement",
    message,
    digest: TypedDataEncoder.hash(domain, NODE_ANNOUNCEMENT_TYPES, message),
  };
}

/** The announcement's announcer: the address whose signature it must carry. */
export function announcer(signed: SignedAnnouncement): string {
  return signed.kind === "channel" ? signed.announcement.nodeA : signed.announcement.node;
}

/** The digest `signed.signature` must sign. */
export function announcementDigest(chainId: bigint, signed: SignedAnnouncement): string {
  return signed.kind === "channel"
    ? channelAnnouncementRequest(chainId, signed.announcement).digest
    : nodeAnnouncementRequest(chainId, signed.announcement).digest;
}

/** Signs `a` with `signer`, which must be its `nodeA` (a node announces only its own side of a channel). */
export async function signChannelAnnouncement(
  signer: ChannelSigner,
  chainId: bigint,
  a: ChannelAnnouncement,
): Promise<SignedChannelAnnouncement> {
  const announcement = normalizeChannel(a);
  if (signer.address !== announcement.nodeA) {
    throw new AnnouncementSignatureError(
      announcement.nodeA,
      `the signer ${signer.address} cannot announce another node's side`,
    );
  }
  const signature = await signer.sign(channelAnnouncementRequest(chainId, announcement));
  return { kind: "channel", announcement, signature };
}

/** Signs `n` with `signer`, which must be its `node`. */
export async function signNodeAnnouncement(
  signer: ChannelSigner,
  chainId: bigint,
  n: NodeAnnouncement,
): Promise<SignedNodeAnnouncement> {
  const announcement = { ...n, node: checksum(n.node) };
  if (signer.address !== announcement.node) {
    throw new AnnouncementSignatureError(
      announcement.node,
      `the signer ${signer.address} cannot announce another node`,
    );
  }
  const signature = await signer.sign(nodeAnnouncementRequest(chainId, announcement));
  return { kind: "node", announcement, signature };
}

/**
 * Throws AnnouncementSignatureError unless `signed.signature` is its announcer's canonical ECDSA signature of the
 * announcement on chain `chainId` (65 bytes, low s, v 27/28: the rules of `tryRecover`).
 */
export function verifyAnnouncementSignature(chainId: bigint, signed: SignedAnnouncement): void {
  const expected = checksum(announcer(signed));
  const recovered = tryRecover(announcementDigest(chainId, signed), signed.signature);
  if ("error" in recovered) throw new AnnouncementSignatureError(expected, `invalid signature (${recovered.error})`);
  if (recovered.signer !== expected) {
    throw new AnnouncementSignatureError(expected, `signed by ${recovered.signer}, not by the announcer`);
  }
}

/**
 * The next `seq` for an announcer: above `last` and at least `now` (unix seconds), so a node that lost its counter
 * (a restart without state) still issues increasing numbers as long as its clock does not run back.
 */
export function nextAnnouncementSeq(last: bigint | undefined, now: bigint): bigint {
  const next = last === undefined ? now : last + 1n;
  return next > now ? next : now;
}

/** The deployment a receiver checks channel addresses against. */
export interface ChannelDeployment {
  factory: string;
  mastercopy: string;
}

/** The two parties of a node-to-node channel in protocol order: the lower address (as a number) is alice. */
export function channelRoles(x: string, y: string): { alice: string; bob: string } {
  const a = checksum(x);
  const b = checksum(y);
  return BigInt(a) < BigInt(b) ? { alice: a, bob: b } : { alice: b, bob: a };
}

/**
 * Throws AnnouncementChannelError unless `a.channel` is the channel of the pair (nodeA, nodeB) with `a.salt` in
 * `deployment` (`computeChannelAddress(factory, mastercopy, alice, bob, salt)`, alice the lower address): so the
 * signer is a party of the channel it announces, and the channel belongs to this deployment.
 */
export function checkAnnouncedChannel(a: ChannelAnnouncement, deployment: ChannelDeployment): void {
  const channel = checksum(a.channel);
  if (checksum(a.nodeA) === checksum(a.nodeB)) throw new AnnouncementChannelError(channel, "a channel needs two nodes");
  const { alice, bob } = channelRoles(a.nodeA, a.nodeB);
  const expected = computeChannelAddress(deployment.factory, deployment.mastercopy, alice, bob, a.salt);
  if (expected !== channel) {
    throw new AnnouncementChannelError(
      channel,
      `it is not the channel of ${alice} (alice) and ${bob} (bob) with salt ${a.salt}, which is ${expected}`,
    );
  }
}

/**
 * Throws ForgedCapacityError when the announced capacity is above `total`, what the channel holds of the asset on
 * chain (read by the receiver): no balance of one side can exceed it.
 */
export function checkAnnouncedCapacity(a: ChannelAnnouncement, total: bigint): void {
  if (a.capacityAtoB > total)
    throw new ForgedCapacityError(checksum(a.channel), checksum(a.asset), a.capacityAtoB, total);
}

function normalizeChannel(a: ChannelAnnouncement): ChannelAnnouncement {
  return {
    ...a,
    channel: checksum(a.channel),
    salt: a.salt.toLowerCase(),
    nodeA: checksum(a.nodeA),
    nodeB: checksum(a.nodeB),
    asset: checksum(a.asset),
  };
}
