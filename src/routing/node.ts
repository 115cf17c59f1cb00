/**
 * `Node`: the routing role. It holds one `Channel` per counter-party (its peers) and forwards a hashlock payment
 * Alice → Node → Bob as two transfers with the same lock hash and decreasing expiries (docs/PROTOCOL.md §12):
 *
 *   node.intent(alice, create up, route) ─► alice acks (node.acknowledge) ─► node proposes create down ─► bob
 *   node.intent(bob, resolve down, preimage) ─► bob acks ─► node learns the preimage ─► node claims from alice
 * (the node signs first: docs/PROTOCOL.md "Sequencing"; `receive` takes a proposal its peer signed first).
 *
 * Safety of the node (docs/PROTOCOL.md §12 rules 1–5, §17): it forwards only if `E_up ≥ E_down + T_up + margin` and
 * `E_down + margin ≤ now + T_up + window_up` (src/routing/plan.ts), so a preimage revealed downstream at the last
 * moment can still be claimed upstream on chain, recorded first in the upstream channel's store for its watcher; it
 * refunds the payer only once the downstream lock cannot be claimed and was not (never signed, cancelled, or the chain
 * past `E_down + margin` with no settlement to the payee, `downstreamClaimable`, and no payee's claim the node signed
 * pending, `pendingClaimOf`); a tick never refunds a payment this process is still forwarding; one proposal at a time
 * per channel (every exchange with a peer runs under that peer's lock, a signed unanswered proposal is delivered again
 * before the next one). A failed attempt with nothing live downstream is retried on another route for the same upstream
 * lock (`reroute`, retry.ts, §17.6). With `NodeConfig.store` the payment table is durable: each change of a payment
 * commits in the same store transaction as the channel update that causes it, and `loadPayments()` rebuilds the table
 * after a restart (else memory only). The peers, the payment table and the exchange plumbing (one exchange at a time
 * per peer, a pending proposal delivered first) are its base, src/routing/nodeBase.ts.
 */
import type { Acknowledgement, Proposal } from "../channel/channel.js";
import { proposeFor } from "../channel/sequencing.js";
import { PeerError, RouteError } from "../protocol/errors.js";
import { encodeHashlockResolution, hashlockLock } from "../protocol/resolvers.js";
import type { ResolveDetails, UpdateDetails } from "../protocol/types.js";
import type { WriteUnit } from "../stores/store.js";
import { downstreamClaimable, sequencedUpdate } from "./delivery.js";
import { IntentGate, IntentRefusedError, noteError } from "./intents.js";
import { NodeBase, type Peer } from "./nodeBase.js";
import { pendingClaimOf, resolutionOf, upstreamResolved, type Hop, type NodeTickReport, type PaymentStatus, type RoutedPayment } from "./payments.js";
import { planRoute, unroutedLock } from "./plan.js";
import { nextAttempt } from "./retry.js";
import { checkedRouteCall } from "./validate.js";
import type { RouteInstruction } from "./config.js";

export { hashlockTransfer, latestDownstreamExpiry, type HashlockTransferParams } from "./payer.js";
export type { Hop, NodeTickReport, PaymentStatus, RoutedPayment } from "./payments.js";
export type { NodeCluster, NodeConfig, PeerLink, RouteInstruction, RouteStep } from "./config.js";
export { IntentRefusedError } from "./intents.js";

export class Node extends NodeBase {
  /**
   * Receives a peer's proposal and returns the node's ack. With a `route`, the proposal must lock a hashlock payment to
   * the node, which it forwards to `route.recipient`. A downstream resolve with the preimage makes the node claim
   * upstream; a cancel, refund. Forward and claim failures do not fail the call (`tick` retries); a bad route throws
   * before any signature.
   */
  async receive(from: string, proposal: Proposal, route?: RouteInstruction): Promise<Acknowledgement> {
    const { ack, effects } = await this.receiveFrom(from, proposal, route);
    await effects;
    return ack;
  }

