/**
 * The routing Node's base (src/routing/node.ts holds the payment flows): its peers (each a channel, a link and a
 * queue of exchanges run one at a time, `exclusive`), the payment table and how a payment's change is stored beside
 * the channel update that causes it (`unitFor`, `committed`, `save`), and the delivery of a proposal the node signed
 * and not yet completed before anything else is proposed to that peer (`flush`). After a store commit of unknown
 * outcome every exchange runs on the store's state (src/routing/doubts.ts).
 */
import type { Acknowledgement, Channel, Proposal } from "../channel/channel.js";
import { checksum } from "../protocol/address.js";
import { RouteError } from "../protocol/errors.js";
import { DEFAULT_SAFETY_MARGIN } from "../protocol/policies.js";
import type { UpdateDetails } from "../protocol/types.js";
import type { WriteUnit } from "../stores/store.js";
import type { NodeConfig, PeerLink, RouteInstruction } from "./config.js";
import { deliverProposal } from "./delivery.js";
import { StoreDoubts } from "./doubts.js";
import type { NodePeer } from "./intents.js";
import { committedVersion, mergePayments, onwardRoute, paymentUnit, type RoutedPayment } from "./payments.js";
import { routedLockHash, type RouteContext } from "./plan.js";

/** A counter-party of the node: its channel, link, exchange queue and pending intent (src/routing/intents.ts). */
export type Peer = NodePeer<RoutedPayment>;
/** The default of NodeConfig.finishedInMemory: the latest finished payments a node keeps in its table. */
export const FINISHED_IN_MEMORY = 10_000;
/** The final statuses of a routed payment. */
const FINISHED: readonly string[] = ["completed", "refunded"];
const systemClock = (): bigint => BigInt(Math.floor(Date.now() / 1000));

export abstract class NodeBase {
  readonly address: string;
  protected readonly hashlock: string;
  protected readonly margin: bigint;
  protected readonly peers = new Map<string, Peer>();
  /** The payment table (src/routing/payments.ts PaymentTable): by lock hash, downstream id → lock hash, stored versions. */
  readonly payments = new Map<string, RoutedPayment>();
  readonly byDownstream = new Map<string, string>();
  readonly versions = new Map<string, number>();
  /** Lock hashes this process is routing now (from `planRoute` to the end of `forward`): a tick leaves them alone. */
  protected readonly forwarding = new Set<string>();
  /** Finished payments still in the table, oldest first (`retire` drops the oldest beyond `finishedInMemory`). */
  private readonly finished = new Set<string>();
  protected readonly doubts: StoreDoubts; // a store commit of unknown outcome: the table read again (src/routing/doubts.ts)

  constructor(protected readonly config: NodeConfig) {
    this.doubts = new StoreDoubts(config.store, this, () => this.peers.values(), (planned) => planned && this.forwarding.delete(planned.lockHash));
    this.address = checksum(config.address);
    this.hashlock = checksum(config.hashlock);
    this.margin = config.safetyMargin ?? DEFAULT_SAFETY_MARGIN;
  }

  /** Adds the node's channel with `peer` and the way to reach it. */
  addPeer(peer: string, channel: Channel, link: PeerLink): void {
    const address = checksum(peer);
    const setup = channel.channelSetup;
    const node = checksum(channel.me === "alice" ? setup.alice : setup.bob);
    const other = checksum(channel.me === "alice" ? setup.bob : setup.alice);
    if (node !== this.address) throw new RouteError(`channel ${channel.address} is not the node's (${node})`);
    if (other !== address) throw new RouteError(`channel ${channel.address} is with ${other}, not ${address}`);
    if (this.peers.has(address)) throw new RouteError(`the node already has a channel with ${address}`);
    if (!channel.checksDeposits) {
      throw new RouteError(`channel ${channel.address} has no deposit reader: the node would sign deposit claims it cannot check on chain`);
    }
    if (this.config.store !== undefined && channel.store !== this.config.store) {
      throw new RouteError(`channel ${channel.address} does not write to the node's store: a payment could not move with its update`);
    }
    this.peers.set(address, { address, channel, link, queue: Promise.resolve() });
  }

  /** The node's channel with `peer`. */
  channel(peer: string): Channel {
    return this.peer(peer).channel;
  }

