/**
 * The node sequences every channel it is alice of (docs/PROTOCOL.md "Sequencing"): it signs first, one content
 * per nonce, and at most one of its proposals is unanswered at a time. Every exchange on a channel runs in
 * order: a client's intent (signed by the node as the client's update) or the node's own proposal (pushed to
 * the client) starts only once the previous proposal has been acknowledged, so an intent that arrives while a
 * node proposal at n+1 is unanswered is applied at n+2, re-based on the new state, without its author's help.
 */
import type { Acknowledgement, Channel, Proposal } from "../channel/channel.js";
import { proposeFor, type Intent } from "../channel/sequencing.js";
import type { UpdateDetails } from "../protocol/types.js";
import type { WriteUnit } from "../stores/store.js";
import { WireError } from "../wire/codes.js";

export interface SequencerOptions {
  /** Delivers a node proposal to the client (pushes it to every socket the client is logged in on). */
  push(proposal: Proposal): void;
  /** How long a client's intent waits for the node's unanswered proposal before it is refused (CHANNEL_BUSY). */
  intentWaitMs: number;
}

interface Waiter {
  resolve(): void;
}

export class ChannelSequencer {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly waiters = new Set<Waiter>();
  /** What the acknowledgement of the pending proposal commits beside it (a payment's next state...). */
  private ackUnit: WriteUnit | undefined;

  constructor(
    readonly channel: Channel,
    private readonly options: SequencerOptions,
  ) {}

  /** The node's signed, unanswered proposal, if any. */
  get pending(): Proposal | undefined {
    return this.channel.pending;
  }

  /**
   * A client's intent: once no node proposal is unanswered, the node signs it as the client's update on its
   * latest state (with `also` stored beside the signature) and returns the proposal. `onAck` is stored beside
   * the co-signed update when the client acknowledges it.
   */
  intent(intent: Intent, also?: WriteUnit, onAck?: WriteUnit): Promise<Proposal> {
    return this.exclusive(async () => {
      await this.idle(this.options.intentWaitMs);
      const proposal = await proposeFor(this.channel, intent, also);
      this.ackUnit = onAck;
      return proposal;
    });
  }

  /**
   * The node's own update: once no proposal is unanswered, signs it (with `also`), pushes it to the client and
   * returns it; `acknowledged` resolves once the client's acknowledgement is stored (with `onAck`).
   */
  propose(details: UpdateDetails, also?: WriteUnit, onAck?: WriteUnit): Promise<Proposal> {
    return this.exclusive(async () => {
      await this.idle(undefined);
      const proposal = await this.channel.propose(details, also);
      this.ackUnit = onAck;
      this.options.push(proposal);
      return proposal;
    });
  }

  /** Resolves once the channel has no unanswered proposal (at once when it has none). */
  settled(): Promise<void> {
    return this.idle(undefined);
  }

  /**
   * The client's acknowledgement of the pending proposal: checked (nonce, signatures over the pending update's
   * payloads) and stored; resolves once durable. A replayed, out-of-order or wrongly signed acknowledgement
   * throws the SDK's typed error (NonceError, SignatureError) and changes nothing.
   */
  async acknowledge(ack: Acknowledgement): Promise<void> {
    const unit = this.ackUnit;
    try {
      await this.channel.complete(ack, unit);
      if (this.ackUnit === unit) this.ackUnit = undefined;
    } finally {
      // Also after a refusal: a channel that re-read its store (a commit of unknown outcome) may hold no pending now.
      for (const w of [...this.waiters]) w.resolve();
    }
  }

  /** Pushes the pending proposal again (on a client's login: re-delivered unchanged, before anything else). */
  redeliver(): void {
    const pending = this.channel.pending;
    if (pending !== undefined) this.options.push(pending);
  }

  /** Resolves once the node's pending proposal (if any) is answered: a drain waits for it, bounded. */
  answered(): Promise<void> {
    return this.idle(undefined);
  }

  private idle(timeoutMs: number | undefined): Promise<void> {
    // `pending` as the store holds it: after a commit of unknown outcome the ack of the pending proposal may have landed.
    if (this.channel.outdated) return this.channel.upToDate().then(() => this.idle(timeoutMs));
    if (this.channel.pending === undefined) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter: Waiter = {
        resolve: () => {
          if (this.channel.pending !== undefined) return;
          this.waiters.delete(waiter);
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.add(waiter);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.waiters.delete(waiter);
          const nonce = this.channel.pending?.update.state.nonce;
          reject(
            new WireError(
              "CHANNEL_BUSY",
              `the node's proposal at nonce ${nonce} is unanswered: acknowledge it (channel.sync returns it) first`,
            ),
          );
        }, timeoutMs);
      }
    });
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
