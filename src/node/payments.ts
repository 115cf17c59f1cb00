/**
 * Routing as a service: the SDK's `Node` (src/routing/node.ts) runs between the clients connected to this node.
 * A payer's `payment.send` (a hashlock lock to the node with its route) is signed by the node first as the
 * payer's intent; once the payer acknowledges it, the node forwards the lock to the payee by pushing its own
 * proposal (`PeerLink` over the payee's socket); the payee's resolve intent with the preimage unlocks the
 * payment, and the node claims upstream by pushing its resolve to the payer. The payment table is in the node's
 * store (one transaction with the update that moves it) and reloaded at start; `Node.tick()` runs on a timer
 * (claims, refunds, re-deliveries), and the payer gets `payment.status` notifications of what its channel does not
 * show (notifyChanges).
 */
import type { Logger } from "pino";

import type { LockReader } from "../chain/settlements.js";

import type { Acknowledgement, Channel, Proposal } from "../channel/channel.js";
import { checksum } from "../protocol/address.js";
import { MalformedMessageError, RouteError, TimeoutError } from "../protocol/errors.js";
import { transferId as transferIdOf } from "../protocol/transfers.js";
import type { UpdateDetails } from "../protocol/types.js";
import { RouteExhaustedError } from "../routing/network/errors.js";
import { Node, type NodeConfig, type PeerLink, type RouteInstruction, type RoutedPayment } from "../routing/node.js";
import { legsOf } from "../routing/retry.js";
import type { SwitchyardStore } from "../stores/store.js";
import { NOTIFICATIONS, type PaymentNoticeParams } from "../wire/methods.js";
import type { NodeChannels } from "./channels.js";
import type { CollateralManager, ProposeToPeer } from "./collateral.js";
import { ensureRouteCollateral } from "./collateralRpc.js";
import { SocketLink } from "./socketLink.js";
import type { PaymentRouter, RouteInstructionParams } from "./rpc.js";
import { collateralNeeded } from "./cluster/collateral.js";
import type { Cluster } from "./cluster/index.js";
import type { ClusterPayments } from "./cluster/routing.js";
import { mergePayments } from "../routing/payments.js";
import { Admission, DEFAULT_MAX_PAYMENTS_IN_FLIGHT } from "./admission.js";
import { WireError } from "../wire/codes.js";

export interface NodeRouterOptions {
  address: string;
  hashlock: string;
  store: SwitchyardStore;
  channels: NodeChannels;
  /** Pushes a node proposal to the client's sockets (a lock forwarded to another node with its onward route). */
  push(client: string, proposal: Proposal, route?: RouteInstruction): void;
  /** Pushes a notification to the client's sockets. */
  notify(client: string, method: string, params: unknown): void;
  /** A payment ended: "completed" (routed) or "refunded" (metrics). */
  settled?(status: "completed" | "refunded", asset: string): void;
  logger: Logger;
  /** Milliseconds between two runs of Node.tick() (default 2000). */
  tickMs?: number;
  /** Milliseconds the node waits for a client's acknowledgement (default 5000). */
  peerTimeoutMs?: number;
  safetyMargin?: bigint;
  clock?: () => bigint;
  /**
   * The node's collateral manager once its chain services run: a payment whose payee's channel lacks the node's
   * balance gets a just-in-time deposit (src/node/collateralRpc.ts ensureRouteCollateral) before the node signs
   * the payer's lock. Undefined: no just-in-time collateral (the payment is refused for want of balance).
   */
  collateral?: () => CollateralManager | undefined;
  /** Reads a downstream lock on chain (Node's `locks`): without it a forwarded payment is never refunded upstream. */
  locks?: LockReader;
  /** Node.tick's `mustDispute` (peers whose channel the node must dispute on chain): the watchers open them. */
  mustDispute?: (peers: readonly string[]) => Promise<void>;
  /** The node's fee for forwarding `amountOut` of `asset` across nodes (its `fees` config). */
  fee?: (asset: string, amountOut: bigint) => bigint;
  /** The other nodes this node peers with (src/node/peers/). */
  isNode?: (address: string) => boolean;
  /**
   * The node peers this node dials (it is bob in their channel): never opened as the node's own (alice) channel;
   * `addNodePeer` adds each once its session is open.
   */
  dialed?: (address: string) => boolean;
  /** Whether `client` has a socket open now: the node signs no forwarded lock for a peer node that has none. */
  online?: (client: string) => boolean;
  /** The payer's node's retry of a payment across nodes (src/node/peers/retry.ts; Node's `reroute`). */
  reroute?: NodeConfig["reroute"];
  /**
   * Several node processes on one database (src/node/cluster/): the Node's exchanges run under channel locks,
   * acknowledgements another process waits for are relayed to it, and only the leader ticks.
   */
  cluster?: { cluster: Cluster; payments: ClusterPayments };
  /**
   * Admission control (src/node/admission.ts): at most `max` payments in flight (default
   * DEFAULT_MAX_PAYMENTS_IN_FLIGHT; 0: no bound), the next refused with OVERLOADED before the node signs; `refused`
   * counts each refusal (the metric).
   */
  admission?: { max?: number; refused?(): void };
}

