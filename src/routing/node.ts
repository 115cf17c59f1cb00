/**
 * `Node`: the routing role. It holds one `Channel` per counter-party (its peers) and forwards a hashlock payment
 * Alice → Node → Bob as two transfers with the same lock hash and decreasing expiries (docs/PROTOCOL.md §12):
 *
 *   alice.propose(create up) ─► node.receive(alice, proposal, route) ─► node proposes create down ─► bob
 *   bob.propose(resolve down, preimage) ─► node.receive(bob, proposal) ─► node learns the preimage (durably)
 *                                            ─► node proposes resolve up (claims from alice with the preimage)
 *
 * Safety of the node, rule by rule:
 * - it forwards only if `E_up ≥ E_down + T_up + margin` (`checkRouteExpiries`, T_up = the upstream channel's
 *   timeout, already within the deployment's bounds), so a preimage revealed downstream at the last moment can
 *   still be claimed upstream on chain (dispute, consensus phase, transfer dispute, settle) before E_up; it
 *   records the preimage in the upstream channel's store before anything else, for its watcher;
 * - it forwards only if `E_down + margin ≤ now + T_up + window_up` (`checkUpstreamSettleWindow`): a payer who
 *   disputes at once and disputes the transfer at the end of that consensus phase cannot have it refunded
 *   (its settle window over) before the payee's preimage can reach the node;
 * - it cancels upstream (refunds the payer) only once the downstream can no longer be claimed: never forwarded,
 *   cancelled by the payee, or past its expiry (the hashlock refuses the preimage from then on, off and on chain)
 *   — the downstream hop is refunded first;
 * - one proposal at a time per channel: every exchange with a peer (receive, or propose → deliver → complete)
 *   runs under that peer's lock, and a proposal that was signed but not answered is delivered again before the
 *   next one (the channel never signs a second content at a nonce).
 *
 * With `NodeConfig.store` (a SwitchyardStore that every one of the node's channels writes to), the payment
 * table is durable: each change of a payment commits in the same store transaction as the channel update that
 * causes it (the upstream lock with "accepted", the downstream lock with "forwarded", the payee's resolve with
 * "unlocked" and the preimage, the upstream claim with "completed"...), and `loadPayments()` rebuilds the table
 * after a restart. Without it, the table lives in memory only (the channels and preimages are still stored).
 */
import { concat, hexlify, keccak256, randomBytes, toUtf8Bytes } from "ethers";

import type { Acknowledgement, Channel, Proposal } from "../channel/channel.js";
import { checksum } from "../protocol/address.js";
import { PeerError, RouteError, TimeoutError } from "../protocol/errors.js";
import { DEFAULT_SAFETY_MARGIN, checkRouteExpiries, checkUpstreamSettleWindow, hashlockTerms } from "../protocol/policies.js";
import { encodeHashlockTerms } from "../protocol/resolvers.js";
import { normalizeTransfer, transferId, type Transfer } from "../protocol/transfers.js";
import type { ResolveDetails } from "../protocol/types.js";
import type { PaymentRecord, SwitchyardStore, WriteUnit } from "../stores/store.js";
import { checkedRouteCall } from "./validate.js";

/** How the node reaches a peer: delivers the node's proposal and returns the peer's acknowledgement. */
export interface PeerLink {
  receive(proposal: Proposal): Promise<Acknowledgement>;
}

export interface NodeConfig {
  /** The node's address: its party in every one of its channels. */
  address: string;
  /** The hashlock resolver payments are routed through. */
  hashlock: string;
  /** Seconds of margin in the route and lifetime rules (default DEFAULT_SAFETY_MARGIN). */
  safetyMargin?: bigint;
  /** Unix time in seconds (default: the system clock). */
  clock?: () => bigint;
  /** Milliseconds the node waits for a peer's answer (default 10,000). */
  peerTimeoutMs?: number;
  /** The store of every channel of the node: makes the payment table durable (see the module comment). */
  store?: SwitchyardStore;
}

/** What a payer asks the node to do with its upstream lock. */
export interface RouteInstruction {
  /** The payee: the peer of the downstream channel. */
  recipient: string;
  /** The downstream lock's expiry (unix seconds). */
  expiry: bigint;
  /** What the payee gets (default: the upstream amount; less leaves the node a fee). */
  amount?: bigint;
}

