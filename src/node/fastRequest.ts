/**
 * The server's fast path for what every routed payment sends it: the JSON-RPC request envelope and the params of
 * `payment.send`, `channel.propose` and `channel.acknowledge`, in their common shapes, checked by the walk of
 * src/channel/fastValidate.ts (the Channel boundary's, the same rules as the wire's zod schemas). Each function
 * returns exactly what the schema's parse gives (the same values, the keys in the schemas' order), or undefined
 * for anything else, valid or not: zod then decides, so every refusal, its error and its issues still come
 * from the schemas (src/wire/envelope.ts parseIncoming, src/wire/methods.ts METHODS).
 *
 * Why: zod's parse of these requests was about 2.4 % of the node's busy time in a closed-loop load run.
 * test/ts/node/fastRequest.test.ts compares both on real requests and on thousands of random corruptions.
 */
import {
  NOT_FAST,
  address,
  attempt,
  exact,
  fastAcknowledgement,
  fastDetails,
  plain,
  uint256,
  type Fields,
} from "../channel/fastValidate.js";
import type { Acknowledgement } from "../channel/channel.js";
import type { UpdateDetails } from "../protocol/types.js";
import { JSONRPC_VERSION, type Incoming, type RpcRequest } from "../wire/envelope.js";
import type { MethodName } from "../wire/methods.js";
import type { RouteInstructionParams } from "./rpc.js";

const ENVELOPE_KEYS = ["jsonrpc", "id", "method", "params"] as const;
const ROUTE_KEYS = ["recipient", "expiry", "amount"] as const;

/**
 * A request (not a notification) with a numeric or short string id, as `parseIncoming` gives it, or undefined:
 * a notification, a batch, extra keys or anything odd is left to the schemas.
 */
export function fastIncoming(value: unknown): Incoming | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  if (Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  const v = value as Record<string, unknown>;
  const own = Object.keys(v);
  for (const key of own) if (!(ENVELOPE_KEYS as readonly string[]).includes(key)) return undefined;
  const { id, method, params } = v;
  if (v.jsonrpc !== JSONRPC_VERSION) return undefined;
  if (typeof method !== "string" || method.length < 1 || method.length > 64) return undefined;
  if (!(typeof id === "string" ? id.length <= 128 : Number.isSafeInteger(id))) return undefined;
  const request: RpcRequest =
    params === undefined
      ? { jsonrpc: JSONRPC_VERSION, method, id: id as RpcRequest["id"] }
      : { jsonrpc: JSONRPC_VERSION, method, params, id: id as RpcRequest["id"] };
  return { kind: "request", request };
}

/** A route instruction without an onward path, as `routeInstruction.parse` gives it; else NOT_FAST. */
function route(value: unknown): RouteInstructionParams {
  const r = plain(value);
  const own = Object.keys(r);
  for (const key of own) if (!(ROUTE_KEYS as readonly string[]).includes(key)) throw NOT_FAST; // a path: zod
  if (!own.includes("recipient") || !own.includes("expiry")) throw NOT_FAST;
  const out: RouteInstructionParams = { recipient: address(r.recipient), expiry: uint256(r.expiry) };
  if (own.includes("amount")) out.amount = uint256(r.amount); // an explicit undefined: zod
  return out;
}

function details(value: unknown): UpdateDetails {
  const d = fastDetails(value);
  if (d === undefined) throw NOT_FAST;
  return d;
}

function withRoute(p: Fields, required: boolean): { details: UpdateDetails; route?: RouteInstructionParams } {
  const own = Object.keys(p);
  if (own.length === 1 && own[0] === "details" && !required) return { details: details(p.details) };
  const both = exact(p, ["details", "route"]);
  return { details: details(both.details), route: route(both.route) };
}

/**
 * The params of `method` as its schema's parse gives them, for the hot methods in their common shapes; undefined
 * for any other method or shape (zod decides).
 */
export function fastParams(method: MethodName, params: unknown): unknown {
  switch (method) {
    case "payment.send":
      return attempt(() => withRoute(plain(params), true));
    case "channel.propose":
      return attempt(() => withRoute(plain(params), false));
    case "channel.acknowledge":
      return attempt((): { ack: Acknowledgement } => {
        const ack = fastAcknowledgement(exact(params, ["ack"]).ack);
        if (ack === undefined) throw NOT_FAST;
        return { ack };
      });
    default:
      return undefined;
  }
}