export class NodeRouter implements PaymentRouter {
  readonly node: Node;
  private readonly links = new Map<string, SocketLink>();
  private readonly peers = new Map<string, Promise<void>>();
  /** Lock hash → the status last notified. */
  private readonly tracked = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  /** Forwards and claims started by acknowledgements (awaited by `stop`). */
  private readonly inFlight = new Set<Promise<void>>();
  /** Lock hashes of the payments whose state changed since the last notifyChanges (the Node's `changed`). */
  private readonly dirty = new Set<string>();
  /** The bound on payments in flight (admission control). */
  readonly admission: Admission;

  constructor(private readonly options: NodeRouterOptions) {
    this.node = new Node({
      address: options.address,
      hashlock: options.hashlock,
      store: options.store,
      peerTimeoutMs: options.peerTimeoutMs ?? 5_000,
      ...(options.safetyMargin !== undefined ? { safetyMargin: options.safetyMargin } : {}),
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
      ...(options.locks !== undefined ? { locks: options.locks } : {}),
      ...(options.fee !== undefined ? { fee: options.fee } : {}),
      ...(options.isNode !== undefined ? { isNode: options.isNode } : {}),
      ...(options.reroute !== undefined ? { reroute: options.reroute } : {}),
      ...(options.cluster !== undefined ? { cluster: options.cluster.payments } : {}),
      changed: (p) => this.changed(p),
    });
    const peerTimeoutMs = options.peerTimeoutMs ?? 5_000;
    this.admission = new Admission({
      max: options.admission?.max ?? DEFAULT_MAX_PAYMENTS_IN_FLIGHT,
      // An intent unanswered this long is given up by the node (its peer timeout) and by its payer's call.
      staleMs: 4 * peerTimeoutMs,
      ...(options.admission?.refused !== undefined ? { refused: options.admission.refused } : {}),
    });
    if (options.cluster !== undefined) {
      options.cluster.payments.openPeer = (peer) => this.peer(checksum(peer));
      options.cluster.payments.local = () => this.node.payments.values();
    }
  }

  /**
   * Adds the channel with a node this node dials (it is bob there; the other node sequences): `link` runs the
   * node's updates as intents over the session (src/node/peers/). Once per peer, with the channel the node keeps.
   */
  addNodePeer(address: string, channel: Channel, link: PeerLink): void {
    const key = checksum(address);
    if (this.node.hasPeer(key)) return;
    this.node.addPeer(key, channel, link);
    this.peers.set(key, Promise.resolve());
  }

