/**
 * The handlers of the methods in src/wire/methods.ts. Each gets its params already validated by the method's
 * schema and the calling connection's session; what it returns is the result, what it throws is answered as a
 * JSON-RPC error (src/wire/codes.ts toWireError). Every channel method acts on the logged-in address's own
 * channel only: no method takes a channel address.
 */
import type { Acknowledgement, Proposal } from "../channel/channel.js";
import { RouteError } from "../protocol/errors.js";
import type { UpdateDetails } from "../protocol/types.js";
import { WireError } from "../wire/codes.js";
import { METHODS, SYNC_PAGE, type MethodName, type NodeInfo, type SyncResult } from "../wire/methods.js";
import type { RpcNotification } from "../wire/envelope.js";
import type { ConnectionAuth } from "./auth.js";
import type { NodeChannels } from "./channels.js";
import type { GraphSnapshot, NetworkRoute, SignedAnnouncement } from "../routing/network/types.js";
import type { RouteFindParams } from "./peers/routeFind.js";

/** What a handler sees of its connection. */
export interface Session {
  readonly id: string;
  readonly auth: ConnectionAuth;
  push(message: RpcNotification): void;
}

/** A routed payment's upstream intent (src/node/payments.ts). */
export interface RouteInstructionParams {
  recipient: string;
  expiry: bigint;
  amount?: bigint;
  path?: ReadonlyArray<{ recipient: string; expiry: bigint; amount: bigint }>;
}

export interface PaymentRouter {
  /** Signs the payer's upstream lock as its intent, with the route recorded to forward it once acknowledged. */
  send(payer: string, details: UpdateDetails, route: RouteInstructionParams): Promise<Proposal>;
  /** A client's intent that may move a payment (a payee's resolve of a forwarded lock). */
  intent(client: string, details: UpdateDetails): Promise<Proposal>;
  acknowledge(client: string, ack: Acknowledgement): Promise<void>;
}

export interface RpcContext {
  info(): NodeInfo;
  channels: NodeChannels;
  /** Called once a connection has logged in (registers it for pushes, re-delivers the pending proposal). */
  loggedIn(session: Session, address: string): void;
  /** Routing, when the node routes payments. */
  router?: PaymentRouter;
  /** A co-signed update in `client`'s channel (the `switchyard_updates_total` metric, the collateral gauge). */
  updated?(type: string, proposer: string, client: string): void;
  /** `channel.requestCollateral` (the node's collateral manager, src/node/collateralRpc.ts). */
  requestCollateral?: Handler;
  /** Gossip and routes across nodes, when the node peers with other nodes (src/node/peers/). */
  network?: {
    find(payer: string, params: RouteFindParams): NetworkRoute;
    announce(from: string, announcements: readonly SignedAnnouncement[]): Promise<number>;
    snapshot(): GraphSnapshot;
  };
  /** The onward route of a pending proposal that forwards a lock to another node (re-delivered with it). */
  onwardOf?(proposal: Proposal): RouteInstructionParams | undefined;
}

type Handler = (params: unknown, session: Session) => Promise<unknown>;

/** The logged-in address of a session (every `auth: true` method runs only after the dispatcher checked it). */
function loggedIn(session: Session): string {
  const address = session.auth.address;
  if (address === undefined) throw new WireError("UNAUTHORIZED", "log in first (auth.challenge, then auth.login)");
  return address;
}

export function createHandlers(ctx: RpcContext): Record<MethodName, Handler> {
  const intent = async (client: string, details: UpdateDetails): Promise<Proposal> => {
    if (ctx.router !== undefined) return ctx.router.intent(client, details);
    return (await ctx.channels.sequencerOf(client)).intent(details);
  };
  return {
    "auth.challenge": async (params, session) => {
      const { address } = params as { address: string };
      return session.auth.issue(address);
    },
    "auth.login": async (params, session) => {
      const { nonce, signature } = params as { nonce: string; signature: string };
      const result = await session.auth.login(nonce, signature);
      ctx.loggedIn(session, result.address);
      return result;
    },
    "node.info": async () => ctx.info(),
    "channel.get": async (_params, session) => ctx.channels.info(loggedIn(session)),
    "channel.propose": async (params, session) => {
      const { details, route } = params as { details: UpdateDetails; route?: RouteInstructionParams };
      const client = loggedIn(session);
      if (route === undefined) return intent(client, details);
      if (ctx.router === undefined) throw new RouteError("this node does not route payments");
      return ctx.router.send(client, details, route);
    },
    "payment.send": async (params, session) => {
      const { details, route } = params as { details: UpdateDetails; route: RouteInstructionParams };
      if (ctx.router === undefined) throw new RouteError("this node does not route payments");
      return ctx.router.send(loggedIn(session), details, route);
    },
    "channel.acknowledge": async (params, session) => {
      const { ack } = params as { ack: Acknowledgement };
      const client = loggedIn(session);
      const update = (await ctx.channels.current(client)).pending?.update;
      if (ctx.router !== undefined) await ctx.router.acknowledge(client, ack);
      else await (await ctx.channels.sequencerOf(client)).acknowledge(ack);
      if (update !== undefined && update.state.nonce === ack.nonce)
        ctx.updated?.(update.details.type, update.proposer, client);
      return { nonce: ack.nonce };
    },
    "channel.sync": async (params, session) => {
      const { nonce } = params as { nonce: bigint };
      const sequencer = await ctx.channels.sequencerOf(loggedIn(session));
      const channel = await ctx.channels.current(loggedIn(session));
      const result: SyncResult = { updates: [], more: false };
      if (channel.latest !== undefined) result.latest = channel.latest;
      const pending = sequencer.pending;
      if (pending !== undefined) {
        result.pending = pending;
        const route = ctx.onwardOf?.(pending);
        if (route !== undefined) result.pendingRoute = route;
      }
      if (nonce <= channel.state.nonce) {
        const from = nonce === 0n ? 0n : nonce - 1n; // from the client's own latest on: the fork check
        const updates = await ctx.channels.store.history(channel.address, from);
        result.updates = updates.slice(0, SYNC_PAGE + 1);
        result.more = updates.length > SYNC_PAGE + 1;
      }
      return result;
    },
    "channel.restore": async (_params, session) => ctx.channels.restore(loggedIn(session)),
    "route.find": async (params, session) => network(ctx).find(loggedIn(session), params as RouteFindParams),
    "graph.announce": async (params, session) => {
      const { announcements } = params as { announcements: SignedAnnouncement[] };
      return { admitted: await network(ctx).announce(loggedIn(session), announcements) };
    },
    "graph.snapshot": async (_params, session) => {
      loggedIn(session);
      return network(ctx).snapshot();
    },
    "channel.requestCollateral": async (params, session) => {
      loggedIn(session);
      if (ctx.requestCollateral === undefined)
        throw new WireError("METHOD_NOT_FOUND", "this node runs without its chain services: no collateral");
      return ctx.requestCollateral(params, session);
    },
  };
}

function network(ctx: RpcContext): NonNullable<RpcContext["network"]> {
  if (ctx.network === undefined) throw new WireError("METHOD_NOT_FOUND", "this node peers with no other node");
  return ctx.network;
}

/** The methods a node serves only when it peers with other nodes (`peers` config). */
export const NETWORK_METHODS: ReadonlySet<MethodName> = new Set<MethodName>(["route.find", "graph.announce", "graph.snapshot"]);

/** The names of the methods served, in the order of the table. */
export const SERVED_METHODS = Object.keys(METHODS) as MethodName[];
