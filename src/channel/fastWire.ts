/**
 * The wire schemas a client checks on every update (a proposal, an acknowledgement, update details, a
 * `channel.update` and a `payment.status` push, the JSON-RPC envelope around them), checked through the walk of
 * src/channel/fastValidate.ts where the message has a common shape, and through zod otherwise: the same output,
 * and every refusal (its error, its issues) still zod's. Browser-safe; the Channel does not import it (it
 * reaches the wire's method table, which the channel's browser-safe graph leaves out).
 */
import type { z } from "zod";

import { JSONRPC_VERSION, type RpcNotification, type ServerMessage } from "../wire/envelope.js";
import { MAX_ROUTE_PATH, paymentNotice, updatePush } from "../wire/methods.js";
import { acknowledgement, proposal, updateDetails, validate } from "../wire/schemas.js";
import {
  address,
  attempt,
  bytes32,
  exact,
  fastAcknowledgement,
  fastDetails,
  fastProposal,
  plain,
  NOT_FAST,
  uint256,
  type Fields,
} from "./fastValidate.js";
import type { Proposal } from "./channel.js";

type PaymentNotice = z.output<typeof paymentNotice>;

const NOTICE_KEYS = ["lockHash", "status", "role", "transferId", "amount", "attempts", "route"] as const;

/**
 * A `payment.status` push in its common shapes (lockHash, status, role, and a transferId, an amount, no failed
 * attempts and a route or not: a completed payment's push to its payer carries `attempts: []` and the route), as
 * `paymentNotice.parse` gives it, or undefined: failed attempts, code and reason are left to zod.
 */
export function fastPaymentNotice(value: unknown): PaymentNotice | undefined {
  return attempt(() => {
    const v = plain(value);
    const own = Object.keys(v);
    for (const key of own) if (!(NOTICE_KEYS as readonly string[]).includes(key)) throw NOT_FAST;
    if (typeof v.status !== "string" || v.status.length > 32 || (v.role !== "payer" && v.role !== "payee"))
      throw NOT_FAST;
    const out: PaymentNotice = { lockHash: bytes32(v.lockHash), status: v.status, role: v.role };
    if (own.includes("transferId")) out.transferId = bytes32(v.transferId); // an explicit undefined: zod
    if (own.includes("amount")) out.amount = uint256(v.amount);
    if (own.includes("attempts")) {
      if (!Array.isArray(v.attempts) || v.attempts.length !== 0 || !isPlainArray(v.attempts)) throw NOT_FAST;
      out.attempts = [];
    }
    if (own.includes("route")) {
      const route = v.route;
      if (!Array.isArray(route) || !isPlainArray(route) || route.length > MAX_ROUTE_PATH + 1) throw NOT_FAST;
      out.route = route.map((r: unknown) => address(r));
    }
    return out;
  });
}

function isPlainArray(value: unknown[]): boolean {
  return Object.getPrototypeOf(value) === Array.prototype;
}

/** A `channel.update` push without an onward route, as `updatePush.parse` gives it, or undefined (zod decides). */
export function fastUpdatePush(value: unknown): { proposal: Proposal } | undefined {
  const p = attempt(() => exact(value, ["proposal"]).proposal);
  const checked = p === undefined ? undefined : fastProposal(p);
  return checked === undefined ? undefined : { proposal: checked };
}

const FAST = new Map<z.ZodType, (value: unknown) => unknown>([
  [proposal, fastProposal],
  [acknowledgement, fastAcknowledgement],
  [updateDetails, fastDetails],
  [updatePush, fastUpdatePush],
  [paymentNotice, fastPaymentNotice],
]);

/** `validate(schema, value, what, kind)`, through the fast path when `schema` has one and `value` fits it. */
export function validateWire<T>(
  schema: z.ZodType<T>,
  value: unknown,
  what: string,
  kind: "INVALID_REQUEST" | "INVALID_PARAMS" = "INVALID_PARAMS",
): T {
  const fast = FAST.get(schema as z.ZodType)?.(value);
  return fast !== undefined ? (fast as T) : validate(schema, value, what, kind);
}

/**
 * A server message in its common shapes, as `parseServerMessage` gives it (a success with a numeric id, or a
 * pushed notification), or undefined: an error response, a string id or anything odd is left to the schemas.
 */
export function fastServerMessage(value: unknown): ServerMessage | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  if (Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  const v = value as Record<string, unknown>;
  if (v.jsonrpc !== JSONRPC_VERSION) return undefined;
  const jsonrpc = v.jsonrpc as RpcNotification["jsonrpc"]; // the RPC types spell the checked version as a literal
  if ("method" in v) {
    const method = v.method;
    if (typeof method !== "string" || method.length < 1 || method.length > 64) return undefined;
    const notification = v.params === undefined ? { jsonrpc, method } : { jsonrpc, method, params: v.params };
    return { kind: "notification", notification };
  }
  if ("error" in v || !("result" in v) || !Number.isSafeInteger(v.id)) return undefined;
  return { kind: "response", response: { jsonrpc, id: v.id as number, result: v.result } };
}