  /**
   * A proposal pushed by a node this node dials (alice there): stored and acknowledged at once; the forward (along
   * `route`) or the claim it starts runs on, awaited by \`stop\`.
   */
  async fromNode(from: string, proposal: Proposal, route?: RouteInstruction): Promise<Acknowledgement> {
    const details = proposal.update.details;
    const lockHash = details.type === "create" && route !== undefined ? lockHashOf(details.transfer.data) : undefined;
    const admitted = (): void => {
      if (lockHash !== undefined) this.admission.admit(lockHash); // OVERLOADED: refused as a route (cancelled at once)
    };
    const { ack, effects } = await Promise.resolve()
      .then(admitted)
      .then(() => this.node.receiveFrom(from, proposal, route))
      .catch((error: unknown) => {
        if (lockHash !== undefined && this.node.payment(lockHash) === undefined) this.admission.release(lockHash, false);
        return this.refuseRoute(from, proposal, route, error);
      });
    if (lockHash !== undefined && this.node.payment(lockHash) !== undefined) this.tracked.set(lockHash, "signed");
    const done = effects.finally(() => {
      this.inFlight.delete(done);
      this.notifyChanges();
    });
    this.inFlight.add(done);
    this.notifyChanges();
    return ack;
  }

  /**
   * A lock pushed by a node with a route this node refuses (its hop breaks a rule: RouteError, TimeoutError, a
   * malformed route): leaving it unanswered would block the channel, so the node co-signs the lock to itself
   * without forwarding it (a proposal that is itself bad is still refused) and then cancels it (a resolve paying
   * it nothing): the upstream node refunds at once. Anything else is thrown (no acknowledgement).
   */
  private async refuseRoute(
    from: string,
    proposal: Proposal,
    route: RouteInstruction | undefined,
    error: unknown,
  ): Promise<{ ack: Acknowledgement; effects: Promise<void> }> {
    const details = proposal.update.details;
    const refused =
      error instanceof RouteError ||
      error instanceof TimeoutError ||
      error instanceof MalformedMessageError ||
      (error instanceof WireError && error.code === "OVERLOADED");
    if (route === undefined || !refused || details.type !== "create") throw error;
    const { ack } = await this.node.receiveFrom(from, proposal);
    const transferId = transferIdOf(details.transfer);
    this.options.logger.warn({ peer: from, transferId, err: error }, "route refused: the lock is cancelled");
    const cancel = { type: "resolve" as const, transferId, toResponder: 0n, resolverData: "0x" };
    return {
      ack,
      effects: this.node
        .update(from, cancel)
        .catch((e: unknown) => this.options.logger.error({ err: e, transferId }, "cannot cancel a refused lock")),
    };
  }

  /** Adds every channel opened so far as a peer, reloads the payment table, starts the tick timer. */
  async start(): Promise<number> {
    for (const client of this.options.channels.clients()) await this.peer(client);
    const n = await this.node.loadPayments();
    for (const body of [...this.node.payments.values()]) {
      // The table just loaded (open payments and the latest finished ones), not the store's whole history again.
      if (body.status !== "completed" && body.status !== "refunded") this.tracked.set(body.lockHash, body.status);
      // A node this node dials joins once its session is open (addNodePeer); until then tick() leaves it waiting.
      if (body.downstream !== undefined && this.options.dialed?.(body.downstream.peer) !== true)
        await this.peer(body.downstream.peer);
      if (this.options.dialed?.(body.upstream.peer) !== true) await this.peer(body.upstream.peer);
    }
    this.timer = setInterval(() => void this.tick(), this.options.tickMs ?? 2_000);
    this.timer.unref();
    return n;
  }

