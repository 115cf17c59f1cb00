/**
 * The wire schemas a client checks on every update (a proposal, an acknowledgement, update details, a
 * `channel.update` and a `payment.status` push), checked through the fast path of src/channel/fastValidate.ts
 * where the message has a common shape, and through zod otherwise: the same output, and every refusal (its
 * error, its issues) still zod's. Browser-safe.
 */
import type { z } from "zod";

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