  /** The payment locked with `lockHash` (a copy). */
  payment(lockHash: string): RoutedPayment | undefined {
    const p = this.payments.get(lockHash.toLowerCase());
    return p === undefined ? undefined : { ...p };
  }

  /** Whether the node waits for `peer`'s acknowledgement of its intent at `nonce` (it signed it here). */
  awaits = (peer: string, nonce: bigint): boolean => this.peers.get(checksum(peer))?.intent?.nonce === nonce;

  /** Cluster mode: re-reads `peer`'s channel and the open payments that cross it (another process may have moved them). */
  async refresh(address: string): Promise<void> {
    const peer = this.peer(address);
    const c = this.config.cluster; // the channel and its payments, read at once (both after the lock's last holders)
    const [, records] = await Promise.all([peer.channel.reload(), c?.payments(peer.address)]);
    // Then an intent answered (or replaced) in another process waits here no more.
    if (peer.intent !== undefined && peer.channel.pending?.update.state.nonce !== peer.intent.nonce) peer.intent = peer.intent.settle();
    if (c === undefined || records === undefined) return; // below: a payment's other hop may be open in another process only
    await c.peers(records.flatMap((r) => [r.upstreamPeer, r.downstreamPeer ?? r.upstreamPeer]).filter((a) => !this.hasPeer(a)));
    mergePayments(this, records);
  }

  /** Whether the node has a channel with `address` now (a node peer it dials is added once connected). */
  hasPeer = (address: string): boolean => this.peers.has(checksum(address));

  /**
   * Rebuilds the payment table from the node's store (after a restart, before `receive` or `tick`): the open
   * payments and the latest `finishedInMemory` finished ones, read as such (not the whole history: older finished
   * payments stay in the store, where `refuseRetired` finds their lock hashes). Returns how many it loaded.
   */
  async loadPayments(): Promise<number> {
    const store = this.config.store;
    if (store === undefined) throw new RouteError("the node has no store to load payments from");
    const records = await store.recentPayments({ finished: FINISHED, latest: this.config.finishedInMemory ?? FINISHED_IN_MEMORY });
    mergePayments(this, records); // RouteError for a record that is not a routed payment
    this.retire(records.filter((r) => FINISHED.includes(r.status)).map((r) => r.lockHash)); // oldest first, as they finished
    return records.length;
  }

  /** The unit that stores `next` (the payment's new state) beside a channel update, or undefined without a store. */
  protected unitFor(next: RoutedPayment, extra: WriteUnit = {}): WriteUnit | undefined {
    if (this.config.store === undefined) return undefined; // the in-memory table: learnResolution stores the preimage
    return paymentUnit(next, this.versions.get(next.lockHash) ?? 0, extra);
  }

  /** Takes `next` as the payment's state once the unit that stored it committed. */
  protected committed(p: RoutedPayment, next: RoutedPayment): void {
    Object.assign(p, next);
    if (next.error === undefined) delete p.error;
    this.config.changed?.(p);
    if (this.config.store === undefined) return;
    this.versions.set(p.lockHash, committedVersion(this, next)); // not +1: a merge may have taken it
    if (p.status === "completed" || p.status === "refunded") this.retire([p.lockHash]);
  }

  /**
   * Whether `lockHash` is in the node's table (open, or among the latest finished). A payment dropped from it
   * (`retire`) is known to the store only: `routed` asks it too.
   */
  known(lockHash: string): boolean {
    return this.payments.has(lockHash);
  }

  /**
   * Whether `lockHash` is routed by this node: in its table (no store read), else in its store (`hasPayment`: no
   * wait for the group commit in progress; its true for a unit that then rolls back only leaves a lock to expire).
   */
  async routed(lockHash: string): Promise<boolean> {
    const key = lockHash.toLowerCase();
    if (this.payments.has(key)) return true;
    return this.config.store !== undefined && (await this.config.store.hasPayment(key));
  }

  /**
   * Refuses (RouteError, before the node signs anything) a payer's lock whose hash the node routed already and
   * keeps in its store only (finished and dropped from the table); a lock hash in the table is refused by
   * `planRoute`, synchronously. Called right before `planRoute`, which checks the table again. `hasPayment`, not
   * `payment`: on SQLite the latter waited for the group commit in progress (its WAL's fsync) on every new payment's
   * path; a retired payment is durable long before, and a true for a row not yet durable only refuses a lock.
   */
  protected async refuseRetired(details: UpdateDetails | undefined): Promise<void> {
    const lockHash = routedLockHash(details, this.hashlock);
    if (lockHash === undefined || this.payments.has(lockHash) || this.config.store === undefined) return;
    if (await this.config.store.hasPayment(lockHash)) throw new RouteError(`lock ${lockHash} is already routed`);
  }