  /** As `receive`, but answers once the proposal is stored; the forward or claim it starts is `effects` (between nodes). */
  async receiveFrom(from: string, proposal: Proposal, route?: RouteInstruction): Promise<{ ack: Acknowledgement; effects: Promise<void> }> {
    const peer = this.peer(from);
    ({ proposal, route } = checkedRouteCall(proposal, route, peer.channel.address)); // nothing unchecked is planned or signed
    if (route !== undefined) await this.refuseRetired(proposal.update?.details); // then planned at once (no await between)
    const planned = route === undefined ? undefined : this.planRoute(peer, proposal.update?.details, route);
    if (planned !== undefined) this.payments.set(planned.lockHash, planned); // reserves the lock
    const details = proposal.update?.details;
    const resolved = details?.type === "resolve" ? this.downstreamResolution(details) : undefined;
    const also = planned !== undefined ? this.unitFor(planned) : resolved !== undefined ? this.unitFor(resolved.next, resolved.extra) : undefined;
    let ack: Acknowledgement;
    try {
      ack = await this.exclusive(peer, () => peer.channel.receive(proposal, also));
    } catch (error) {
      if (planned !== undefined) {
        this.payments.delete(planned.lockHash);
        this.forwarding.delete(planned.lockHash);
      }
      throw error;
    }
    if (planned !== undefined) {
      this.committed(planned, planned);
      return { ack, effects: this.forward(planned).catch((e: unknown) => noteError(planned, e)) }; // "accepted": tick() refunds
    }
    if (resolved !== undefined) return { ack, effects: this.onDownstreamResolved(resolved.payment, resolved.next) };
    return { ack, effects: Promise.resolve() };
  }

  /** Sequenced flow (PROTOCOL.md "Sequencing"): signs a peer's intent first; a `route` is forwarded once acknowledged. */
  async intent(from: string, details: UpdateDetails, route?: RouteInstruction): Promise<Proposal> {
    const peer = this.peer(from);
    const acked = async (): Promise<void> => peer.intent?.wait(peer.address, this.config.peerTimeoutMs ?? 10_000).catch(() => undefined);
    return this.exclusive(peer, async () => {
      await this.flush(peer);
      if (route !== undefined) await this.refuseRetired(details);
      const planned = route === undefined ? undefined : this.planRoute(peer, details, route);
      const proposal = await proposeFor(peer.channel, details); // the payment enters the table once acknowledged
      const resolved = details.type === "resolve" ? this.downstreamResolution(details) : undefined;
      peer.intent = new IntentGate(proposal.update.state.nonce, { ...(planned ? { planned } : {}), ...(resolved ? { resolved } : {}) });
      return proposal;
    }, acked); // in a cluster the channel's lock is kept until the intent is acknowledged (or the peer timeout)
  }

  /** A peer's ack of its intent (stored with what it moves; `effects`: the forward or claim it starts) or of a proposal. */
  async acknowledge(from: string, ack: Acknowledgement): Promise<{ effects: Promise<void> }> {
    const peer = await this.doubts.after(async () => this.peer(from)); // after doubts: an intent acked unseen waits no more
    const intent = peer.intent;
    if (intent === undefined || intent.nonce !== ack.nonce) {
      // The intent's effects are gone (a restart, a timeout): a payee's claim still unlocks its payment, in one unit.
      const acked = peer.channel.pending?.update;
      const claim = acked?.details.type === "resolve" && acked.proposer !== peer.channel.me ? this.downstreamResolution(acked.details) : undefined;
      // A payer's lock whose route was lost is stored "accepted" with its ack (refunded below, or by tick() after a crash).
      let unrouted = claim === undefined ? unroutedLock(acked, { address: this.address, hashlock: this.hashlock, payer: peer.address }, { has: (h: string) => this.known(h) }) : undefined;
      if (unrouted !== undefined && (await this.routed(unrouted.lockHash))) unrouted = undefined; // finished, in the store only: left to expire
      const own = upstreamResolved(this, peer.address, acked, peer.channel.me); // the node's claim or refund, acked late
      const also = claim !== undefined ? this.unitFor(claim.next, claim.extra) : unrouted !== undefined ? this.unitFor(unrouted) : own && this.unitFor(own.next);
      await peer.channel.complete(ack, also);
      if (own !== undefined) this.committed(own.payment, own.next);
      if (claim !== undefined) return { effects: this.onDownstreamResolved(claim.payment, claim.next) };
      return { effects: unrouted !== undefined ? this.refundUnrouted(unrouted) : Promise.resolve() };
    }
    const { resolved, planned: plan } = intent.effects;
    const planned = plan !== undefined && !this.known(plan.lockHash) ? plan : undefined; // a lock hash routed meanwhile: unrouted
    const also = planned !== undefined ? this.unitFor(planned) : resolved !== undefined ? this.unitFor(resolved.next, resolved.extra) : undefined;
    await peer.channel.complete(ack, also);
    peer.intent = undefined;
    intent.settle();
    if (planned !== undefined) {
      this.payments.set(planned.lockHash, planned);
      this.committed(planned, planned);
      return { effects: this.forward(planned).catch((e: unknown) => noteError(planned, e)) }; // "accepted": tick() refunds
    }
    return { effects: resolved !== undefined ? this.onDownstreamResolved(resolved.payment, resolved.next) : Promise.resolve() };
  }