  /** Stops the timer and waits for a tick in progress. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.ticking;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  async send(payer: string, details: UpdateDetails, route: RouteInstructionParams): Promise<Proposal> {
    // Admission first: a refused payment costs the node no store read, no route check, no signature.
    const lockHash = details.type === "create" ? lockHashOf(details.transfer.data) : undefined;
    if (lockHash !== undefined) this.admission.admit(lockHash, checksum(payer)); // and the payer's share
    try {
      return await this.admitted(payer, details, route, lockHash);
    } catch (error) {
      // Nothing signed (or the payment is not in the table): the slot is free again.
      if (lockHash !== undefined && this.node.payment(lockHash) === undefined) this.admission.release(lockHash, false);
      throw error;
    }
  }

  private async admitted(
    payer: string,
    details: UpdateDetails,
    route: RouteInstructionParams,
    lockHash: string | undefined,
  ): Promise<Proposal> {
    await this.peer(payer);
    // Only a client the node already has a channel with (or a peer node) is a payee: a stranger's address gets no
    // channel created for it, and the route check refuses it (RouteError "the node has no channel with ...").
    // A peer node this node dials is a payee too (the next hop).
    const known =
      this.options.dialed?.(route.recipient) === true ||
      this.options.channels.opened(route.recipient) !== undefined || // a lookup, not a scan of every client
      // In a cluster the payee's channel may so far be open only in another process.
      (this.options.cluster !== undefined &&
        (await this.options.store.load(this.options.channels.addressOf(route.recipient))) !== undefined);
    if (known) await this.peer(route.recipient);
    const collateral = this.options.collateral?.();
    const cluster = this.options.cluster?.cluster;
    // Just in time as alice only: where the recipient node sequences the channel, the peer manager keeps it funded.
    if (this.node.channel(route.recipient).me === "alice" && (collateral !== undefined || cluster !== undefined)) {
      this.node.checkRoute(payer, details, route); // a route the node refuses moves no collateral
      if (collateral !== undefined) await ensureRouteCollateral(this.node, collateral, details, route, this.proposer(route.recipient));
      else if (await collateralNeeded(this.options.channels, details, route)) await cluster?.call("collateral", { details, route }); // a follower: the leader's chain work
    }
    const proposal = await this.node.intent(payer, details, route);
    if (lockHash !== undefined) this.tracked.set(lockHash, "signed");
    return proposal;
  }

  /**
   * Cluster mode, on the leader: just-in-time collateral for a payment a follower routes (`send` there), on the
   * payee's channel as the database holds it now.
   */
  async collateralFor(details: UpdateDetails, route: RouteInstructionParams): Promise<void> {
    const collateral = this.options.collateral?.();
    if (collateral === undefined) throw new RouteError("this node process runs no collateral manager (not the leader)");
    await this.peer(route.recipient);
    await this.options.channels.current(route.recipient);
    await ensureRouteCollateral(this.node, collateral, details, route, this.proposer(route.recipient));
  }

  /** How the node puts its own update (a collateral deposit or withdraw) to `client`: in the Node's queue of that peer. */
  proposer(client: string): ProposeToPeer {
    return async (details) => {
      await this.peer(client);
      await this.node.update(client, details);
    };
  }

  async intent(client: string, details: UpdateDetails): Promise<Proposal> {
    await this.peer(client);
    return this.node.intent(client, details);
  }

  async acknowledge(client: string, ack: Acknowledgement): Promise<void> {
    await this.peer(client);
    const cluster = this.options.cluster?.cluster;
    if (cluster === undefined) {
      const link = this.links.get(client);
      // Not taken by a delivery waiting for it (none, or it gave up meanwhile): the Node completes the channel.
      if (link?.waiting(ack.nonce) !== true || !(await link.offer(ack))) await this.acknowledgeHere(client, ack);
    } else if (!storedAlready(this.node.channel(client), ack) && !(await this.takeAck(client, ack))) {
      // Nobody here waits for it: under the channel's lock if it is free, else to the process holding the channel.
      // (One of the latest update, sent again, is answered at once: under the lock it could wait for this process's
      // delivery of the next proposal, which waits behind it in the client's queue: a 6 s pause after a failover.)
      const channel = this.options.channels.addressOf(client);
      await cluster.acknowledge(client, channel, ack, async () => {
        await this.node.refresh(client);
        // Taken meanwhile by the process that held the channel (its answer came after this one stopped waiting).
        if (!storedAlready(this.node.channel(client), ack)) await this.acknowledgeHere(client, ack);
      });
    }
    this.notifyChanges();
  }

