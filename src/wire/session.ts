/**
 * A client's session with a Switchyard node (browser-safe): logs in, opens (or restores) its channel with the
 * node (the node is alice, the client bob), and runs updates the sequenced way (docs/PROTOCOL.md
 * "Sequencing"): its own updates as unsigned intents the node signs first (`propose`, one round trip), the
 * node's updates pushed as `channel.update` and acknowledged after they are checked and stored. `sync` brings
 * it up to date after a reconnect, and refuses (ForkError) a co-signed history that forks from its own.
 */
import { Channel, type Acknowledgement, type Proposal } from "../channel/channel.js";
import { validateWire } from "../channel/fastWire.js";
import { accept, type Intent } from "../channel/sequencing.js";
import { checksum } from "../protocol/address.js";
import { stateDigest } from "../protocol/digests.js";
import {
  ForkError,
  MalformedUpdateError,
  StoreError,
  TamperedUpdateError,
} from "../protocol/errors.js";
import type { CoSignedUpdate, SignedState } from "../protocol/record.js";
import { contentHash, payloadDigests, type CallProvider, type ChannelSigner } from "../protocol/signing.js";
import { payloadsOf } from "../protocol/stateMachine.js";
import type { ResolverPolicy, Update } from "../protocol/types.js";
import type { SwitchyardStore } from "../stores/store.js";
import { WireClient, type WebSocketConstructor } from "./client.js";
import { RemoteError } from "./codes.js";
import { NOTIFICATIONS, paymentNotice, updatePush, type NodeInfo, type ResultOf } from "./methods.js";
import { openChannel } from "./open.js";
import { restoredRecord } from "./restored.js";
import { nodeInfoOf } from "./revision.js";
import { updateDetails, validate } from "./schemas.js";

export { restoredRecord };

export interface ClientSessionOptions {
  /** ws://host:port/v1 */
  url: string;
  WebSocket: WebSocketConstructor;
  signer: ChannelSigner;
  /** The client's own store (a MemoryStore in a browser, SQLite in a Node.js wallet). */
  store: SwitchyardStore;
  /** The resolvers the client accepts (default: the node's hashlock and signed-transfer resolvers). */
  resolvers?: readonly ResolverPolicy[];
  /** Unix seconds (default: the system clock). */
  clock?: () => bigint;
  /**
   * The chain: deposit claims are checked against the channel's on-chain totals (without it the channel refuses
   * every deposit update), and an ERC-1271 counter-party's signatures are verified on it.
   */
  chain?: CallProvider;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  /**
   * The channel to use, already open (a node that dials another node keeps one Channel for its lifetime,
   * src/node/peers/): it must be this client's channel with the node (checked); default: opened from the store.
   */
  channel?: Channel;
  /**
   * Takes the node's pushed proposals (alice's) instead of the session's own `channel.receive`: a node dialing
   * another node hands them to its router with the onward `route` of a forwarded lock; returns the acknowledgement.
   */
  receive?: (proposal: Proposal, route: Route | undefined) => Promise<Acknowledgement>;
}

export type PaymentNotice = ReturnType<typeof paymentNotice.parse>;

/** A route for `sendPayment`: the payee, the downstream lock's expiry, what the payee gets. */
export interface Route {
  recipient: string;
  expiry: bigint;
  amount?: bigint;
  /** Across nodes: the hops after `recipient` (a node), each `{recipient, expiry, amount}`. */
  path?: ReadonlyArray<{ recipient: string; expiry: bigint; amount: bigint }>;
}

export class ClientSession {
  readonly address: string;
  /** This client's intents the node may have signed, by outbox id (kept in the client's store until answered). */
  private readonly outstanding = new Map<string, OutstandingIntent>();
  private readonly paymentHandlers = new Set<(notice: PaymentNotice) => void>();
  private readonly errorHandlers = new Set<(error: Error) => void>();
  private readonly updateHandlers = new Set<(update: Update) => void>();
  private readonly lateHandlers = new Set<(update: Update) => void>();
  private queue: Promise<unknown> = Promise.resolve();
  /** The acknowledgement of a pushed proposal on its way to the node, if any (`answer`). */
  private acking: Promise<void> | undefined;

