/**
 * `SocketLink`: how the node service's routing Node (src/routing/node.ts) delivers the node's own proposals to one
 * client: pushed over the client's sockets, answered by the client's `channel.acknowledge`, which the router hands
 * to `offer`. At most one proposal is unanswered per channel, so the link waits for one nonce at a time: a second
 * delivery of the same proposal (a re-delivery while the first still waits) waits for the same acknowledgement,
 * and a delivery of a later proposal fails the callers still waiting for the earlier one at once with
 * SupersededProposalError (before, the earlier waiter was dropped silently and its caller was never answered).
 */
import type { Acknowledgement, Channel, Proposal } from "../channel/channel.js";
import { NonceError, PeerError } from "../protocol/errors.js";
import { payloadDigests, verifyPayloads } from "../protocol/signing.js";
import { payloadsOf } from "../protocol/stateMachine.js";
import type { PeerLink, RouteInstruction } from "../routing/config.js";
import { WireError } from "../wire/codes.js";

export interface SocketLinkOptions {
  /** Pushes a node proposal to the client's sockets (with the onward route of a lock forwarded to another node). */
  push(client: string, proposal: Proposal, route?: RouteInstruction): void;
  /** Milliseconds the node waits for a client's acknowledgement (default 5000). */
  peerTimeoutMs?: number;
  /** The other nodes this node peers with. */
  isNode?: (address: string) => boolean;
  /** Whether `client` has a socket open now. */
  online?: (client: string) => boolean;
}

/** The link was waiting for the acknowledgement of proposal `waited` when the node delivered proposal `delivered`. */
export class SupersededProposalError extends PeerError {
  constructor(
    peer: string,
    readonly waited: bigint,
    readonly delivered: bigint,
  ) {
    super(peer, `the acknowledgement of proposal ${waited} is no longer awaited: proposal ${delivered} was delivered since`);
  }
}

interface Caller {
  resolve(ack: Acknowledgement): void;
  reject(error: Error): void;
}

/** Delivers the node's proposals to one client over its socket; its acknowledgement arrives as channel.acknowledge. */
export class SocketLink implements PeerLink {
  private waiter: { nonce: bigint; callers: Caller[]; timer: ReturnType<typeof setTimeout> } | undefined;

  constructor(
    private readonly client: string,
    private readonly channel: Channel,
    private readonly options: SocketLinkOptions,
  ) {}

  receive(proposal: Proposal, route?: RouteInstruction): Promise<Acknowledgement> {
    const nonce = proposal.update.state.nonce;
    const earlier = this.waiter;
    if (earlier !== undefined) clearTimeout(earlier.timer);
    if (earlier !== undefined && earlier.nonce !== nonce) {
      this.waiter = undefined;
      const superseded = new SupersededProposalError(this.client, earlier.nonce, nonce);
      for (const c of earlier.callers) c.reject(superseded);
    }
    return new Promise((resolve, reject) => {
      const waiter = this.waiter ?? { nonce, callers: [], timer: undefined as unknown as ReturnType<typeof setTimeout> };
      waiter.callers.push({ resolve, reject });
      // Past the Node's own timeout nobody waits here: a later acknowledgement completes the channel directly.
      const ms = this.options.peerTimeoutMs ?? 5_000;
      waiter.timer = setTimeout(() => {
        if (this.waiter !== waiter) return;
        this.waiter = undefined;
        for (const c of waiter.callers) c.reject(new PeerError(this.client, `no answer within ${ms} ms`));
      }, ms);
      waiter.timer.unref();
      this.waiter = waiter;
      this.options.push(this.client, proposal, route);
    });
  }

  /** A peer node with no socket open gets no forwarded lock signed for it (the payer's node tries another route). */
  reachable(): boolean {
    return this.options.isNode?.(this.client) !== true || this.options.online?.(this.client) !== false;
  }

  waiting(nonce: bigint): boolean {
    return this.waiter?.nonce === nonce;
  }

  /**
   * Checks the acknowledgement against the pending proposal, hands it to the Node's delivery waiting for it, and
   * waits until it is stored. False when that delivery gave up meanwhile (its timeout): nothing was taken, the
   * caller completes the channel directly (Node.acknowledge). Before, that race answered NONCE, which a client
   * reads as "stored already" for an acknowledgement it sends again: the node's proposal stayed unanswered.
   */
  async offer(ack: Acknowledgement): Promise<boolean> {
    if (this.channel.outdated) await this.channel.upToDate(); // a commit of unknown outcome: the store's pending
    const pending = this.channel.pending;
    if (pending === undefined || pending.update.state.nonce !== ack.nonce) {
      throw new NonceError(pending?.update.state.nonce ?? this.channel.state.nonce + 1n, ack.nonce);
    }
    const setup = this.channel.channelSetup;
    await verifyPayloads(
      setup.bob,
      payloadDigests(setup.chainId, setup.channel, payloadsOf(pending.update)),
      ack.signatures,
    );
    const waiter = this.waiter;
    if (waiter === undefined || waiter.nonce !== ack.nonce) return false; // raced the delivery's timeout
    this.waiter = undefined;
    clearTimeout(waiter.timer);
    for (const c of waiter.callers) c.resolve(ack);
    for (let i = 0; i < 1_000 && this.channel.state.nonce < ack.nonce; i++) await new Promise((r) => setTimeout(r, 5));
    // Not stored (the store failed under the Node's delivery, or it gave up meanwhile): the client sends it again.
    if (this.channel.state.nonce < ack.nonce) throw new WireError("UNAVAILABLE", `acknowledgement ${ack.nonce} not stored: send it again`);
    return true;
  }
}