  /**
   * Notes `lockHashes` as finished, then drops the oldest finished payments beyond `finishedInMemory` from the
   * table: they are final in the store and nothing moves them again. Nothing of them stays in memory (a set of
   * their lock hashes grew by some 100 bytes a payment for good): a payer's later lock with one is refused before
   * the node signs it by a read of the store (`refuseRetired`). Only with a store.
   */
  protected retire(lockHashes: Iterable<string>): void {
    for (const h of lockHashes) this.finished.add(h);
    const keep = this.config.finishedInMemory ?? FINISHED_IN_MEMORY;
    for (const h of this.finished) {
      if (this.finished.size <= keep) break;
      this.finished.delete(h);
      const p = this.payments.get(h);
      if (p === undefined || (p.status !== "completed" && p.status !== "refunded")) continue;
      this.payments.delete(h);
      this.versions.delete(h);
      if (p.downstream !== undefined && this.byDownstream.get(p.downstream.transferId) === h) this.byDownstream.delete(p.downstream.transferId);
    }
  }

  /** Stores a change of a payment that comes with no channel update. */
  protected async save(p: RoutedPayment, next: RoutedPayment): Promise<void> {
    const unit = this.unitFor(next);
    if (unit !== undefined && this.config.store !== undefined) await this.config.store.write(unit);
    this.committed(p, next);
  }

  /** Delivers a proposal the node signed and not yet completed, if any (before anything else is proposed). */
  protected async flush(peer: Peer): Promise<void> {
    if (peer.intent !== undefined) await peer.intent.wait(peer.address, this.config.peerTimeoutMs ?? 10_000);
    const pending = peer.channel.pending;
    if (pending === undefined) return;
    if (pending.update.proposer === peer.channel.me) return this.deliver(peer, pending, undefined, this.onwardOf(pending));
    // The peer's own intent, answered now: its ack does what acknowledge does (never a bare update: the node paid twice).
    const ack = await deliverProposal(peer, pending, this.config.peerTimeoutMs ?? 10_000);
    void (await this.acknowledge(peer.address, ack)).effects.catch(() => undefined);
  }

  /** The onward route of a forwarded lock `proposal` creates (re-delivered with it), if it crosses nodes. */
  onwardOf = (proposal: Proposal): RouteInstruction | undefined => onwardRoute(this, proposal);

  protected async deliver(peer: Peer, proposal: Proposal, also?: WriteUnit, route?: RouteInstruction): Promise<void> {
    await peer.channel.complete(await deliverProposal(peer, proposal, this.config.peerTimeoutMs ?? 10_000, route), also);
  }

  /** Runs `task` alone on `peer`'s channel (no other exchange with that peer meanwhile). */
  protected exclusive<T>(peer: Peer, task: (peer: Peer) => Promise<T>, linger?: (result: T) => Promise<void>): Promise<T> {
    const c = this.config.cluster;
    const run = peer.queue.then(() => this.doubts.after(c === undefined ? () => task(peer) : () => c.hold(peer.channel.address, async () => (await this.refresh(peer.address), task(peer)), linger), peer.channel));
    peer.queue = run.catch(() => undefined);
    return run;
  }

  protected peer(address: string): Peer {
    const peer = this.peers.get(checksum(address));
    if (peer === undefined) throw new RouteError(`the node has no channel with ${address}`);
    return peer;
  }

  protected routeContext(): RouteContext {
    return { address: this.address, hashlock: this.hashlock, margin: this.margin, now: this.now(), routed: (h) => this.known(h), fee: this.config.fee, isNode: this.config.isNode };
  }

  protected now = (): bigint => (this.config.clock ?? systemClock)();

  /** A peer's acknowledgement of the node's intent or proposal (src/routing/node.ts): `flush` completes one with it. */
  abstract acknowledge(from: string, ack: Acknowledgement): Promise<{ effects: Promise<void> }>;
}
