/**
 * The payer's hashlock lock of 1 ETH on its channel with the node, as the routing tests build it (one place for
 * the fields every such test repeats; each test passes what it varies).
 */
import { ZeroAddress } from "ethers";

import { hashlockTransfer } from "../../../src/routing/node.js";
import { HASHLOCK } from "../sdk/helpers.js";

export interface PayerLockInput {
  channel: string;
  payer: string;
  node: string;
  lockHash: string;
  expiry: bigint;
  salt?: string;
}

export function payerLockOf(input: PayerLockInput): ReturnType<typeof hashlockTransfer> {
  return hashlockTransfer({
    channel: input.channel,
    hashlock: HASHLOCK,
    asset: ZeroAddress,
    amount: 10n ** 18n,
    initiator: input.payer,
    responder: input.node,
    timeout: 3_600n,
    lockHash: input.lockHash,
    expiry: input.expiry,
    ...(input.salt !== undefined ? { salt: input.salt } : {}),
  });
}
