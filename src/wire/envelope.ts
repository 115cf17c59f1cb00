/**
 * JSON-RPC 2.0 envelopes over the SDK's JSON encoding (src/protocol/record.ts: bigints as `{"$n": "<decimal>"}`,
 * bytes as 0x-hex strings). Decoding is bounded before it parses: a size limit and a nesting-depth limit are
 * checked on the raw text, so no input can make the parser or the reviver recurse without bound.
 *
 * Batches (a JSON array) are not supported and answered INVALID_REQUEST. Browser-safe.
 */
import { z } from "zod";

import { jsonDepth } from "../protocol/json.js";

import { decodeJson, encodeJson } from "../protocol/record.js";
import { WireError, WireValidationError, type WireErrorData } from "./codes.js";
import { validate } from "./schemas.js";

export const JSONRPC_VERSION = "2.0";

export type RpcId = string | number;

export interface RpcRequest {
  jsonrpc: "2.0";
  id: RpcId;
  method: string;
  params?: unknown;
}

export interface RpcNotification {
  jsonrpc: "2.0";
  method: string;
  params?: unknown;
}

export interface RpcErrorObject {
  code: number;
  message: string;
  data?: WireErrorData;
}

export interface RpcSuccess {
  jsonrpc: "2.0";
  id: RpcId;
  result: unknown;
}

export interface RpcFailure {
  jsonrpc: "2.0";
  id: RpcId | null;
  error: RpcErrorObject;
}

export type RpcResponse = RpcSuccess | RpcFailure;

/** Limits of one decoded message. */
export interface DecodeLimits {
  /** Characters of the text (the server checks bytes before it decodes to text). */
  maxLength: number;
  /** Nesting of arrays and objects (the envelope itself is level 1). */
  maxDepth: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxLength: 65_536, maxDepth: 16 };

/** Decodes one message's text: PAYLOAD_TOO_LARGE, PARSE_ERROR (also for too deep a nesting) or the value. */
export function decodeMessage(text: string, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): unknown {
  if (text.length > limits.maxLength) {
    throw new WireError(
      "PAYLOAD_TOO_LARGE",
      `message of ${text.length} characters is above the limit of ${limits.maxLength}`,
    );
  }
  if (jsonDepth(text, limits.maxDepth) > limits.maxDepth) {
    throw new WireError("PARSE_ERROR", `message nests deeper than ${limits.maxDepth} levels`);
  }
  try {
    return decodeJson<unknown>(text);
  } catch {
    throw new WireError("PARSE_ERROR", "message is not valid JSON");
  }
}

/** Encodes any envelope (bigints as `{"$n"}`). */
export function encodeMessage(message: RpcRequest | RpcNotification | RpcResponse): string {
  return encodeJson(message);
}

const rpcId = z.union([
  z.string().max(128),
  z
    .number()
    .int()
    .min(-(2 ** 53) + 1)
    .max(2 ** 53 - 1),
]);
const method = z.string().min(1).max(64);
const incoming = z.strictObject({
  jsonrpc: z.literal(JSONRPC_VERSION),
  id: rpcId.optional(),
  method,
  params: z.unknown().optional(),
});

/** What a server reads from a client: a request (answered) or a notification (never answered). */
export type Incoming =
  | { kind: "request"; request: RpcRequest }
  | { kind: "notification"; notification: RpcNotification };

/**
 * Checks a decoded client message's envelope. Throws INVALID_REQUEST (with the message's id when it had a
 * usable one, so the error can answer it) on anything that is not a single JSON-RPC 2.0 request.
 */
export function parseIncoming(value: unknown): Incoming {
  if (Array.isArray(value))
    throw new IdentifiedError(null, new WireError("INVALID_REQUEST", "batches are not supported"));
  let parsed: z.output<typeof incoming>;
  try {
    parsed = validate(incoming, value, "request", "INVALID_REQUEST");
  } catch (error) {
    throw new IdentifiedError(usableId(value), error as WireValidationError);
  }
  const base = { jsonrpc: JSONRPC_VERSION, method: parsed.method } as const;
  const withParams = parsed.params === undefined ? base : { ...base, params: parsed.params };
  if (parsed.id === undefined) return { kind: "notification", notification: withParams };
  return { kind: "request", request: { ...withParams, id: parsed.id } };
}

/** A wire error with the id of the request it answers (null when the request had none usable). */
export class IdentifiedError extends Error {
  constructor(
    readonly id: RpcId | null,
    readonly error: WireError,
  ) {
    super(error.message);
    this.name = "IdentifiedError";
  }
}

function usableId(value: unknown): RpcId | null {
  if (typeof value !== "object" || value === null) return null;
  const id = (value as { id?: unknown }).id;
  const result = rpcId.safeParse(id);
  return result.success ? result.data : null;
}

/** A JSON-RPC error response for `error`. */
export function failure(id: RpcId | null, error: WireError): RpcFailure {
  return { jsonrpc: JSONRPC_VERSION, id, error: { code: error.rpcCode, message: error.message, data: error.data } };
}

export function success(id: RpcId, result: unknown): RpcSuccess {
  return { jsonrpc: JSONRPC_VERSION, id, result };
}

export function notification(methodName: string, params: unknown): RpcNotification {
  return { jsonrpc: JSONRPC_VERSION, method: methodName, params };
}

const errorObject = z.object({
  code: z.number().int(),
  message: z.string(),
  data: z
    .object({
      name: z.string(),
      requestId: z.string().optional(),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
      retryAfterMs: z.number().optional(),
    })
    .optional(),
});
const successMessage = z.object({ jsonrpc: z.literal(JSONRPC_VERSION), id: rpcId, result: z.unknown() });
const failureMessage = z.object({ jsonrpc: z.literal(JSONRPC_VERSION), id: rpcId.nullable(), error: errorObject });
const pushMessage = z.object({ jsonrpc: z.literal(JSONRPC_VERSION), method, params: z.unknown().optional() });

/** What a client reads from the server: a response, or a pushed notification. Throws INVALID_REQUEST. */
export type ServerMessage =
  | { kind: "response"; response: RpcResponse }
  | { kind: "notification"; notification: RpcNotification };

export function parseServerMessage(value: unknown): ServerMessage {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new WireValidationError("INVALID_REQUEST", "server message is not an object", [
      { path: "(root)", message: "not an object" },
    ]);
  }
  if ("method" in value) {
    const m = validate(pushMessage, value, "server notification", "INVALID_REQUEST");
    return {
      kind: "notification",
      notification: m.params === undefined ? { jsonrpc: m.jsonrpc, method: m.method } : m,
    };
  }
  if ("error" in value)
    return { kind: "response", response: validate(failureMessage, value, "error response", "INVALID_REQUEST") };
  if ("result" in value) {
    const m = validate(successMessage, value, "response", "INVALID_REQUEST");
    return { kind: "response", response: { jsonrpc: m.jsonrpc, id: m.id, result: m.result } };
  }
  throw new WireValidationError("INVALID_REQUEST", "server message is neither a response nor a notification", [
    { path: "(root)", message: "no result, error or method" },
  ]);
}
