/**
 * The client's typed errors: each names the cause a wallet shows its user (not enough in the channel, the payee
 * unknown or offline, the node misbehaving or gone, a payment that failed or timed out). All extend the SDK's
 * SwitchyardError (branch on `instanceof` or on `code`); the SDK's own TransferCapError, ChannelClosedError and
 * ForkError are thrown as they are. Browser-safe.
 */
import { SwitchyardError } from "../protocol/errors.js";

/** The channel does not hold `requested` of `asset` for this client (its free balance is `available`). */
export class InsufficientBalanceError extends SwitchyardError {
  constructor(
    readonly asset: string,
    readonly requested: bigint,
    readonly available: bigint,
    what = "pay",
  ) {
    super("INSUFFICIENT_BALANCE", `cannot ${what} ${requested} of ${asset}: this client's free balance is ${available}`);
  }
}

/** An amount that is not a positive integer (a payment, a deposit, a withdraw, an invoice of zero). */
export class AmountError extends SwitchyardError {
  constructor(
    readonly amount: bigint,
    what: string,
  ) {
    super("AMOUNT", `cannot ${what} ${amount}: the amount must be positive`);
  }
}

/** Why a payee cannot be paid: the node has no channel with it, or it is not connected. */
export type PayeeUnavailableReason = "unknown" | "offline";

/** The payee cannot be reached through the node (no channel with the node, or offline when the lock was forwarded). */
export class PayeeUnavailableError extends SwitchyardError {
  constructor(
    readonly payee: string,
    readonly reason: PayeeUnavailableReason,
    detail: string,
  ) {
    super("PAYEE_UNAVAILABLE", `payee ${payee} is ${reason === "unknown" ? "unknown to the node" : "offline"}: ${detail}`);
  }
}

/**
 * The node broke the protocol: an answer that fails its schema, a proposal that is not this client's intent, a
 * signature that does not verify, a forked history. Nothing was signed for it; `cause` is the SDK's own error.
 */
export class NodeMisbehaviourError extends SwitchyardError {
  constructor(
    readonly node: string,
    reason: string,
    override readonly cause?: unknown,
  ) {
    super("NODE_MISBEHAVIOUR", `node ${node}: ${reason}`);
  }
}

/** The node is not reachable (the connection dropped and no reconnect succeeded in time, or the client is disconnected). */
export class NodeUnavailableError extends SwitchyardError {
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super("NODE_UNAVAILABLE", `node ${url} unavailable: ${reason}`);
  }
}

/**
 * The node refused the payment before it signed anything: it has as many payments in flight as it takes
 * (OVERLOADED, its admission control). Nothing moved and nothing is pending on either side; the same invoice
 * can be paid again after about `retryAfterMs` (the node's hint: how long it takes to finish what it holds).
 */
export class NodeOverloadedError extends SwitchyardError {
  constructor(
    readonly url: string,
    readonly retryAfterMs: number,
    reason: string,
  ) {
    super("NODE_OVERLOADED", `node ${url} is overloaded: ${reason} (retry after ${retryAfterMs} ms)`);
  }
}

/** A routed payment ended without paying the payee (the node refunded or cancelled it); the lock returned to the payer. */
export class PaymentFailedError extends SwitchyardError {
  constructor(
    readonly lockHash: string,
    readonly status: string,
    reason: string,
  ) {
    super("PAYMENT_FAILED", `payment ${lockHash} failed (${status}): ${reason}`);
  }
}

/**
 * A routed payment did not complete within `timeoutMs`. The lock may still be active: it completes (the payee
 * claimed) or is refunded later, and the client reports that with a `payment-completed` / `payment-failed` event.
 */
export class PaymentTimeoutError extends SwitchyardError {
  constructor(
    readonly lockHash: string,
    readonly timeoutMs: number,
    readonly lastStatus: string,
  ) {
    super("PAYMENT_TIMEOUT", `payment ${lockHash} not completed within ${timeoutMs} ms (last status: ${lastStatus})`);
  }
}

/** An action needs the chain (a provider, and a signer that pays gas) and the client was given none. */
export class ChainRequiredError extends SwitchyardError {
  constructor(what: string) {
    super("CHAIN_REQUIRED", `${what} needs the chain: pass \`chain\` (a provider) and an ethers signer connected to it`);
  }
}

/** An on-chain transaction the client sent reverted or was not mined. */
export class ChainTransactionError extends SwitchyardError {
  constructor(
    readonly what: string,
    readonly tx: string | undefined,
    reason: string,
  ) {
    super("CHAIN_TX", `${what}${tx !== undefined ? ` (${tx})` : ""}: ${reason}`);
  }
}

/** The client was disconnected by its user (`disconnect()`); make a new one with SwitchyardClient.connect. */
export class ClientDisconnectedError extends SwitchyardError {
  constructor() {
    super("DISCONNECTED", "the client is disconnected");
  }
}