  private constructor(
    readonly wire: WireClient,
    readonly info: NodeInfo,
    readonly channel: Channel,
    private readonly options: ClientSessionOptions,
  ) {
    this.address = checksum(options.signer.address);
  }

  /**
   * Connects, logs in and opens the channel: from the client's store (then `sync`), from the node
   * (`channel.restore`, verified) when the store does not hold it and the node has co-signed states, or at its
   * genesis. Pushed proposals that arrive meanwhile are handled once the channel is open.
   */
  static async connect(options: ClientSessionOptions): Promise<ClientSession> {
    const wire = await WireClient.connect(options.url, {
      WebSocket: options.WebSocket,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    const early: unknown[] = [];
    let session: ClientSession | undefined;
    wire.on(NOTIFICATIONS.update, (params) => {
      if (session === undefined) early.push(params);
      else session.onPush(params);
    });
    try {
      await wire.login(options.signer);
      const info = await nodeInfoOf(wire); // refused when the node runs another flow revision
      const channel = await openChannel(wire, info, options);
      session = new ClientSession(wire, info, channel, options);
      wire.on(NOTIFICATIONS.payment, (params) => session?.onPayment(params));
      await session.loadIntents();
      await session.sync();
      for (const params of early) session.onPush(params);
      return session;
    } catch (error) {
      await wire.close().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Runs one of this client's updates: sends the intent, checks that the node's signed proposal is exactly
   * that intent on the client's latest state, signs and stores it, and acknowledges it. Resolves with the
   * co-signed state once the node confirmed it is durable on its side too.
   */
  async propose(intent: Intent, route?: Route): Promise<SignedState> {
    // Stored before it is sent: if the answer is lost (a crash, a dropped socket), the node re-delivers its
    // signed proposal for it and the client still recognises it as its own.
    const id = `intent:${this.channel.address}:${globalThis.crypto.randomUUID()}`;
    const createdAt = Date.now();
    await this.options.store.write({
      outbox: [{ id, recipient: this.info.node, channel: this.channel.address, body: intent, createdAt }],
    });
    const entry: OutstandingIntent = { intent, storedAt: createdAt, inFlight: true };
    this.outstanding.set(id, entry);
    // Forgotten once co-signed; after a failure it stays: whatever the error, the node may hold its signed proposal
    // for it (a commit the node saw fail that its database kept, a lost answer), which a sync then matches to it.
    let answered = false;
    let delivered = false;
    try {
      // After the node's answer to an acknowledgement still on its way: its proposal is then settled on both sides,
      // so the node signs this intent at once instead of holding it behind its unanswered proposal.
      await this.acked();
      const proposal = await this.wire.request("channel.propose", {
        details: intent,
        ...(route !== undefined ? { route } : {}),
      });
      const nonce = proposal.update.state.nonce;
      if (nonce > this.channel.state.nonce + 1n) {
        // Another device of this user moved the channel meanwhile: take its updates first (sync checks they
        // continue this client's history, else ForkError); the sync then answers this proposal as ours.
        await this.sync();
        if (this.channel.state.nonce >= nonce) {
          answered = true;
          return this.channel.latest as SignedState;
        }
      }
      // The intent leaves the outbox in the unit that stores its co-signed update (both or neither).
      const ack = await accept(this.channel, proposal, intent, { delivered: [id] });
      delivered = true;
      answered = true; // co-signed and stored here: a re-delivery is answered from the store (ackOfStored)
      await this.acknowledge(ack, false);
      return this.channel.latest as SignedState;
    } catch (error) {
      // Whatever failed (an answer garbled on the way, lost to a timeout on an open socket, a refusal after the
      // node signed), the node may hold its signed proposal for this intent as pending and wait for its answer: a
      // sync delivers it again, taken when it is exactly this intent (else refused). A sync that fails closes the
      // socket: the next session's sync does it.
      // OVERLOADED is the node's refusal before it signs anything (admission control): nothing to sync, and the
      // intent leaves the outbox now (a sync here would add work to a node that is past its capacity).
      if (error instanceof RemoteError && error.code === "OVERLOADED") answered = true;
      else if (!answered && this.wire.closed === undefined) {
        const synced = await this.sync().then(() => true, () => false);
        if (!this.outstanding.has(id)) return this.channel.latest as SignedState;
        // Out of the outbox: its co-signed update was stored with it after all (a commit of unknown outcome landed).
        const queued = await this.options.store.outbox({ recipient: this.info.node }).then((ms) => ms.some((m) => m.id === id), () => true);
        if (synced && !queued) {
          delivered = true;
          return this.channel.latest as SignedState;
        }
        if (!synced) void this.wire.close().catch(() => undefined);
      }
      throw error;
    } finally {
      entry.inFlight = false;
      if (delivered) this.outstanding.delete(id);
      else if (answered) await this.forget(id);
    }
  }

  /** A routed payment: the hashlock lock to the node (a create intent) with its route. */
  sendPayment(intent: Intent, route: Route): Promise<SignedState> {
    return this.propose(intent, route);
  }

  /**
   * Asks the node for inbound capacity (`channel.requestCollateral`): the node deposits as alice so its balance
   * in this channel reaches at least `amount` (its policy's target if higher), and reconciles the deposit with a
   * proposal it pushes, which this session answers; resolves once the node reports the deposit reconciled.
   */
  requestCollateral(asset: string, amount: bigint): Promise<ResultOf<"channel.requestCollateral">> {
    return this.wire.request("channel.requestCollateral", { asset, amount });
  }

  /** Calls `handler` with every payment status the node pushes. */
  onPayment(handler: (notice: PaymentNotice) => void): () => void;
  onPayment(params: unknown): void;
  onPayment(arg: unknown): (() => void) | void {
    if (typeof arg === "function") {
      const handler = arg as (notice: PaymentNotice) => void;
      this.paymentHandlers.add(handler);
      return () => this.paymentHandlers.delete(handler);
    }
    let notice: PaymentNotice;
    try {
      notice = validateWire(paymentNotice, arg, "payment.status");
    } catch {
      return;
    }
    for (const h of this.paymentHandlers) h(notice);
  }

  /**
   * Calls `handler` with every update of the node (proposer alice) this client co-signed: answered when pushed,
   * or taken from the node's co-signed history in a sync.
   */
  onUpdate(handler: (update: Update) => void): () => void {
    this.updateHandlers.add(handler);
    return () => this.updateHandlers.delete(handler);
  }

  /**
   * Calls `handler` with every update of this client's own that it co-signed outside its `propose` call: the node's
   * proposal for a stored intent, re-delivered by a sync or a push (its call had failed, or a previous session's).
   */
  onLateIntent(handler: (update: Update) => void): () => void {
    this.lateHandlers.add(handler);
    return () => this.lateHandlers.delete(handler);
  }

  /** Errors of pushed proposals the client refused (a malformed or forked proposal). */
  onError(handler: (error: Error) => void): () => void {
    this.errorHandlers.add(handler);
    return () => this.errorHandlers.delete(handler);
  }

  /**
   * Brings the channel up to date from the node: checks the node's co-signed state at the client's nonce is
   * the client's own (else ForkError), takes every later co-signed update (both signatures, nonce continuity,
   * the transfers root: Channel.restore), then answers the node's pending proposal, if any.
   */
  sync(): Promise<void> {
    return this.exclusive(async () => {
      for (;;) {
        const mine = this.channel.state.nonce;
        const answer = await this.wire.request("channel.sync", { nonce: mine });
        const latest = answer.latest;
        if (latest !== undefined && latest.state.nonce === mine) this.checkSame(latest.state.nonce, latest.state);
        for (const u of answer.updates) {
          const nonce = u.update.state.nonce;
          if (nonce < mine) continue;
          if (nonce === mine) {
            if (mine > 0n) this.checkSame(nonce, u.update.state);
            continue;
          }
          await this.channel.restore(u);
          if (u.update.proposer === "alice") this.updated(u.update);
        }
        if (latest !== undefined && latest.state.nonce > mine && answer.updates.length === 0) {
          throw new ForkError(mine, `the node holds nonce ${latest.state.nonce} but sent no history from ${mine}`);
        }
        if (answer.more) continue;
        if (answer.pending !== undefined) await this.answer(answer.pending, answer.pendingRoute);
        await this.prune(answer.pending);
        return;
      }
    });
  }

  async close(): Promise<void> {
    await this.wire.close();
  }

  // ───────────────────────────── pushed proposals ─────────────────────────────

  private onPush(params: unknown): void {
    void this.exclusive(async () => {
      const { proposal, route } = validateWire(updatePush, params, "channel.update");
      await this.answer(proposal, route);
    }).catch((error: unknown) => {
      const e = error instanceof Error ? error : new Error(String(error));
      for (const h of this.errorHandlers) h(e);
    });
  }

  /** Checks, signs, stores and acknowledges the node's proposal (or re-sends the ack of one already taken). */
  private async answer(proposal: Proposal, route?: Route): Promise<void> {
    const nonce = proposal.update.state.nonce;
    const current = this.channel.state.nonce;
    let ack: Acknowledgement;
    let taken: Update | undefined;
    let late: Update | undefined;
    if (nonce === current && current > 0n) {
      ack = await this.ackOfStored(proposal.update);
    } else if (nonce === current + 1n) {
      if (proposal.update.proposer === "alice") {
        ack = await (this.options.receive?.(proposal, route) ?? this.channel.receive(proposal));
        taken = proposal.update;
      } else {
        ack = await this.acceptRedelivered(proposal);
        late = proposal.update;
      }
    } else if (nonce > current + 1n) {
      throw new ForkError(current, `the node proposed nonce ${nonce}; sync first`);
    } else return; // an old proposal: nothing to do
    // The acknowledgement leaves at once (sent before `acknowledge`'s first await). The update is co-signed and
    // stored on this side whatever the node answers, so listeners act on it now, not one commit of the node's
    // later: a payer's payment is complete once it co-signed the node's claim (its pay() resolves here), a payee
    // looks its invoice up. An intent they send waits for this answer first (`propose`, `acked`).
    const acked = this.acknowledge(ack, true);
    this.acking = acked;
    try {
      if (taken !== undefined) this.updated(taken);
      if (late !== undefined) notify(this.lateHandlers, late);
      await acked;
    } finally {
      if (this.acking === acked) this.acking = undefined;
    }
  }

  /** Resolves once no acknowledgement of a pushed proposal is on its way (however it ended). */
  private async acked(): Promise<void> {
    while (this.acking !== undefined) await this.acking.catch(() => undefined);
  }

  /**
   * Sends the acknowledgement of an update this client co-signed and stored. The node must take it, or the channel
   * stays blocked on its unanswered proposal: a refusal that may pass (its database away, the channel busy, rate
   * limited, an internal failure) is sent again after a pause; any other failure, or one that lasts, closes the
   * socket, and the next session's sync sends it again from the store (`ackOfStored`). `replayed`: a NONCE refusal
   * means the node stored it already (always so for a retry).
   */
  private async acknowledge(ack: Acknowledgement, replayed: boolean): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.wire.request("channel.acknowledge", { ack });
        return;
      } catch (error) {
        if (error instanceof RemoteError && error.code === "NONCE" && (replayed || attempt > 0)) return;
        const transient = error instanceof RemoteError && TRANSIENT.has(error.code);
        if (!transient || attempt + 1 >= ACK_ATTEMPTS) {
          void this.wire.close().catch(() => undefined);
          throw error;
        }
        await new Promise((r) => setTimeout(r, ACK_RETRY_MS * 2 ** attempt));
      }
    }
  }

  private updated(update: Update): void {
    notify(this.updateHandlers, update);
  }

  /** A proposal for one of this client's intents, re-delivered (its first answer was lost). */
  private async acceptRedelivered(proposal: Proposal): Promise<Acknowledgement> {
    for (const [id, { intent }] of this.outstanding) {
      try {
        const ack = await accept(this.channel, proposal, intent);
        await this.forget(id);
        return ack;
      } catch (error) {
        if (!(error instanceof TamperedUpdateError)) throw error;
      }
    }
    throw new MalformedUpdateError(
      `the node's proposal ${proposal.update.state.nonce} is proposed by this client, but matches none of its open intents`,
    );
  }

  /** Reads the intents of this channel a previous session stored and never saw answered. */
  private async loadIntents(): Promise<void> {
    for (const m of await this.options.store.outbox({ recipient: this.info.node })) {
      if (m.channel !== this.channel.address || !m.id.startsWith("intent:")) continue;
      try {
        this.outstanding.set(m.id, { intent: validate(updateDetails, m.body, "stored intent"), storedAt: m.createdAt, inFlight: false });
      } catch {
        await this.forget(m.id); // not an intent this version can read: it can match nothing
      }
    }
  }

  /**
   * After a sync: the node holds no signed proposal of this client's other than `pending` (at most one), so an
   * intent no call is running for, stored long enough ago that no request of an earlier socket can still reach
   * the node, can match nothing any more.
   */
  private async prune(pending: Proposal | undefined): Promise<void> {
    if (pending?.update.proposer === "bob" && this.channel.state.nonce < pending.update.state.nonce) return;
    const before = Date.now() - INTENT_STALE_MS;
    for (const [id, { inFlight, storedAt }] of [...this.outstanding]) {
      if (!inFlight && storedAt < before) await this.forget(id);
    }
  }

  private async forget(id: string): Promise<void> {
    this.outstanding.delete(id);
    await this.options.store.write({ delivered: [id] });
  }

  /** This client's signatures of the co-signed update it holds at `update`'s nonce, if it is the same content. */
  private async ackOfStored(update: Update): Promise<Acknowledgement> {
    const nonce = update.state.nonce;
    const [stored] = (await this.options.store.history(this.channel.address, nonce - 1n)).filter(
      (u) => u.update.state.nonce === nonce,
    );
    if (stored === undefined) throw new StoreError(`the store has no co-signed update ${nonce}`);
    if (this.contentOf(stored.update) !== this.contentOf(update)) {
      throw new ForkError(nonce, "the node proposes another content at a nonce this client already co-signed");
    }
    return { nonce, signatures: stored.bob };
  }

  private contentOf(update: Update): string {
    const setup = this.channel.channelSetup;
    return contentHash(payloadDigests(setup.chainId, setup.channel, payloadsOf(update)));
  }

  private checkSame(nonce: bigint, state: SignedState["state"]): void {
    const setup = this.channel.channelSetup;
    const own = this.channel.state;
    if (own.nonce !== nonce) return;
    if (stateDigest(setup.chainId, setup.channel, own) !== stateDigest(setup.chainId, setup.channel, state)) {
      throw new ForkError(nonce, "the node's co-signed state differs from this client's");
    }
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    // On the store's record (a commit of unknown outcome may have landed): `answer` reads the nonce before the Channel would.
    const run = this.queue.then(() => (this.channel.outdated ? this.channel.upToDate().then(task) : task()));
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** One of this client's intents the node may have signed: when it was stored (ms), and whether its `propose` runs. */
interface OutstandingIntent {
  readonly intent: Intent;
  readonly storedAt: number;
  inFlight: boolean;
}

function notify(handlers: ReadonlySet<(update: Update) => void>, update: Update): void {
  for (const h of handlers) {
    try {
      h(update);
    } catch {
      // a listener's failure is not the channel's
    }
  }
}

/** Refusals of an acknowledgement that may pass on their own (`acknowledge` sends it again). */
const TRANSIENT: ReadonlySet<string> = new Set(["UNAVAILABLE", "INTERNAL_ERROR", "CHANNEL_BUSY", "RATE_LIMITED"]);
const ACK_ATTEMPTS = 4;
const ACK_RETRY_MS = 200;
/** How old an unanswered intent must be before a sync that shows the node holds no proposal for it drops it. */
const INTENT_STALE_MS = 60_000;

/** The co-signed updates of a sync answer, for callers that audit them. */
export type SyncedUpdate = CoSignedUpdate;
