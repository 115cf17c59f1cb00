/**
 * The stable error-code table of the Switchyard wire (JSON-RPC 2.0 `error.code`), and the typed errors both ends
 * raise from it. Codes never change meaning once published: a new cause gets a new code.
 *
 * - -32700 … -32600: JSON-RPC 2.0's own codes (parse error, invalid request, method not found, invalid params,
 *   internal error);
 * - -32001 … -32099: the server-defined range JSON-RPC reserves for transport-level causes (unauthorized, rate
 *   limited, payload too large, shutting down, overloaded);
 * - 4001 … 4099: login (challenge unknown, expired, wrong signature, already logged in);
 * - 4100 … 4199: the SDK's typed errors (src/protocol/errors.ts, src/routing/network/errors.ts), one code per
 *   `SwitchyardError.code`.
 *
 * Browser-safe: no Node.js built-ins.
 */
import { StoreUnavailableError, SwitchyardError } from "../protocol/errors.js";

/** Every wire error: its JSON-RPC code and its stable symbolic name (sent as `error.data.name`). */
export const WIRE_ERRORS = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  UNAUTHORIZED: -32001,
  RATE_LIMITED: -32002,
  PAYLOAD_TOO_LARGE: -32003,
  SHUTTING_DOWN: -32004,
  CHANNEL_BUSY: -32005,
  UNAVAILABLE: -32006,
  OVERLOADED: -32007,

  CHALLENGE_UNKNOWN: 4001,
  CHALLENGE_EXPIRED: 4002,
  LOGIN_SIGNATURE: 4003,
  ALREADY_AUTHENTICATED: 4004,

  NONCE: 4100,
  CONSERVATION: 4101,
  NEGATIVE_BALANCE: 4102,
  CAPACITY: 4103,
  TRANSFER_CAP: 4104,
  UNKNOWN_RESOLVER: 4105,
  TIMEOUT: 4106,
  SIGNATURE: 4107,
  TAMPERED: 4108,
  DUPLICATE_TRANSFER: 4109,
  UNKNOWN_TRANSFER: 4110,
  RESOLUTION: 4111,
  DEPOSIT: 4112,
  WITHDRAW: 4113,
  CLOSED: 4114,
  MALFORMED: 4115,
  DOUBLE_SIGN: 4116,
  STORE: 4117,
  COMMITMENT: 4118,
  ROUTE: 4119,
  PEER: 4120,
  CHANNEL_ADDRESS: 4121,
  CRYPTO_INPUT: 4122,
  REOPEN: 4123,
  FORK: 4124,
  ANNOUNCEMENT_SIGNATURE: 4125,
  ANNOUNCEMENT_CHANNEL: 4126,
  ANNOUNCEMENT_STALE: 4127,
  ANNOUNCEMENT_CAPACITY: 4128,
  ROUTE_EXPIRY: 4129,
  ROUTE_FEE: 4130,
  ROUTE_LOOP: 4131,
  ROUTE_SHAPE: 4132,
  ROUTE_CAPACITY: 4133,
  NO_ROUTE: 4134,
  ROUTE_EXHAUSTED: 4135,
} as const;

export type WireErrorName = keyof typeof WIRE_ERRORS;
export type WireErrorCode = (typeof WIRE_ERRORS)[WireErrorName];

const NAMES = new Map<number, WireErrorName>(
  (Object.entries(WIRE_ERRORS) as Array<[WireErrorName, number]>).map(([name, code]) => [code, name]),
);

/** The symbolic name of a wire code, or undefined for a code this version does not know. */
export function wireErrorName(code: number): WireErrorName | undefined {
  return NAMES.get(code);
}

/** Whether `name` is a code of the table (an SDK error's `code` that maps one to one, for example). */
export function isWireErrorName(name: string): name is WireErrorName {
  return Object.prototype.hasOwnProperty.call(WIRE_ERRORS, name);
}

/** The JSON-RPC error object's optional `data`: the symbolic name, the exchange's request id, details. */
export interface WireErrorData {
  name: string;
  requestId?: string;
  /** Where validation failed: a path into the params and what was wrong there. */
  issues?: Array<{ path: string; message: string }>;
  /** For RATE_LIMITED: how long until a request would be accepted; for OVERLOADED: how long to back off. */
  retryAfterMs?: number;
}

/** An error that crosses the wire as a JSON-RPC error object with a stable code. */
export class WireError extends SwitchyardError {
  readonly rpcCode: number;
  readonly data: WireErrorData;

  constructor(name: WireErrorName, message: string, data: Omit<WireErrorData, "name"> = {}) {
    super(name, message);
    this.rpcCode = WIRE_ERRORS[name];
    this.data = { ...data, name };
  }
}

/** A message or its params failed the wire schemas (INVALID_REQUEST or INVALID_PARAMS), with the issues found. */
export class WireValidationError extends WireError {
  constructor(
    kind: "INVALID_REQUEST" | "INVALID_PARAMS",
    message: string,
    readonly issues: Array<{ path: string; message: string }>,
  ) {
    super(kind, message, { issues });
  }
}

/**
 * The wire form of any error a method handler throws: a WireError as it is, an SDK SwitchyardError under its
 * own code, the store's unavailability as UNAVAILABLE (retry), anything else as INTERNAL_ERROR with a message that
 * reveals nothing of the server's internals.
 */
export function toWireError(error: unknown): WireError {
  if (error instanceof WireError) return error;
  // The node's database is away for a moment (restarting, unreachable): the request can be sent again. Its
  // location and cause stay in the node's log.
  if (error instanceof StoreUnavailableError) return new WireError("UNAVAILABLE", "the node's store is unavailable: try again");
  if (error instanceof SwitchyardError && isWireErrorName(error.code)) {
    return new WireError(error.code, error.message);
  }
  return new WireError("INTERNAL_ERROR", "internal error");
}

/**
 * The error a client raises for a JSON-RPC error response: `code` is the symbolic name (as for every
 * SwitchyardError), `rpcCode` the number, `data` what the server attached.
 */
export class RemoteError extends SwitchyardError {
  constructor(
    readonly rpcCode: number,
    message: string,
    readonly data: WireErrorData | undefined,
  ) {
    super(wireErrorName(rpcCode) ?? `RPC_${rpcCode}`, message);
  }
}

/** The client-side transport failed: not connected, closed while waiting, or no answer in time. */
export class TransportError extends SwitchyardError {
  constructor(
    readonly reason: "NOT_CONNECTED" | "CLOSED" | "TIMEOUT" | "PROTOCOL",
    message: string,
  ) {
    super(`TRANSPORT_${reason}`, message);
  }
}