  /**
   * Cluster mode: takes an acknowledgement this process waits for (its link delivering a proposal, or its intent
   * with the channel's lock still held here); false when it is another process's (or nobody's).
   */
  async takeAck(client: string, ack: Acknowledgement): Promise<boolean> {
    await this.peer(client);
    const link = this.links.get(client);
    if (link?.waiting(ack.nonce) === true && (await link.offer(ack))) return true;
    const held = this.options.cluster?.cluster.locks.holds(this.options.channels.addressOf(client)) === true;
    if (!held || !this.node.awaits(client, ack.nonce)) return false;
    await this.acknowledgeHere(client, ack);
    this.notifyChanges();
    return true;
  }

  private async acknowledgeHere(client: string, ack: Acknowledgement): Promise<void> {
    const { effects } = await this.node.acknowledge(client, ack);
    const done = effects.finally(() => {
      this.inFlight.delete(done);
      this.notifyChanges();
    });
    this.inFlight.add(done);
  }

  /** One run of Node.tick(): claims, refunds, re-deliveries; logs what it did and what must be disputed. */
  tick(): Promise<void> {
    const cluster = this.options.cluster;
    if (cluster !== undefined && !cluster.cluster.leader.isLeader) return Promise.resolve(); // the leader ticks
    this.ticking ??= (async () => {
      try {
        if (cluster !== undefined) {
          const records = await cluster.payments.open();
          await cluster.payments.peers(records.flatMap((r) => [r.upstreamPeer, r.downstreamPeer ?? r.upstreamPeer]));
          mergePayments(this.node, records);
        }
        const report = await this.node.tick();
        if (report.claimed.length + report.refunded.length + report.failed.length + report.mustDispute.length > 0) {
          this.options.logger.info({ ...report }, "routing tick");
        }
        if (report.mustDispute.length > 0) await this.options.mustDispute?.(report.mustDispute);
        // Intents never acknowledged (their payment never entered the table): their slot and tracking end here.
        for (const lockHash of this.admission.sweep((h) => this.node.payments.has(h))) this.tracked.delete(lockHash);
        this.notifyChanges(true); // and whatever moved without the Node's `changed` (a merge from the store)
      } catch (error) {
        this.options.logger.error({ err: error }, "routing tick failed");
      } finally {
        this.ticking = undefined;
      }
    })();
    return this.ticking;
  }

  /** Makes `client`'s channel a peer of the Node (once). */
  private peer(client: string): Promise<void> {
    if (this.options.dialed?.(client) === true) {
      if (this.node.hasPeer(client)) return Promise.resolve();
      return Promise.reject(new RouteError(`the node's channel with node ${client} is not open yet (dialing it)`));
    }
    let added = this.peers.get(client);
    if (added === undefined) {
      added = this.options.channels.channelOf(client).then((channel) => {
        const link = new SocketLink(client, channel, this.options);
        this.links.set(client, link);
        this.node.addPeer(client, channel, link);
      });
      this.peers.set(client, added);
      added.catch(() => this.peers.delete(client));
    }
    return added;
  }

