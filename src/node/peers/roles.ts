/**
 * Who is who in a channel between two nodes (docs/NODE.md "Peering"): the node with the lower address (as a
 * 160-bit number) is `alice` (it listens and sequences the channel), the higher one `bob` (it dials the other's
 * `/v1` and logs in with the ordinary client login). One channel per pair. And what a node charges to forward.
 */
import { checksum } from "../../protocol/address.js";
import type { FeePolicy } from "../options.js";

/** A configured peer node: its address and, for the node that dials it, where it listens. */
export interface PeerConfig {
  address: string;
  /** ws:// or wss:// URL of the peer's `/v1` (needed only when this node dials it). */
  url?: string;
}

/** Whether `self` dials `peer` (self has the higher address: it is bob in their channel). */
export function dials(self: string, peer: string): boolean {
  return BigInt(checksum(self)) > BigInt(checksum(peer));
}

/** The fee of forwarding `amountOut` of `asset` under `fees`: flat + amountOut × ppm / 1,000,000 (rounded down). */
export function forwardingFee(fees: FeePolicy, asset: string, amountOut: bigint): bigint {
  const f = fees.assets.get(checksum(asset)) ?? fees.default;
  return f.flat + (amountOut * f.ppm) / 1_000_000n;
}

/** Whether an address is a configured peer node, and whether `self` dials it. */
export function peerRoles(
  self: string,
  peers: readonly PeerConfig[],
): { isNode: (address: string) => boolean; dialed: (address: string) => boolean } {
  const all = new Set(peers.map((p) => checksum(p.address)));
  const isNode = (address: string): boolean => all.has(checksum(address));
  return { isNode, dialed: (address) => isNode(address) && dials(self, address) };
}
