/** The payer's side of a routed payment: its upstream hashlock lock, and the route rule's latest downstream expiry. */
import { hexlify, randomBytes } from "ethers";

import { DEFAULT_SAFETY_MARGIN } from "../protocol/policies.js";
import { encodeHashlockTerms } from "../protocol/resolvers.js";
import { normalizeTransfer, type Transfer } from "../protocol/transfers.js";

export interface HashlockTransferParams {
  channel: string;
  hashlock: string;
  asset: string;
  amount: bigint;
  initiator: string;
  responder: string;
  /** The transfer's settle window: at most the channel's timeout. */
  timeout: bigint;
  lockHash: string;
  expiry: bigint;
  /** Default: random. */
  salt?: string;
}

/** A hashlock transfer (e.g. the payer's upstream lock of a routed payment). */
export function hashlockTransfer(p: HashlockTransferParams): Transfer {
  return normalizeTransfer({
    channel: p.channel,
    resolver: p.hashlock,
    asset: p.asset,
    amount: p.amount,
    initiator: p.initiator,
    responder: p.responder,
    timeout: p.timeout,
    salt: p.salt ?? hexlify(randomBytes(32)),
    data: encodeHashlockTerms({ lockHash: p.lockHash, expiry: p.expiry }),
  });
}

/** The latest downstream expiry a node accepts for an upstream lock expiring at `upstreamExpiry` (§12). */
export function latestDownstreamExpiry(
  upstreamExpiry: bigint,
  upstreamTimeout: bigint,
  safetyMargin: bigint = DEFAULT_SAFETY_MARGIN,
): bigint {
  return upstreamExpiry - upstreamTimeout - safetyMargin;
}
