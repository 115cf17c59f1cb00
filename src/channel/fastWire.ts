/**
 * The wire schemas a client checks on every update (a proposal, an acknowledgement, update details, a
 * `channel.update` and a `payment.status` push, the JSON-RPC envelope around them), checked through the fast path of src/channel/fastValidate.ts
 * where the message has a common shape, and through zod otherwise: the same output, and every refusal (its
 * error, its issues) still zod's. Browser-safe.
 */
import type { z } from "zod";

import { JSONRPC_VERSION, type RpcNotification, type ServerMessage } from "../wire/envelope.js";
import { paymentNotice, updatePush } from "../wire/methods.js";
import { acknowledgement, proposal, updateDetails, validate } from "../wire/schemas.js";
import { fastAcknowledgement, fastDetails, fastPaymentNotice, fastProposal, fastUpdatePush } from "./fastValidate.js";

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