  /** The node's own update to `to` (a collateral deposit or withdraw), in that peer's queue; resolves once co-signed. */
  async update(to: string, details: UpdateDetails): Promise<void> {
    const peer = this.peer(to);
    await this.exclusive(peer, async () => {
      await this.flush(peer);
      if (peer.channel.me === "bob") return sequencedUpdate(peer, details, undefined, undefined);
      await this.deliver(peer, await peer.channel.propose(details));
    });
  }

  /**
   * Takes a preimage learned elsewhere (a downstream lock settled on chain: the watcher's `onTransferSettled`), stored
   * with the payment's move to "unlocked", then claims upstream. False when no forwarded payment waits for it.
   */
  async learnPreimage(lockHash: string, preimage: string): Promise<boolean> {
    const key = lockHash.toLowerCase();
    if (hashlockLock(preimage) !== key) throw new RouteError(`the preimage does not open lock ${key}`);
    const p = this.payments.get(key);
    if (p === undefined || (p.status !== "forwarded" && p.status !== "cancelling")) return false;
    const resolverData = encodeHashlockResolution(preimage).toLowerCase();
    const next: RoutedPayment = { ...p, status: "unlocked", resolverData };
    const upstream = this.peer(p.upstream.peer);
    const took = await this.exclusive(upstream, async () => {
      if (p.status !== "forwarded" && p.status !== "cancelling") return false; // moved meanwhile
      const also = this.unitFor(next, { preimages: [{ lockHash: key, resolverData, source: "chain", learnedAt: Date.now() }] });
      await upstream.channel.learnResolution(p.upstream.transferId, resolverData, also);
      this.committed(p, next);
      return true;
    });
    if (took) await this.claimUpstream(p).catch((e: unknown) => noteError(p, e)); // tick() retries
    return took;
  }

