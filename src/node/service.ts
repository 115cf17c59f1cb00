/**
 * The Switchyard node service: one node:http server (127.0.0.1 by default) with the HTTP routes
 *   GET /health   200 while the process serves;
 *   GET /ready    200 when the node accepts clients (not draining, chain answering), else 503 with reasons;
 *   GET /v1/info  the node's public description (NodeInfo, SDK JSON encoding);
 *   GET /metrics  Prometheus text (prom-client);
 * and the WebSocket endpoint `/v1` (ws) carrying JSON-RPC 2.0 (src/node/connection.ts). `drain()` stops
 * accepting, tells every client (node.draining), answers the exchanges in flight, then closes every socket.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

import { WebSocketServer, type WebSocket } from "ws";

import { checksum } from "../protocol/address.js";
import { hashlockPolicy, signedTransferPolicy } from "../protocol/policies.js";
import type { ResolverPolicy } from "../protocol/types.js";
import { notification } from "../wire/envelope.js";
import { loginDomain } from "../wire/login.js";
import { NOTIFICATIONS, WIRE_VERSION, type NodeInfo } from "../wire/methods.js";
import type { Acknowledgement, Proposal } from "../channel/channel.js";
import type { SwitchyardStore } from "../stores/store.js";
import { NodeChannels } from "./channels.js";
import { CLOSE_CODES, ClientConnection } from "./connection.js";
import { createMetrics, type NodeMetrics } from "./metrics.js";
import type { NodeServiceOptions } from "./options.js";
import { createHandlers, type RouteInstructionParams, type Session } from "./rpc.js";
import type { UpdateDetails } from "../protocol/types.js";
import { openNodeStore, timedStore } from "./store.js";
import type { ChainServices } from "./chainServices.js";
import type { ProposeToPeer } from "./collateral.js";
import { requestCollateralHandler } from "./collateralRpc.js";
import { WireError } from "../wire/codes.js";
import { closeSocket, required, send } from "./http.js";
import { untilAnswered } from "./drain.js";
import { describeNode } from "./info.js";
import { NodeRouter } from "./payments.js";
import { createPeering, type Peering } from "./peers/peering.js";
import { forwardingFee, peerRoles } from "./peers/roles.js";
import type { RouteInstruction } from "../routing/node.js";
import { ClusterPayments } from "./cluster/routing.js";

export const WS_PATH = `/${WIRE_VERSION}`;
const INFO_PATH = `/${WIRE_VERSION}/info`;

export class NodeService {
  readonly metrics: NodeMetrics;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly connections = new Map<WebSocket, ClientConnection>();
  private readonly resolvers: ResolverPolicy[];
  private readonly channels: NodeChannels;
  private readonly store: SwitchyardStore;
  /** Routing between the clients (when the deployment has a hashlock resolver and routing is on). */
  readonly router: NodeRouter | undefined;
  private readonly handlers: ReturnType<typeof createHandlers>;
  /** Logged-in connections by client address (pushes go to each). */
  private readonly sessions = new Map<string, Set<Session>>();
  private readonly clock: () => number;
  private nextConnection = 0;
  private draining = false;
  private drained: Promise<void> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly attached: Array<{ stop(): Promise<void> }> = [];
  private chain: ChainServices | undefined;
  /** The peer nodes (dialed and listened for) and the gossip, when the config names peers (src/node/peers/). */
  readonly peering: Peering | undefined;

  private constructor(
    private readonly options: NodeServiceOptions,
    store: SwitchyardStore,
  ) {
    this.clock = options.clock ?? Date.now;
    this.metrics = createMetrics(() => store.stats());
    const commits = this.metrics.storeCommitSeconds.labels({ store: options.store.kind });
    this.store = timedStore(store, (seconds) => commits.observe(seconds));
    const addresses = options.deployment.addresses;
    this.resolvers = [];
    if (addresses.HashlockResolver !== undefined) this.resolvers.push(hashlockPolicy(addresses.HashlockResolver));
    if (addresses.SignedTransferResolver !== undefined) {
      this.resolvers.push(signedTransferPolicy(addresses.SignedTransferResolver, options.chainId));
    }
    this.channels = new NodeChannels({
      chainId: options.chainId,
      wallet: options.wallet,
      factory: required(addresses.ChannelFactory, "ChannelFactory"),
      mastercopy: required(addresses.ChannelMastercopy, "ChannelMastercopy"),
      limits: options.deployment.limits,
      resolvers: this.resolvers,
      timeout: options.channelTimeout,
      store: this.store,
      storeKind: options.store.kind,
      ...(options.signer !== undefined ? { signer: options.signer } : {}),
      ...(options.chain !== undefined ? { chain: options.chain } : {}),
      // The channels check lock expiries on the routing clock (the chain's time): a payee's claim the routing
      // already counts as expired (and refunds upstream) must be refused, never signed on another clock.
      ...(options.routingClock !== undefined ? { clock: options.routingClock } : {}),
      push: (client, proposal) => this.pushUpdate(client, proposal, this.router?.node.onwardOf(proposal)),
      ...(options.intentWaitMs !== undefined ? { intentWaitMs: options.intentWaitMs } : {}),
      ...(options.cluster !== undefined ? { cluster: options.cluster.locks } : {}),
    });
    const cluster = options.cluster;
    const { isNode, dialed } = peerRoles(options.wallet.address, options.peers ?? []);
    this.router =
      addresses.HashlockResolver !== undefined && options.routing !== false
        ? new NodeRouter({
            address: options.wallet.address,
            hashlock: addresses.HashlockResolver,
            store: this.store,
            channels: this.channels,
            push: (client, proposal, route) => this.pushUpdate(client, proposal, route),
            fee: (asset, amountOut) => forwardingFee(options.fees, asset, amountOut),
            ...{ isNode, dialed, online: (client) => this.online(client) },
            reroute: (p, failure) => this.peering?.reroute(p, failure) ?? { exhausted: "this node has no peering" },
            notify: (client, method, params) => this.notify(client, method, params),
            settled: (status, asset) => (status === "completed" ? this.metrics.paymentsRouted.inc({ asset }) : this.metrics.paymentsFailed.inc({ asset, reason: status })),
            admission: { max: options.wire.maxPaymentsInFlight, refused: () => this.metrics.paymentsRefused.inc({ reason: "overloaded" }) },
            logger: options.logger,
            ...(options.routingTickMs !== undefined ? { tickMs: options.routingTickMs } : {}),
            ...(options.routingClock !== undefined ? { clock: options.routingClock } : {}),
            ...(options.peerTimeoutMs !== undefined ? { peerTimeoutMs: options.peerTimeoutMs } : {}),
            ...(options.locks !== undefined ? { locks: options.locks } : {}),
            collateral: () => this.chain?.collateral,
            mustDispute: (peers) => this.disputeWhereNeeded(peers),
            ...(cluster !== undefined
              ? { cluster: { cluster, payments: new ClusterPayments(cluster.locks, cluster.pool, cluster.schema, () => cluster.presence.aloneSince()) } }
              : {}),
          })
        : undefined;
    const [router, resolvers, channels] = [this.router, this.resolvers, this.channels];
    this.peering = (options.peers ?? []).length === 0 || router === undefined ? undefined : createPeering({
      ...{ options, router, store: this.store, resolvers, channels, isNode, services: () => this.chain },
      ...{ proposerOf: (client) => this.proposerOf(client), online: (client) => this.online(client), notify: (client, method, params) => this.notify(client, method, params) },
    }); // prettier-ignore
    this.handlers = createHandlers({
      info: () => this.info(),
      channels: this.channels,
      loggedIn: (session, address) => this.loggedIn(session, address),
      updated: (type, proposer, client) => {
        this.metrics.updates.inc({ type, proposer });
        this.observeCollateral(client);
      },
      requestCollateral: async (params, session) => {
        const chain = this.chain;
        if (chain === undefined)
          throw new WireError("METHOD_NOT_FOUND", "this node runs without its chain services: no collateral");
        return requestCollateralHandler({
          collateral: chain.collateral,
          channelOf: (client) => this.channels.channelOf(client),
          proposerOf: (client) => this.proposerOf(client),
        })(params, session);
      },
      ...(this.router !== undefined ? { router: this.router } : {}),
      onwardOf: (proposal) => this.router?.node.onwardOf(proposal),
      ...(this.peering !== undefined ? { network: this.peering.network } : {}),
    });
    cluster?.serve({
      push: (client, method, params) => this.notifyHere(client, method, params),
      ack: async (client, ack) => this.router?.takeAck(client, ack as Acknowledgement) ?? false,
      call: (name, args) => {
        const { details, route } = args as { details: UpdateDetails; route: RouteInstructionParams };
        return name === "collateral" ? this.router?.collateralFor(details, route) : undefined;
      },
    });
    this.http = createServer((req, res) => void this.route(req, res));
    this.http.headersTimeout = 10_000;
    this.http.requestTimeout = 30_000;
    this.wss = new WebSocketServer({
      noServer: true,
      // Messages above the limit are answered PAYLOAD_TOO_LARGE; far above it, ws closes the socket (1009).
      maxPayload: Math.max(4 * options.wire.maxMessageBytes, 1024),
      perMessageDeflate: false,
    });
    this.http.on("upgrade", (req, socket, head) => this.upgrade(req, socket as Socket, head));
    this.wss.on("connection", (socket: WebSocket, req: IncomingMessage) => this.accept(socket, req.socket));
  }

  /** Starts listening; resolves once the port is bound. */
  static async start(options: NodeServiceOptions): Promise<NodeService> {
    const store = options.openedStore ?? (await openNodeStore(options.store));
    let service: NodeService;
    try {
      service = new NodeService(options, store);
      const channels = await service.channels.load();
      await service.peering?.manager.start();
      const payments = service.router !== undefined ? await service.router.start() : 0;
      options.logger.info(
        { store: options.store.kind, channels, payments },
        "store opened, channels and payments reloaded",
      );
    } catch (error) {
      await store.close().catch(() => undefined);
      throw error;
    }
    try {
      await service.listen();
    } catch (error) {
      await store.close().catch(() => undefined);
      throw error;
    }
    return service;
  }

  private async listen(): Promise<void> {
    const service = this as NodeService;
    const options = this.options;
    await new Promise<void>((resolve, reject) => {
      service.http.once("error", reject);
      service.http.listen({ host: options.host, port: options.port }, () => {
        service.http.off("error", reject);
        resolve();
      });
    });
    service.heartbeat = setInterval(() => service.ping(), 30_000);
    service.heartbeat.unref();
    const { address, port } = service.address;
    options.logger.info(
      { host: address, port, node: options.wallet.address, chainId: options.chainId.toString() },
      "node listening",
    );
  }

  /** The node's channels (for embedding and the routing service). */
  get nodeChannels(): NodeChannels {
    return this.channels;
  }

  /** Registers a logged-in connection for pushes and re-delivers the channel's unanswered proposal to it. */
  private loggedIn(session: Session, address: string): void {
    this.peering?.manager.loggedIn(address);
    let set = this.sessions.get(address);
    if (set === undefined) this.sessions.set(address, (set = new Set()));
    set.add(session);
    this.options.cluster?.presence.note(address, "add");
    void this.channels.current(address).then(
      (channel) => {
        const pending = channel.pending;
        if (pending === undefined) return;
        const route = this.router?.node.onwardOf(pending);
        session.push(
          notification(NOTIFICATIONS.update, { proposal: pending, ...(route !== undefined ? { route } : {}) }),
        );
      },
      (error: unknown) => this.options.logger.error({ err: error, address }, "cannot open the channel at login"),
    );
  }

  /** Pushes a node proposal to every connection the client is logged in on (none: re-delivered at its login). */
  private pushUpdate(client: string, proposal: Proposal, route?: RouteInstruction): void {
    this.notify(client, NOTIFICATIONS.update, { proposal, ...(route !== undefined ? { route } : {}) });
  }

  /** Pushes a notification to every connection of `client` (in a cluster: on every process holding one). */
  notify(client: string, method: string, params: unknown): void {
    this.notifyHere(client, method, params);
    this.options.cluster?.relay(client, method, params);
  }

  private notifyHere(client: string, method: string, params: unknown): void {
    const message = notification(method, params);
    for (const session of this.sessions.get(client) ?? []) session.push(message);
  }

  get address(): AddressInfo {
    return this.http.address() as AddressInfo;
  }

  /** The node's public description (GET /v1/info, `node.info`). */
  info(): NodeInfo {
    return describeNode(this.options, this.resolvers, this.peering !== undefined);
  }

  /** The node's store as the service writes to it (each commit timed): the chain services use it too. */
  get nodeStore(): SwitchyardStore {
    return this.store;
  }

  /** The chain services, once attached. */
  get chainServices(): ChainServices | undefined {
    return this.chain;
  }

  /**
   * Joins the node's chain services (src/node/chainServices.ts): `channel.requestCollateral` is served with their
   * collateral manager, routed payments get just-in-time collateral, Node.tick's `mustDispute` goes to their
   * watchers, and every channel's co-signed node withdraws not yet executed are sent (in the background: a
   * withdraw signed is always sent). The drain stops them after the sockets close.
   */
  attachChainServices(chain: ChainServices): void {
    this.chain = chain;
    this.attach(chain);
    for (const client of this.channels.clients()) {
      this.observeCollateral(client);
      void this.channels
        .channelOf(client)
        .then((channel) => chain.collateral.resumeWithdrawals(channel))
        .then(
          (sent) => {
            if (sent.length > 0) this.options.logger.info({ client, withdrawals: sent.length }, "withdrawals resumed");
          },
          (error: unknown) => this.options.logger.error({ err: error, client }, "cannot resume the withdrawals"),
        );
    }
  }

  /**
   * Pays `client` `amount` of `asset` from the node's balance in their channel: one plain transfer update the node
   * proposes and the client co-signs (a refund of an overpayment, an off-chain payout). Resolves once co-signed.
   */
  async payClient(client: string, asset: string, amount: bigint): Promise<void> {
    await this.proposerOf(checksum(client))({ type: "plain", asset: checksum(asset), amount });
  }

  /** Whether `client` has a socket open now. */
  private online(client: string): boolean {
    return (this.sessions.get(client)?.size ?? 0) > 0;
  }

  /** How the node puts its own update to `client` and waits until it is co-signed (routing: in the Node's queue). */
  private proposerOf(client: string): ProposeToPeer {
    if (this.router !== undefined) return this.router.proposer(client);
    return async (details) => {
      const sequencer = await this.channels.sequencerOf(client);
      await sequencer.propose(details);
      await sequencer.settled();
    };
  }

  /** Updates the collateral gauge with the node's balances in `client`'s channel. */
  private observeCollateral(client: string): void {
    const chain = this.chain;
    if (chain === undefined) return;
    void this.channels.channelOf(client).then(
      (channel) => chain.collateral.observe(channel),
      () => undefined,
    );
  }

  /** Opens an on-chain dispute of each peer's channel not yet disputed (Node.tick's `mustDispute`). */
  private async disputeWhereNeeded(peers: readonly string[]): Promise<void> {
    const chain = this.chain;
    if (chain === undefined) {
      this.options.logger.error({ peers }, "channels to dispute, but the node runs without its chain services");
      return;
    }
    const channelOf = (
      peer: string,
    ): string =>  // a node this node dials is alice: its channel is not addressOf's
      this.router?.node.hasPeer(peer) === true ? this.router.node.channel(peer).address : this.channels.addressOf(peer);
    const sent = await chain.watchers.disputeWhereNeeded(peers.map(channelOf));
    if (sent.length > 0) this.options.logger.warn({ peers, sent }, "disputes opened to claim upstream on chain");
  }

  /** Registers a part of the node (its chain services) that the drain stops after the sockets are closed. */
  attach(part: { stop(): Promise<void> }): void {
    this.attached.push(part);
  }

  /**
   * Stops accepting connections and requests, pushes `node.draining` to every client, waits for the exchanges
   * in flight (at most `drainTimeoutMs`), closes every socket (1001) and the server. Idempotent.
   */
  drain(): Promise<void> {
    this.drained ??= this.doDrain();
    return this.drained;
  }

  private async doDrain(): Promise<void> {
    const log = this.options.logger;
    this.draining = true;
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    const closedServer = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeIdleConnections();
    const clients = [...this.connections.values()];
    log.info({ clients: clients.length }, "draining");
    for (const c of clients) c.push(notification(NOTIFICATIONS.draining, { reason: "shutdown" }));
    let timer: NodeJS.Timeout | undefined;
    let outcome: "settled" | "timeout" | undefined; // set: the wait for answers below stops
    const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), this.options.wire.drainTimeoutMs)));
    // No new top-up of a peer channel starts, and the one in flight finishes; then the exchanges in flight, and the
    // node's pushed proposals to clients still connected, are answered (their acks are taken: src/node/drain.ts).
    const settled = async (): Promise<"settled"> => {
      await this.peering?.manager.pauseFunding();
      await Promise.all(clients.map((c) => c.settled()));
      const online = [...this.sessions].filter(([, set]) => set.size > 0).map(([client]) => client);
      const opened = await Promise.all(online.map(async (client) => (await this.channels.opened(client))?.channel));
      await untilAnswered(opened.filter((c) => c !== undefined), () => outcome !== undefined);
      return "settled";
    };
    outcome = await Promise.race([settled(), timeout]);
    clearTimeout(timer);
    if (outcome === "timeout") log.warn("drain timeout: closing sockets with exchanges still in flight");
    const sockets = [...this.connections.keys()];
    await Promise.all(sockets.map((socket) => closeSocket(socket, this.connections.get(socket))));
    this.metrics.disconnects.inc({ reason: "drain" }, sockets.length);
    this.http.closeAllConnections();
    await closedServer;
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await this.peering?.manager.stop();
    await this.router?.stop();
    for (const part of this.attached) await part.stop(); // e.g. the chain services (src/node/chainServices.ts)
    await this.store.close();
    await this.options.cluster?.stop();
    log.info("drained");
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const path = (req.url ?? "").split("?")[0];
    const refuse = (status: number, text: string): void => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (path !== WS_PATH) return refuse(404, "Not Found");
    if (this.draining) return refuse(503, "Service Unavailable");
    if (this.connections.size >= this.options.wire.maxConnections) return refuse(503, "Service Unavailable");
    this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit("connection", ws, req));
  }

  private accept(socket: WebSocket, transport: Socket): void {
    const id = `c${++this.nextConnection}`;
    const o = this.options;
    const connection = new ClientConnection({
      id, socket, transport,
      limits: o.wire,
      auth: {
        domain: loginDomain(o.name, o.chainId, o.wallet.address),
        ttlSeconds: o.wire.challengeTtlSeconds,
        maxOutstanding: o.wire.maxChallenges,
        ...(o.chain !== undefined ? { chain: o.chain } : {}),
        clock: this.clock,
      },
      handlers: this.handlers,
      metrics: this.metrics,
      logger: o.logger,
      draining: () => this.draining,
      clock: this.clock,
    });
    this.connections.set(socket, connection);
    this.metrics.connectedClients.inc();
    socket.on("pong", () => (connection.alive = true));
    socket.on("error", (error) => o.logger.debug({ connection: id, err: error }, "socket error"));
    socket.on("close", (code) => {
      this.connections.delete(socket);
      const address = connection.auth.address;
      if (address !== undefined && this.sessions.get(address)?.delete(connection) === true) o.cluster?.presence.note(address, "remove");
      connection.closed();
      this.metrics.connectedClients.dec();
      if (code === CLOSE_CODES.tooBig) this.metrics.disconnects.inc({ reason: "oversized" });
      o.logger.info({ connection: id, code }, "connection closed");
    });
    o.logger.info({ connection: id }, "connection opened");
  }

  /** Pings every socket; one that did not answer the last ping is terminated. */
  private ping(): void {
    for (const [socket, connection] of this.connections) {
      if (!connection.alive) {
        socket.terminate();
        continue;
      }
      connection.alive = false;
      socket.ping();
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "").split("?")[0];
    try {
      if (req.method !== "GET" && req.method !== "HEAD")
        return send(res, 405, { error: "method not allowed" }, { Allow: "GET, HEAD" });
      switch (path) {
        case "/health":
          return send(res, 200, { status: "ok" });
        case "/ready": {
          const reasons: string[] = [];
          if (this.draining) reasons.push("draining");
          if (this.options.chainReady !== undefined && !(await this.options.chainReady()))
            reasons.push("chain not answering with the configured chain id");
          return send(res, reasons.length === 0 ? 200 : 503, { ready: reasons.length === 0, reasons });
        }
        case INFO_PATH:
          return send(res, 200, this.info());
        case "/metrics": {
          const text = await this.metrics.registry.metrics();
          res.writeHead(200, { "Content-Type": this.metrics.registry.contentType, "Cache-Control": "no-store" });
          res.end(text);
          return;
        }
        default:
          return send(res, 404, { error: "not found" });
      }
    } catch (error) {
      this.options.logger.error({ err: error, path }, "http route failed");
      if (!res.headersSent) send(res, 500, { error: "internal error" });
      else res.destroy();
    }
  }
}