export type PaymentStatus =
  /** Locked upstream; nothing signed downstream. */
  | "accepted"
  /** Locked on both hops. */
  | "forwarded"
  /** The preimage is known; the upstream claim is outstanding. */
  | "unlocked"
  /** Claimed upstream. */
  | "completed"
  /** The downstream can no longer be claimed; the upstream refund is outstanding. */
  | "cancelling"
  /** Refunded upstream. */
  | "refunded";

export interface Hop {
  peer: string;
  transferId: string;
  transfer: Transfer;
  expiry: bigint;
}

export interface RoutedPayment {
  lockHash: string;
  status: PaymentStatus;
  upstream: Hop;
  downstream?: Hop;
  /** The responder's evidence (abi.encode(preimage)) once known. */
  resolverData?: string;
  /** The last failure (a silent or refusing peer), if the last attempt failed. */
  error?: string;
}

export interface NodeTickReport {
  /** Lock hashes claimed upstream in this tick. */
  claimed: string[];
  /** Lock hashes refunded upstream in this tick. */
  refunded: string[];
  /** Peers whose channel the node must now dispute on chain to claim upstream before the lock expires. */
  mustDispute: string[];
  /** What failed (a silent peer), by lock hash. */
  failed: Array<{ lockHash: string; error: string }>;
}

interface Peer {
  address: string;
  channel: Channel;
  link: PeerLink;
  queue: Promise<unknown>;
}

const systemClock = (): bigint => BigInt(Math.floor(Date.now() / 1000));

export class Node {
  readonly address: string;
  private readonly hashlock: string;
  private readonly margin: bigint;
  private readonly peers = new Map<string, Peer>();
  private readonly payments = new Map<string, RoutedPayment>();
  /** Downstream transfer id → lock hash. */
  private readonly byDownstream = new Map<string, string>();
  /** The stored version of each payment (with a store). */
  private readonly versions = new Map<string, number>();