  /**
   * Tells the payer of every payment whose status changed what its own channel cannot show it (docs/NODE.md
   * "Notifications pushed"): that its lock reached the payee ("forwarded"), that the payee claimed it ("unlocked"),
   * a cancel or refund, and the end of a payment across nodes or one with failed attempts. Nothing that repeats an
   * update the client co-signs: not "accepted" (the payer's own acknowledgement answered), not a local payment's
   * "completed" (the node's claim pushed just before), and nothing to the payee (the forwarded lock is pushed to it,
   * its claim is its own intent, a refund is the node's resolve pushed to it).
   */
  private notifyChanges(all = this.options.cluster !== undefined): void {
    // Only the payments that changed (the Node's `changed`): a scan of every payment in flight here made each
    // payment's work grow with the backlog (2.8% of the node's CPU at overload, reports/load.md). In a cluster,
    // payments also move by merges from the store, which report no change: every tracked one is looked at.
    const table: ReadonlyMap<string, Readonly<RoutedPayment>> = this.node.payments;
    const lockHashes = all ? [...this.tracked.keys()] : [...this.dirty];
    this.dirty.clear();
    for (const lockHash of lockHashes) {
      const last = this.tracked.get(lockHash);
      if (last === undefined) continue;
      const p = table.get(lockHash); // read in place, not through Node.payment (a copy); keys are lower-case lock hashes
      if (p === undefined || p.status === last) continue;
      this.tracked.set(lockHash, p.status);
      const outcome = payerOutcome(p);
      if (this.payerLearns(p, outcome)) {
        this.options.notify(p.upstream.peer, NOTIFICATIONS.payment, {
          lockHash,
          status: p.status,
          role: "payer",
          transferId: p.upstream.transferId,
          amount: p.upstream.transfer.amount,
          ...outcome,
        });
      }
      if (p.status === "completed" || p.status === "refunded") {
        this.admission.release(lockHash, true); // ended by a merge from the store (no `changed`): freed here
        this.tracked.delete(lockHash);
        this.options.settled?.(p.status, p.upstream.transfer.asset);
      }
    }
  }

  /** The Node took a new state of `p`: noted for notifyChanges; a payment that ended frees its admission slot. */
  private changed(p: RoutedPayment): void {
    this.dirty.add(p.lockHash);
    if (p.status === "completed" || p.status === "refunded") this.admission.release(p.lockHash, true);
  }

  /** Whether the payer's `payment.status` for `p`'s new status says anything its channel does not (notifyChanges). */
  private payerLearns(p: RoutedPayment, outcome: object): boolean {
    if (p.status === "accepted") return false;
    if (p.status !== "completed") return true;
    const down = p.downstream?.peer;
    return Object.keys(outcome).length > 0 || (down !== undefined && this.options.isNode?.(down) === true);
  }
}

/** The lock hash of hashlock terms (their first 32 bytes). */
function lockHashOf(data: string): string {
  return ("0x" + data.slice(2, 66)).toLowerCase();
}

/**
 * What a payer learns of its payment's route attempts across nodes at the end (docs/PROTOCOL.md §17.6): each failed
 * attempt (path, refusing peer, reason), the route that carried it, and, when it was refunded for want of another,
 * the RouteExhaustedError code and reason.
 */
function payerOutcome(p: RoutedPayment): Partial<Pick<PaymentNoticeParams, "attempts" | "route" | "code" | "reason">> {
  if (p.attempts === undefined || (p.status !== "completed" && p.status !== "refunded")) return {};
  const attempts = p.attempts.map((a) => ({ path: a.path, refusedBy: a.refusedBy, reason: a.reason.slice(0, 500) }));
  if (p.status === "completed") return { attempts, route: legsOf(p).map((l) => l.recipient) };
  const exhausted = new RouteExhaustedError(p.exhausted ?? "refunded", p.attempts);
  return { attempts, code: exhausted.code, reason: exhausted.message.slice(0, 1_000) };
}

/** Whether `ack` is the client's acknowledgement of `channel`'s latest co-signed update (stored: nothing to do). */
function storedAlready(channel: Channel, ack: Acknowledgement): boolean {
  const latest = channel.latest;
  return latest?.state.nonce === ack.nonce && latest.bobSignature === ack.signatures.state;
}
