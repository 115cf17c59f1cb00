/**
 * The node's route checks, apart from its state: what `Node` checks before it signs a payer's upstream lock
 * (docs/PROTOCOL.md §12 rules 1–3), and how it recognises an acknowledged lock it holds no route for.
 */
import type { Channel } from "../channel/channel.js";
import { checksum } from "../protocol/address.js";
import { RouteError, TimeoutError } from "../protocol/errors.js";
import { keccakBytes } from "../protocol/hashes.js";
import { writeHex } from "../protocol/hex.js";
import { checkRouteExpiries, checkUpstreamSettleWindow, hashlockTerms } from "../protocol/policies.js";
import { encodeHashlockTerms } from "../protocol/resolvers.js";
import { normalizeTransfer, transferId } from "../protocol/transfers.js";
import type { Update, UpdateDetails } from "../protocol/types.js";

import type { Hop, RoutedPayment } from "./payments.js";
import type { RouteInstruction } from "./config.js";

/** What the route checks read of the node. */
export interface RouteContext {
  /** The node's address (its party in every channel). */
  address: string;
  /** The hashlock resolver payments are routed through. */
  hashlock: string;
  /** Seconds of safety margin (§12). */
  margin: bigint;
  /** Unix time in seconds. */
  now: bigint;
  /** Whether a lock hash is routed already. */
  routed(lockHash: string): boolean;
  /** The node's fee for forwarding `amountOut` of `asset` across nodes (default: none charged). */
  fee?: (asset: string, amountOut: bigint) => bigint;
  /** Whether `address` is another node (default: none is). */
  isNode?: (address: string) => boolean;
  /** The payer's node's retry number of this upstream lock (0 first): each attempt's downstream transfer is distinct. */
  attempt?: number;
}

/**
 * Checks the payer's lock `details` against `route` and returns the payment it opens ("accepted", both hops
 * planned): the upstream lock goes from the payer to the node through the hashlock, the payee has a channel with
 * the node, the amounts and expiries keep the route rules. Throws RouteError / TimeoutError before anything is
 * signed.
 */
export function planRoute(
  node: RouteContext,
  payer: { address: string; channel: Channel },
  details: UpdateDetails | undefined,
  route: RouteInstruction,
  channelWith: (peer: string) => Channel | undefined,
): RoutedPayment {
  if (details?.type !== "create") throw new RouteError("a routed payment must be a transfer creation");
  const t = normalizeTransfer(details.transfer);
  if (t.resolver !== node.hashlock) throw new RouteError(`the node routes hashlock transfers (${node.hashlock}) only`);
  if (t.initiator !== payer.address || t.responder !== node.address) {
    throw new RouteError("the upstream lock must go from the payer to the node");
  }
  const recipient = checksum(route.recipient);
  const down = channelWith(recipient);
  if (down === undefined) throw new RouteError(`the node has no channel with ${recipient}`);
  if (recipient === payer.address) throw new RouteError("a payment cannot be routed back to its payer");
  const { lockHash, expiry } = hashlockTerms(t.data);
  if (node.routed(lockHash)) throw new RouteError(`lock ${lockHash} is already routed`);
  const amount = route.amount ?? t.amount;
  if (amount <= 0n || amount > t.amount) {
    throw new RouteError(`the payee's amount ${amount} must be in (0, ${t.amount}] (the upstream amount)`);
  }
  const crossesNodes = route.path !== undefined || node.isNode?.(payer.address) === true || node.isNode?.(recipient) === true;
  if (route.path !== undefined && route.path.length > 0 && node.isNode?.(recipient) !== true) {
    throw new RouteError(`the route goes on after ${recipient}, which is not a node this node peers with`);
  }
  const fee = crossesNodes && node.fee !== undefined ? node.fee(t.asset, amount) : 0n;
  if (t.amount - amount < fee) {
    throw new RouteError(`the lock of ${t.amount} leaves the node ${t.amount - amount}, below its fee ${fee} for ${amount}`);
  }
  const upTimeout = payer.channel.channelSetup.timeout;
  checkRouteExpiries(expiry, route.expiry, upTimeout, node.margin);
  checkUpstreamSettleWindow(route.expiry, node.now, upTimeout, t.timeout, node.margin);
  const downTimeout = down.channelSetup.timeout;
  const earliest = node.now + downTimeout + node.margin;
  if (route.expiry < earliest) {
    throw new TimeoutError(`downstream expiry ${route.expiry} is before ${earliest}: the payee could not claim it on chain`);
  }
  const up: Hop = { peer: payer.address, transferId: transferId(t), transfer: t, expiry };
  const downstream = normalizeTransfer({
    channel: down.address,
    resolver: node.hashlock,
    asset: t.asset,
    amount,
    initiator: node.address,
    responder: recipient,
    timeout: downTimeout,
    salt: routeSalt(up.transferId, node.attempt ?? 0),
    data: encodeHashlockTerms({ lockHash, expiry: route.expiry }),
  });
  const [next, ...rest] = route.path ?? [];
  return {
    lockHash,
    status: "accepted",
    upstream: up,
    downstream: { peer: recipient, transferId: transferId(downstream), transfer: downstream, expiry: route.expiry },
    ...(next !== undefined ? { onward: { ...next, ...(rest.length > 0 ? { path: rest } : {}) } } : {}),
  };
}