  constructor(private readonly config: NodeConfig) {
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

  /**
   * Receives a peer's proposal and returns the node's acknowledgement. With a `route`, the proposal must lock a
   * hashlock payment to the node, which it then forwards to `route.recipient`. A resolve of a downstream transfer
   * with the preimage makes the node claim the upstream transfer; a cancel makes it refund the upstream.
   * Forwarding and claiming failures do not fail the call (see `tick`); a bad route throws before anything is
   * signed.
   */
  async receive(from: string, proposal: Proposal, route?: RouteInstruction): Promise<Acknowledgement> {
    const peer = this.peer(from);
    ({ proposal, route } = checkedRouteCall(proposal, route, peer.channel.address)); // nothing unchecked is planned or signed
    const planned = route === undefined ? undefined : this.planRoute(peer, proposal, route);
    if (planned !== undefined) this.payments.set(planned.lockHash, planned); // reserves the lock
    const details = proposal.update?.details;
    const resolved = details?.type === "resolve" ? this.downstreamResolution(details) : undefined;
    const also = planned !== undefined ? this.unitFor(planned) : resolved !== undefined ? this.unitFor(resolved.next, resolved.extra) : undefined;
    let ack: Acknowledgement;
    try {
      ack = await this.exclusive(peer, () => peer.channel.receive(proposal, also));
    } catch (error) {
      if (planned !== undefined) this.payments.delete(planned.lockHash);
      throw error;
    }
    if (planned !== undefined) {
      this.committed(planned, planned);
      await this.forward(planned).catch((e: unknown) => noteError(planned, e)); // "accepted": tick() refunds
    }
    if (resolved !== undefined) await this.onDownstreamResolved(resolved.payment, resolved.next);
    return ack;
  }

  /** Rebuilds the payment table from the node's store (after a restart, before `receive` or `tick`). */
  async loadPayments(): Promise<number> {
    const store = this.config.store;
    if (store === undefined) throw new RouteError("the node has no store to load payments from");
    const records = await store.payments();
    for (const r of records) {
      const p = r.body as RoutedPayment;
      if (p?.lockHash !== r.lockHash || p.upstream === undefined) throw new RouteError(`stored payment ${r.lockHash} is not a routed payment`);
      this.payments.set(r.lockHash, p);
      this.versions.set(r.lockHash, r.version);
      if (p.downstream !== undefined && p.status !== "accepted") this.byDownstream.set(p.downstream.transferId, r.lockHash);
    }
    return records.length;
  }

  /**
   * Retries what is outstanding: claims upstream with known preimages, refunds upstream once the downstream
   * cannot be claimed any more, and reports the channels to dispute when a silent payer leaves the node only the
   * on-chain claim (from `E_up − T_up − margin` on, the last moment the route rule leaves for it).
   */
  async tick(): Promise<NodeTickReport> {
    const report: NodeTickReport = { claimed: [], refunded: [], mustDispute: [], failed: [] };
    const now = this.now();
    for (const p of this.payments.values()) {
      try {
        if (p.status === "forwarded" && p.downstream !== undefined && now >= p.downstream.expiry) {
          await this.save(p, { ...p, status: "cancelling" }); // the hashlock refuses the preimage from E_down on: the payee cannot claim
        }
        if (p.status === "accepted" || p.status === "cancelling") {
          await this.refundUpstream(p);
          report.refunded.push(p.lockHash);
        } else if (p.status === "unlocked") {
          await this.claimUpstream(p);
          report.claimed.push(p.lockHash);
        } else if (p.status === "forwarded" && p.downstream !== undefined) {
          await this.flush(this.peer(p.downstream.peer)); // a downstream lock signed but not yet answered
        }
      } catch (error) {
        report.failed.push({ lockHash: p.lockHash, error: error instanceof Error ? error.message : String(error) });
        const up = this.peer(p.upstream.peer).channel.channelSetup;
        if (p.status === "unlocked" && now >= p.upstream.expiry - up.timeout - this.margin) {
          if (!report.mustDispute.includes(p.upstream.peer)) report.mustDispute.push(p.upstream.peer);
        }
      }
    }
    return report;
  }

  // ───────────────────────────── routing ─────────────────────────────

  /** Checks a route before the node signs the upstream lock; returns the payment it opens. */
  private planRoute(peer: Peer, proposal: Proposal, route: RouteInstruction): RoutedPayment {
    const details = proposal.update?.details;
    if (details?.type !== "create") throw new RouteError("a routed payment must be a transfer creation");
    const t = normalizeTransfer(details.transfer);
    if (t.resolver !== this.hashlock)
      throw new RouteError(`the node routes hashlock transfers (${this.hashlock}) only`);
    if (t.initiator !== peer.address || t.responder !== this.address) {
      throw new RouteError("the upstream lock must go from the payer to the node");
    }
    const recipient = checksum(route.recipient);
    const down = this.peers.get(recipient);
    if (down === undefined) throw new RouteError(`the node has no channel with ${recipient}`);
    if (recipient === peer.address) throw new RouteError("a payment cannot be routed back to its payer");
    const { lockHash, expiry } = hashlockTerms(t.data);
    if (this.payments.has(lockHash)) throw new RouteError(`lock ${lockHash} is already routed`);
    const amount = route.amount ?? t.amount;
    if (amount <= 0n || amount > t.amount) {
      throw new RouteError(`the payee's amount ${amount} must be in (0, ${t.amount}] (the upstream amount)`);
    }
    checkRouteExpiries(expiry, route.expiry, peer.channel.channelSetup.timeout, this.margin);
    checkUpstreamSettleWindow(route.expiry, this.now(), peer.channel.channelSetup.timeout, t.timeout, this.margin);
    const downTimeout = down.channel.channelSetup.timeout;
    const earliest = this.now() + downTimeout + this.margin;
    if (route.expiry < earliest) {
      throw new TimeoutError(
        `downstream expiry ${route.expiry} is before ${earliest}: the payee could not claim it on chain`,
      );
    }
    const up: Hop = { peer: peer.address, transferId: transferId(t), transfer: t, expiry };
    const downstream = normalizeTransfer({
      channel: down.channel.address,
      resolver: this.hashlock,
      asset: t.asset,
      amount,
      initiator: this.address,
      responder: recipient,
      timeout: downTimeout,
      salt: keccak256(concat([up.transferId, toUtf8Bytes("switchyard.route")])),
      data: encodeHashlockTerms({ lockHash, expiry: route.expiry }),
    });
    return {
      lockHash,
      status: "accepted",
      upstream: up,
      downstream: { peer: recipient, transferId: transferId(downstream), transfer: downstream, expiry: route.expiry },
    };
  }

  /** Locks the payment downstream. Until the downstream proposal is signed the payment stays "accepted". */
  private async forward(p: RoutedPayment): Promise<void> {
    const hop = p.downstream as Hop;
    const peer = this.peer(hop.peer);
    await this.exclusive(peer, async () => {
      await this.flush(peer);
      const next: RoutedPayment = { ...p, status: "forwarded" };
      const proposal = await peer.channel.propose({ type: "create", transfer: hop.transfer }, this.unitFor(next));
      // Signed: from here the payee may hold a co-signed lock, so the upstream is refunded only after E_down.
      this.committed(p, next);
      this.byDownstream.set(hop.transferId, p.lockHash);
      await this.deliver(peer, proposal);
    });
  }

  /**
   * What the payee's resolve of a downstream transfer does to its payment (cancelling on a cancel; unlocked
   * with the preimage, which the upstream channel's record and the preimage table get in the same unit).
   */
  private downstreamResolution(details: ResolveDetails): { payment: RoutedPayment; next: RoutedPayment; extra?: WriteUnit } | undefined {
    const lockHash = this.byDownstream.get(details.transferId.toLowerCase());
    const p = lockHash === undefined ? undefined : this.payments.get(lockHash);
    if (p === undefined || (p.status !== "forwarded" && p.status !== "cancelling")) return undefined;
    if (details.resolverData === "0x") return { payment: p, next: { ...p, status: "cancelling" } };
    const resolverData = details.resolverData.toLowerCase();
    const next: RoutedPayment = { ...p, status: "unlocked", resolverData };
    const upstream = this.peer(p.upstream.peer).channel.address;
    const extra: WriteUnit = {
      channels: [{ op: "entry", channel: upstream, entry: { kind: "resolution", transferId: p.upstream.transferId, resolverData } }],
      preimages: [{ lockHash: p.lockHash, resolverData, source: "peer", learnedAt: Date.now() }],
    };
    return { payment: p, next, extra };
  }

  /** The payee resolved a downstream transfer (stored with `next`): claim upstream with its preimage, or refund it. */
  private async onDownstreamResolved(p: RoutedPayment, next: RoutedPayment): Promise<void> {
    this.committed(p, next);
    if (p.status === "cancelling") {
      await this.refundUpstream(p).catch((e: unknown) => noteError(p, e)); // tick() retries
      return;
    }
    if (this.config.store === undefined) {
      // Durable before anything else: the node's watcher claims on chain with it if the payer stays silent.
      await this.peer(p.upstream.peer).channel.learnResolution(p.upstream.transferId, p.resolverData as string);
    }
    await this.claimUpstream(p).catch((e: unknown) => noteError(p, e)); // tick() retries
  }

  private async claimUpstream(p: RoutedPayment): Promise<void> {
    const resolverData = p.resolverData as string;
    await this.resolveUpstream(p, "completed", {
      type: "resolve",
      transferId: p.upstream.transferId,
      toResponder: p.upstream.transfer.amount,
      resolverData,
    });
  }

  private async refundUpstream(p: RoutedPayment): Promise<void> {
    await this.resolveUpstream(p, "refunded", {
      type: "resolve",
      transferId: p.upstream.transferId,
      toResponder: 0n,
      resolverData: "0x",
    });
  }

  /** Proposes a resolution of the upstream transfer (if it is still active), delivers it, and ends at `status`. */
  private async resolveUpstream(p: RoutedPayment, status: PaymentStatus, details: ResolveDetails): Promise<void> {
    const peer = this.peer(p.upstream.peer);
    const next: RoutedPayment = { ...p, status };
    delete next.error;
    await this.exclusive(peer, async () => {
      await this.flush(peer);
      if (peer.channel.transfers.get(p.upstream.transferId) === undefined) return this.save(p, next); // resolved already
      await this.deliver(peer, await peer.channel.propose(details), this.unitFor(next));
      this.committed(p, next);
    });
  }

  // ───────────────────────────── durable payments ─────────────────────────────

  /** The unit that stores `next` (the payment's new state) beside a channel update, or undefined without a store. */
  private unitFor(next: RoutedPayment, extra: WriteUnit = {}): WriteUnit | undefined {
    if (this.config.store === undefined) return undefined; // the in-memory table: learnResolution stores the preimage
    const body: RoutedPayment = { ...next };
    delete body.error;
    const payment: Omit<PaymentRecord, "version"> = {
      lockHash: next.lockHash,
      status: next.status,
      upstreamPeer: next.upstream.peer,
      upstreamTransferId: next.upstream.transferId,
      body,
      updatedAt: Date.now(),
      ...(next.downstream !== undefined ? { downstreamPeer: next.downstream.peer, downstreamTransferId: next.downstream.transferId } : {}),
    };
    return { ...extra, payments: [{ payment, expectedVersion: this.versions.get(next.lockHash) ?? 0 }] };
  }

  /** Takes `next` as the payment's state once the unit that stored it committed. */
  private committed(p: RoutedPayment, next: RoutedPayment): void {
    Object.assign(p, next);
    if (next.error === undefined) delete p.error;
    if (this.config.store !== undefined) this.versions.set(p.lockHash, (this.versions.get(p.lockHash) ?? 0) + 1);
  }

  /** Stores a change of a payment that comes with no channel update. */
  private async save(p: RoutedPayment, next: RoutedPayment): Promise<void> {
    const unit = this.unitFor(next);
    if (unit !== undefined && this.config.store !== undefined) await this.config.store.write(unit);
    this.committed(p, next);
  }

  // ───────────────────────────── plumbing ─────────────────────────────

  /** Delivers a proposal the node signed and not yet completed, if any (before anything else is proposed). */
  private async flush(peer: Peer): Promise<void> {
    const pending = peer.channel.pending;
    if (pending !== undefined) await this.deliver(peer, pending);
  }

  private async deliver(peer: Peer, proposal: Proposal, also?: WriteUnit): Promise<void> {
    const timeoutMs = this.config.peerTimeoutMs ?? 10_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PeerError(peer.address, `no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    let ack: Acknowledgement;
    try {
      ack = await Promise.race([peer.link.receive(proposal), timeout]);
    } catch (error) {
      if (error instanceof PeerError) throw error;
      throw new PeerError(
        peer.address,
        `refused update ${proposal.update.state.nonce}: ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      clearTimeout(timer);
    }
    await peer.channel.complete(ack, also);
  }

  /** Runs `task` alone on `peer`'s channel (no other exchange with that peer meanwhile). */
  private exclusive<T>(peer: Peer, task: () => Promise<T>): Promise<T> {
    const run = peer.queue.then(task);
    peer.queue = run.catch(() => undefined);
    return run;
  }

  private peer(address: string): Peer {
    const peer = this.peers.get(checksum(address));
    if (peer === undefined) throw new RouteError(`the node has no channel with ${address}`);
    return peer;
  }

  private now(): bigint {
    return (this.config.clock ?? systemClock)();
  }
}

// ───────────────────────────── payer helpers ─────────────────────────────

export interface HashlockTransferParams {
  channel: string;
  hashlock: string;
  asset: string;
  amount: bigint;
  initiator: string;
  responder: string;
  /** The transfer's settle window: at most the channel's timeout. */
  timeout: bigint;
  lockHash: string;
  expiry: bigint;
  /** Default: random. */
  salt?: string;
}

/** A hashlock transfer (e.g. the payer's upstream lock of a routed payment). */
export function hashlockTransfer(p: HashlockTransferParams): Transfer {
  return normalizeTransfer({
    channel: p.channel,
    resolver: p.hashlock,
    asset: p.asset,
    amount: p.amount,
    initiator: p.initiator,
    responder: p.responder,
    timeout: p.timeout,
    salt: p.salt ?? hexlify(randomBytes(32)),
    data: encodeHashlockTerms({ lockHash: p.lockHash, expiry: p.expiry }),
  });
}

/** The latest downstream expiry a node accepts for an upstream lock expiring at `upstreamExpiry` (§12). */
export function latestDownstreamExpiry(
  upstreamExpiry: bigint,
  upstreamTimeout: bigint,
  safetyMargin: bigint = DEFAULT_SAFETY_MARGIN,
): bigint {
  return upstreamExpiry - upstreamTimeout - safetyMargin;
}

function noteError(p: RoutedPayment, error: unknown): void {
  p.error = error instanceof Error ? error.message : String(error);
}
