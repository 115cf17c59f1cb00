/**
 * How the client names what went wrong: the session's and the wire's errors turned into the client's typed
 * errors (src/client/errors.ts). The SDK's own rule errors that a user can act on (TransferCapError,
 * ChannelClosedError, NegativeBalanceError, ForkError...) pass through unchanged.
 */
import {
  MalformedUpdateError,
  SignatureError,
  SwitchyardError,
  TamperedUpdateError,
} from "../protocol/errors.js";
import { RemoteError, TransportError } from "../wire/codes.js";
import { NodeMisbehaviourError, NodeOverloadedError, NodeUnavailableError, PayeeUnavailableError } from "./errors.js";

export interface FailureContext {
  url: string;
  node: string;
  /** The payee of a routed payment, if the failure is one's. */
  payee?: string;
}

/** The client's error for `error`, thrown by a session call. */
export function clientError(error: unknown, ctx: FailureContext): Error {
  if (error instanceof TransportError) {
    if (error.reason === "PROTOCOL") return new NodeMisbehaviourError(ctx.node, `answered garbage: ${error.message}`, error);
    return new NodeUnavailableError(ctx.url, error.message);
  }
  if (error instanceof RemoteError) {
    // The node is up but its database is away for a moment: as unavailable as a node that does not answer.
    if (error.code === "UNAVAILABLE") return new NodeUnavailableError(ctx.url, error.message);
    // Refused before the node signed anything (its bound on payments in flight): back off, then pay again.
    if (error.code === "OVERLOADED") return new NodeOverloadedError(ctx.url, error.data?.retryAfterMs ?? 1_000, error.message);
    if (ctx.payee !== undefined && error.code === "ROUTE" && /no channel with/.test(error.message))
      return new PayeeUnavailableError(ctx.payee, "unknown", error.message);
    // The node could not get the payee's answer (its collateral deposit or the forward): the payee is offline.
    if (ctx.payee !== undefined && error.code === "PEER" && error.message.includes(ctx.payee))
      return new PayeeUnavailableError(ctx.payee, "offline", error.message);
    return error;
  }
  // A proposal of the node that is not what this client asked for, or not signed by the node: never signed here.
  if (error instanceof SignatureError || error instanceof TamperedUpdateError || error instanceof MalformedUpdateError)
    return new NodeMisbehaviourError(ctx.node, error.message, error);
  if (error instanceof SwitchyardError) return error;
  if (error instanceof Error) return error;
  return new Error(String(error));
}