/**
 * The lock hash of `details` if it creates a transfer through the node's `hashlock` resolver with well-formed
 * terms, else undefined (`planRoute` then refuses it with the precise reason).
 */
export function routedLockHash(details: UpdateDetails | undefined, hashlock: string): string | undefined {
  if (details?.type !== "create") return undefined;
  try {
    const t = normalizeTransfer(details.transfer);
    return t.resolver === hashlock ? hashlockTerms(t.data).lockHash : undefined;
  } catch {
    return undefined; // malformed: planRoute says why
  }
}

const ROUTE_TAG = new TextEncoder().encode("switchyard.route");

/**
 * The downstream lock's salt: keccak256(upstream transfer id ‖ "switchyard.route"), or ‖ "switchyard.route.<n>"
 * for a payer's retry `attempt` n > 0 (each attempt's downstream transfer distinct), on the SDK's hashing (the
 * WebAssembly keccak once loaded; ethers' JavaScript keccak took about 25 µs of every routed payment).
 */
export function routeSalt(upstreamTransferId: string, attempt = 0): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(upstreamTransferId)) throw new RouteError(`not a transfer id: ${upstreamTransferId}`);
  if (!Number.isSafeInteger(attempt) || attempt < 0) throw new RouteError(`not an attempt number: ${attempt}`);
  const tag = attempt === 0 ? ROUTE_TAG : new TextEncoder().encode(`switchyard.route.${attempt}`);
  const data = new Uint8Array(32 + tag.length);
  writeHex(upstreamTransferId, 2, 32, data, 0);
  data.set(tag, 32);
  return keccakBytes(data);
}

/**
 * The payment to refund when `update` (just co-signed) locked a hashlock transfer from `payer` to the node and
 * no payment of the node knows it: an "accepted" payment with no downstream hop. Undefined for anything else,
 * and for a lock hash the node routes already under another upstream transfer (that lock is left to expire:
 * the table is keyed by lock hash).
 */
export function unroutedLock(
  update: Update | undefined,
  node: { address: string; hashlock: string; payer: string },
  payments: { has(lockHash: string): boolean },
): RoutedPayment | undefined {
  if (update?.details.type !== "create") return undefined;
  const t = normalizeTransfer(update.details.transfer);
  if (t.resolver !== node.hashlock || t.initiator !== node.payer || t.responder !== node.address) return undefined;
  const { lockHash, expiry } = hashlockTerms(t.data);
  if (payments.has(lockHash)) return undefined;
  return { lockHash, status: "accepted", upstream: { peer: node.payer, transferId: transferId(t), transfer: t, expiry } };
}
