/**
 * Typed errors of routing across nodes (docs/PROTOCOL.md §17): one class per bad input of issue 16, each with a
 * stable `code` (and a wire code in src/wire/codes.ts), thrown before anything is signed or locked.
 */
import { SwitchyardError } from "../../protocol/errors.js";

/** The base of every announcement refusal: the announcement is dropped, the graph is unchanged. */
export class AnnouncementError extends SwitchyardError {}

/** The announcement's signature is not its announcer's (signed by another key, or not a valid signature). */
export class AnnouncementSignatureError extends AnnouncementError {
  constructor(
    readonly announcer: string,
    reason: string,
  ) {
    super("ANNOUNCEMENT_SIGNATURE", `announcement by ${announcer}: ${reason}`);
  }
}

/** The announcement is about a channel its signer is not a party of (its address is not the pair's channel). */
export class AnnouncementChannelError extends AnnouncementError {
  constructor(
    readonly channel: string,
    reason: string,
  ) {
    super("ANNOUNCEMENT_CHANNEL", `announcement of channel ${channel}: ${reason}`);
  }
}

/** The announcement is older than (or as old as) one already held, expired, or issued in the future. */
export class StaleAnnouncementError extends AnnouncementError {
  constructor(
    readonly seq: bigint,
    reason: string,
  ) {
    super("ANNOUNCEMENT_STALE", `announcement seq ${seq}: ${reason}`);
  }
}

/** The announced capacity is more than the channel can hold (above its on-chain total for the asset). */
export class ForgedCapacityError extends AnnouncementError {
  constructor(
    readonly channel: string,
    readonly asset: string,
    readonly announced: bigint,
    readonly limit: bigint,
  ) {
    super(
      "ANNOUNCEMENT_CAPACITY",
      `channel ${channel}, asset ${asset}: announced capacity ${announced} is above the ${limit} the channel holds`,
    );
  }
}

/** The base of every refusal of a route (by the payer's node before it locks, or by a node asked to forward). */
export class NetworkRouteError extends SwitchyardError {}

/** A hop's expiries do not decrease enough (E_in - E_out < T_up + margin), or a lock could not be claimed in time. */
export class RouteExpiryError extends NetworkRouteError {
  constructor(
    readonly hop: number,
    reason: string,
  ) {
    super("ROUTE_EXPIRY", `route hop ${hop}: ${reason}`);
  }
}

/** The route's total fee is above what the payer accepted, or a hop's fee is below what its node charges. */
export class RouteFeeError extends NetworkRouteError {
  constructor(
    readonly fee: bigint,
    readonly limit: bigint,
    reason: string,
  ) {
    super("ROUTE_FEE", `route fee ${fee} (limit ${limit}): ${reason}`);
  }
}

/** The route passes a node or a channel twice. */
export class RouteLoopError extends NetworkRouteError {
  constructor(
    readonly repeated: string,
    reason: string,
  ) {
    super("ROUTE_LOOP", `route loop at ${repeated}: ${reason}`);
  }
}

/**
 * The route does not hold together: amounts or expiries that do not chain from hop to hop, a fee that is not
 * `amountIn - amountOut`, ends that are not the payer's and payee's nodes, mixed assets, too many hops.
 */
export class RouteShapeError extends NetworkRouteError {
  constructor(reason: string) {
    super("ROUTE_SHAPE", `malformed route: ${reason}`);
  }
}

/** A hop's channel is not in the graph in that direction and asset, or cannot carry the hop's amount. */
export class RouteCapacityError extends NetworkRouteError {
  constructor(
    readonly channel: string,
    reason: string,
  ) {
    super("ROUTE_CAPACITY", `route channel ${channel}: ${reason}`);
  }
}

/** No route in the graph satisfies the request (capacity, fees, expiry rules, hop bound, exclusions). */
export class NoRouteError extends NetworkRouteError {
  constructor(reason: string) {
    super("NO_ROUTE", `no route: ${reason}`);
  }
}

/** One failed attempt of a payment across nodes, as the payer's node records it (src/routing/payments.ts RouteAttempt). */
export interface FailedAttempt {
  path: readonly string[];
  refusedBy: string;
  reason: string;
}

/**
 * The payer's node tried every route it could for a payment (within its bounded attempts and retry window) and each
 * was refused or cancelled: the payer is refunded; `attempts` says which route failed where and why.
 */
export class RouteExhaustedError extends NetworkRouteError {
  constructor(
    readonly why: string,
    readonly attempts: readonly FailedAttempt[],
  ) {
    const tried = attempts.map((a, i) => `#${i + 1} via ${a.path.join(" → ")}: ${a.refusedBy} ${a.reason}`).join("; ");
    super("ROUTE_EXHAUSTED", `no route left after ${attempts.length} attempt(s) (${why}): ${tried}`);
  }

  /**
   * The typed error a payer's final `payment.status` notice stands for (`code` ROUTE_EXHAUSTED, its attempts and
   * reason), or undefined for any other notice: how a payer turns the node's answer into the error to throw.
   */
  static fromNotice(notice: {
    code?: string;
    reason?: string;
    attempts?: readonly FailedAttempt[];
  }): RouteExhaustedError | undefined {
    if (notice.code !== "ROUTE_EXHAUSTED") return undefined;
    const error = new RouteExhaustedError("refunded by the payer's node", notice.attempts ?? []);
    if (notice.reason !== undefined) error.message = notice.reason;
    return error;
  }
}
