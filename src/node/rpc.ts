/**
 * The handlers of the methods in src/wire/methods.ts. Each gets its params already validated by the method's
 * schema and the calling connection's session; what it returns is the result, what it throws is answered as a
 * JSON-RPC error (src/wire/codes.ts toWireError).
 */
import { WireError } from "../wire/codes.js";
import { METHODS, type MethodName, type NodeInfo } from "../wire/methods.js";
import type { ConnectionAuth } from "./auth.js";
import type { NodeChannels } from "./channels.js";

/** What a handler sees of its connection. */
export interface Session {
  readonly id: string;
  readonly auth: ConnectionAuth;
}

export interface RpcContext {
  info(): NodeInfo;
  channels: NodeChannels;
}

type Handler = (params: unknown, session: Session) => Promise<unknown>;

/** The logged-in address of a session (every `auth: true` method runs only after the dispatcher checked it). */
function loggedIn(session: Session): string {
  const address = session.auth.address;
  if (address === undefined) throw new WireError("UNAUTHORIZED", "log in first (auth.challenge, then auth.login)");
  return address;
}

export function createHandlers(ctx: RpcContext): Record<MethodName, Handler> {
  return {
    "auth.challenge": async (params, session) => {
      const { address } = params as { address: string };
      return session.auth.issue(address);
    },
    "auth.login": async (params, session) => {
      const { nonce, signature } = params as { nonce: string; signature: string };
      return session.auth.login(nonce, signature);
    },
    "node.info": async () => ctx.info(),
    "channel.get": async (_params, session) => ctx.channels.info(loggedIn(session)),
  };
}

/** The names of the methods served, in the order of the table. */
export const SERVED_METHODS = Object.keys(METHODS) as MethodName[];