  /**
   * Retries what is outstanding: claims upstream with known preimages (and a payee's claim the node signed whose ack
   * was lost), refunds upstream once the downstream cannot be claimed any more and was not, and reports the channels
   * to dispute when a silent payer leaves the node only the on-chain claim (from `E_up − T_up − margin` on).
   */
  async tick(): Promise<NodeTickReport> {
    const report: NodeTickReport = { claimed: [], refunded: [], mustDispute: [], failed: [], waiting: [] };
    const now = await this.doubts.after(async () => this.now()); // no payment moves on from a state the store may have left
    for (const p of this.payments.values()) {
      // A finished payment has nothing to retry (most of the table: up to finishedInMemory of them, every 2 s).
      if (p.status === "completed" || p.status === "refunded") continue;
      if (this.forwarding.has(p.lockHash) || this.config.cluster?.young(p.lockHash) === true) continue;
      if (!this.hasPeer(p.upstream.peer) || (p.downstream !== undefined && !this.hasPeer(p.downstream.peer))) {
        report.waiting.push({ lockHash: p.lockHash, reason: "a peer is not connected yet" });
        continue; // a node this node dials joins once its session is open
      }
      try {
        if (p.status === "forwarded" && p.downstream !== undefined && now >= p.downstream.expiry) {
          const down = this.peer(p.downstream.peer);
          const signed = pendingClaimOf(p, down.channel.pending?.update, this.peer(p.upstream.peer).channel.address);
          const reason = signed !== undefined ? undefined : await downstreamClaimable(this.config.locks, down.channel.address, p.downstream, this.margin);
          if (signed !== undefined) await this.takeSignedClaim(down, p, signed.next, signed.extra); // never refunded
          else if (reason === undefined) await this.save(p, { ...p, status: "cancelling" });
          else report.waiting.push({ lockHash: p.lockHash, reason });
        }
        if (p.status === "accepted" || p.status === "cancelling") {
          await this.refundUpstream(p);
          report.refunded.push(p.lockHash);
        } else if (p.status === "unlocked") {
          await this.claimUpstream(p);
          const after = (p as { status: PaymentStatus }).status; // claimUpstream may find it refunded by an earlier proposal
          (after === "completed" ? report.claimed : report.refunded).push(p.lockHash);
        } else if (p.status === "forwarded" && p.downstream !== undefined) {
          await this.exclusive(this.peer(p.downstream.peer), (down) => this.flush(down)); // signed, not yet answered: after any delivery in flight
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

  /** Checks `from`'s lock and route as `intent` will, reserving nothing (before just-in-time collateral). */
  checkRoute(from: string, details: UpdateDetails, route: RouteInstruction): void {
    this.planRoute(this.peer(from), details, route, false);
  }

  /** Checks a route before the node signs the upstream lock; returns the payment it opens (src/routing/plan.ts). */
  private planRoute(peer: Peer, details: UpdateDetails | undefined, route: RouteInstruction, reserve = true): RoutedPayment {
    const planned = planRoute(
      this.routeContext(),
      { address: peer.address, channel: peer.channel },
      details,
      route,
      (recipient) => this.peers.get(recipient)?.channel,
    );
    if (reserve) this.forwarding.add(planned.lockHash); // until forward() ends; the payment is "accepted" but not yet refundable
    return reserve ? { ...planned, startedAt: Date.now() } : planned;
  }

  /** Locks the payment downstream ("accepted" until signed there); a failed attempt goes to retryOrRefund at once. */
  private async forward(p: RoutedPayment): Promise<void> {
    this.forwarding.add(p.lockHash); // planRoute adds it already; a forward resumed after a restart needs it too
    try {
      for (;;) {
        const failed = await this.forwardOnce(p).then(() => "forwarded" as const, (e: unknown) => ({ e }));
        if (failed === "forwarded") return;
        if (p.status !== "accepted") throw failed.e; // signed downstream: the downstream's answer or its expiry decides
        noteError(p, failed.e);
        if (!(await this.retryOrRefund(p, p.error as string))) return;
      }
    } finally {
      this.forwarding.delete(p.lockHash); // from here a payment still "accepted" has nothing signed downstream
    }
  }

  /** A failed attempt, nothing live downstream: the next route (true: forward `p` again, NodeConfig.reroute), else a refund. */
  private async retryOrRefund(p: RoutedPayment, reason: string): Promise<boolean> {
    const down = p.downstream;
    const isNode = this.config.isNode ?? ((): boolean => false); // only the payer's node of a route across nodes retries
    if (this.config.reroute !== undefined && down !== undefined && !isNode(p.upstream.peer) && isNode(down.peer)) {
      const payer = this.peer(p.upstream.peer);
      const ctx = { node: this.routeContext(), payer, channelWith: (r: string) => this.peers.get(r)?.channel };
      const { retry, next } = nextAttempt(p, { peer: down.peer, channel: this.channel(down.peer).address, reason }, ctx, this.config.reroute);
      if (retry) {
        await this.save(p, next);
        this.byDownstream.delete(down.transferId);
        return true;
      }
      Object.assign(p, next); // the attempts and why none is left, stored with the refund
    }
    await this.refundUpstream(p);
    return false;
  }

  private async forwardOnce(p: RoutedPayment): Promise<void> {
    const hop = p.downstream as Hop;
    const peer = this.peer(hop.peer);
    await this.exclusive(peer, async () => {
      if (peer.link.reachable?.() === false) throw new PeerError(peer.address, "not connected: nothing was signed for it");
      await this.flush(peer);
      if (p.status !== "accepted") return; // refunded meanwhile: never forward
      const next: RoutedPayment = { ...p, status: "forwarded" };
      if (peer.channel.me === "bob") return this.forwardSequenced(peer, p, next);
      const proposal = await peer.channel.propose({ type: "create", transfer: hop.transfer }, this.unitFor(next));
      // Signed: from here the payee may hold a co-signed lock, so the upstream is refunded only after E_down.
      this.committed(p, next);
      this.byDownstream.set(hop.transferId, p.lockHash);
      await this.deliver(peer, proposal, undefined, p.onward);
    });
  }

  /** The downstream lock as bob: stored "forwarded" first (never "accepted" with a lock signed), then sent as an intent
   *  with its onward route; a refusal before anyone signed takes it back to "accepted" (docs/NODE.md "Peering"). */
  private async forwardSequenced(peer: Peer, p: RoutedPayment, next: RoutedPayment): Promise<void> {
    const hop = p.downstream as Hop;
    await this.save(p, next);
    this.byDownstream.set(hop.transferId, p.lockHash);
    try {
      await sequencedUpdate(peer, { type: "create", transfer: hop.transfer }, p.onward, undefined);
    } catch (error) {
      if (error instanceof IntentRefusedError && peer.channel.transfers.get(hop.transferId) === undefined) {
        this.byDownstream.delete(hop.transferId);
        await this.save(p, { ...p, status: "accepted", error: error.message });
      }
      throw error;
    }
  }

  /** What the payee's resolve of a downstream transfer does to its payment (src/routing/payments.ts resolutionOf). */
  private downstreamResolution(details: ResolveDetails): { payment: RoutedPayment; next: RoutedPayment; extra?: WriteUnit } | undefined {
    const lockHash = this.byDownstream.get(details.transferId.toLowerCase());
    const p = lockHash === undefined ? undefined : this.payments.get(lockHash);
    return p === undefined ? undefined : resolutionOf(p, details, this.peer(p.upstream.peer).channel.address);
  }

  /** The payee resolved a downstream transfer (stored with `next`): claim upstream with its preimage, or refund it. */
  private async onDownstreamResolved(p: RoutedPayment, next: RoutedPayment): Promise<void> {
    this.committed(p, next);
    if (p.status === "cancelling") {
      this.forwarding.add(p.lockHash); // a tick leaves it to the retry (or the refund) that follows
      const retry = this.retryOrRefund(p, `${p.downstream?.peer} cancelled the lock`);
      await retry.then((again) => (again ? this.forward(p) : undefined)).catch((e: unknown) => noteError(p, e)); // else tick() refunds
      return void this.forwarding.delete(p.lockHash);
    }
    if (this.config.store === undefined) {
      // Durable before anything else: the node's watcher claims on chain with it if the payer stays silent.
      await this.peer(p.upstream.peer).channel.learnResolution(p.upstream.transferId, p.resolverData as string);
    }
    await this.claimUpstream(p).catch((e: unknown) => noteError(p, e)); // tick() retries
  }

  /** Takes the payee's claim the node signed (its ack lost: src/routing/payments.ts pendingClaimOf) as the payee's resolve. */
  private async takeSignedClaim(down: Peer, p: RoutedPayment, next: RoutedPayment, extra?: WriteUnit): Promise<void> {
    down.intent?.settle(); // its late ack completes the channel only (the payment has moved on)
    down.intent = undefined;
    const unit = this.unitFor(next, extra);
    if (unit !== undefined) await this.config.store?.write(unit);
    await this.onDownstreamResolved(p, next);
  }

  private async claimUpstream(p: RoutedPayment): Promise<void> {
    const details = { transferId: p.upstream.transferId, toResponder: p.upstream.transfer.amount, resolverData: p.resolverData as string };
    await this.resolveUpstream(p, "completed", { type: "resolve", ...details });
  }

  private async refundUnrouted(unrouted: RoutedPayment): Promise<void> {
    this.payments.set(unrouted.lockHash, unrouted);
    this.committed(unrouted, unrouted); // stored with the acknowledgement
    await this.refundUpstream(unrouted).catch((e: unknown) => noteError(unrouted, e)); // else tick() retries: "accepted"
  }

  private async refundUpstream(p: RoutedPayment): Promise<void> {
    await this.resolveUpstream(p, "refunded", { type: "resolve", transferId: p.upstream.transferId, toResponder: 0n, resolverData: "0x" });
  }

  /** Proposes a resolution of the upstream transfer (if it is still active), delivers it, and ends at `status`. */
  private async resolveUpstream(p: RoutedPayment, status: PaymentStatus, details: ResolveDetails): Promise<void> {
    const peer = this.peer(p.upstream.peer);
    await this.exclusive(peer, async () => {
      // As the store holds it now (StoreDoubts): never refunded once signed downstream, nor a final one moved again.
      if (!(status === "refunded" ? ["accepted", "cancelling"] : ["unlocked"]).includes(p.status)) return;
      const next: RoutedPayment = { ...p, status };
      delete next.error;
      const earlier = peer.channel.pending?.update.details;
      await this.flush(peer);
      if (peer.channel.transfers.get(p.upstream.transferId) === undefined) {
        // Resolved already: by the proposal just flushed, if it resolved this transfer, with its own outcome.
        if (earlier?.type === "resolve" && earlier.transferId === p.upstream.transferId.toLowerCase()) {
          const outcome: PaymentStatus = earlier.toResponder === 0n ? "refunded" : "completed";
          if (outcome !== status) return this.save(p, { ...next, status: outcome, error: `the upstream was ${outcome} by an earlier proposal` });
        }
        return this.save(p, next);
      }
      if (peer.channel.me === "bob") await sequencedUpdate(peer, details, undefined, this.unitFor(next));
      else await this.deliver(peer, await peer.channel.propose(details), this.unitFor(next));
      this.committed(p, next);
    });
  }

}

