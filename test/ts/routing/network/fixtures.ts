/**
 * Shared fixtures of the routing-across-nodes tests: node wallets sorted by address, a deployment to derive
 * channel addresses in, channels between named nodes, signed announcements and graphs built from them.
 */
import { Wallet, ZeroAddress, getAddress, id, keccak256 } from "ethers";

import { computeChannelAddress } from "../../../../src/protocol/channelAddress.js";
import { privateKeySigner, type ChannelSigner } from "../../../../src/protocol/signing.js";
import {
  channelRoles,
  signChannelAnnouncement,
  type ChannelDeployment,
} from "../../../../src/routing/network/announce.js";
import { ChannelGraph } from "../../../../src/routing/network/graph.js";
import type {
  ChannelAnnouncement,
  RouteRequest,
  SignedChannelAnnouncement,
} from "../../../../src/routing/network/types.js";

export const CHAIN_ID = 31_337n;
export const NOW = 1_800_000_000n;
export const MARGIN = 600n;
export const ETH = ZeroAddress;
export const TOKEN = getAddress(`0x${"7".repeat(40)}`);
export const DEPLOYMENT: ChannelDeployment = {
  factory: getAddress(`0x${"f".repeat(38)}01`),
  mastercopy: getAddress(`0x${"c".repeat(38)}02`),
};

export interface TestNode {
  name: string;
  address: string;
  wallet: Wallet;
  signer: ChannelSigner;
}

const cache = new Map<string, TestNode>();

/** The node called `name` (a deterministic key). */
export function node(name: string): TestNode {
  let n = cache.get(name);
  if (n === undefined) {
    const wallet = new Wallet(keccak256(id(`network node ${name}`)));
    n = { name, address: wallet.address, wallet, signer: privateKeySigner(wallet.privateKey) };
    cache.set(name, n);
  }
  return n;
}

/** The salt of the channel between `x` and `y` (any fixed 32 bytes per pair). */
export function saltOf(x: string, y: string): string {
  const { alice, bob } = channelRoles(node(x).address, node(y).address);
  return keccak256(id(`salt ${alice} ${bob}`));
}

/** The channel address of the pair (x, y) in DEPLOYMENT, alice the lower address. */
export function channelOf(x: string, y: string): string {
  const { alice, bob } = channelRoles(node(x).address, node(y).address);
  return computeChannelAddress(DEPLOYMENT.factory, DEPLOYMENT.mastercopy, alice, bob, saltOf(x, y));
}

export interface SideSpec {
  capacity: bigint;
  flat?: bigint;
  ppm?: bigint;
  timeout?: bigint;
  seq?: bigint;
  issuedAt?: bigint;
  asset?: string;
}

/** `from`'s announcement of its side of its channel with `to`. */
export function announcement(from: string, to: string, side: SideSpec): ChannelAnnouncement {
  return {
    channel: channelOf(from, to),
    salt: saltOf(from, to),
    nodeA: node(from).address,
    nodeB: node(to).address,
    asset: side.asset ?? ETH,
    capacityAtoB: side.capacity,
    feeFlat: side.flat ?? 0n,
    feePpm: side.ppm ?? 0n,
    timeout: side.timeout ?? 86_400n,
    seq: side.seq ?? 1n,
    issuedAt: side.issuedAt ?? NOW,
  };
}

export async function signed(from: string, to: string, side: SideSpec): Promise<SignedChannelAnnouncement> {
  return signChannelAnnouncement(node(from).signer, CHAIN_ID, announcement(from, to, side));
}

/** A channel total reader that holds `total` in every channel (the forged-capacity bound). */
export function holding(total: bigint): { now: bigint; channelTotal: () => bigint } {
  return { now: NOW, channelTotal: () => total };
}

export const BIG = 10n ** 30n;

/** A graph holding the given signed announcements (each admitted with every channel holding BIG). */
export async function graphOf(announcements: SignedChannelAnnouncement[]): Promise<ChannelGraph> {
  const graph = new ChannelGraph({ chainId: CHAIN_ID, deployment: DEPLOYMENT });
  for (const a of announcements) await graph.admit(a, holding(BIG));
  return graph;
}

/** A route request from a user of `payerNode` to a user of `payeeNode`. */
export function request(
  payerNode: string,
  payeeNode: string,
  amount: bigint,
  extra: Partial<RouteRequest> = {},
): RouteRequest {
  return {
    payer: getAddress(`0x${"a".repeat(38)}11`),
    payerChannel: getAddress(`0x${"a".repeat(38)}12`),
    payerTimeout: 4n * 86_400n,
    payerNode: node(payerNode).address,
    payee: getAddress(`0x${"b".repeat(38)}21`),
    payeeNode: node(payeeNode).address,
    asset: ETH,
    amount,
    lockHash: keccak256(id("lock")),
    ...extra,
  };
}
