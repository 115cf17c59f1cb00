/**
 * One party's side of one channel: ties the pure state machine, the signer and the store together, and
 * enforces the two safety rules of the SDK through its API:
 * - persist before a signature leaves the process: `propose` and `receive` return the party's signatures only
 *   after the store has durably recorded them (and what they sign);
 * - never sign twice for the same nonce with different content: before signing, the next nonce's stored
 *   signature (if any) must have the same content, else DoubleSignError.
 *
 * An update runs in three messages:
 *   proposer.propose(details) → Proposal ─► receiver.receive(proposal) → Acknowledgement ─► proposer.complete(ack)
 * The receiver checks the update (state machine) and the proposer's signatures before it signs and stores; the
 * proposer checks the receiver's signatures before it stores. A bad message throws a typed error and changes
 * nothing, in memory or in the store.
 *
 * Every method that stores something takes an optional `also` (a WriteUnit: a node's payment record, an outbox
 * message...) that the store commits in the same transaction as the channel's entry (both durable or neither).
 */
import { checksum } from "../protocol/address.js";
import { hashingReady } from "../protocol/hashes.js";
import { DepositError, DoubleSignError, MalformedUpdateError, NonceError, ReopenError, StoreError, TamperedUpdateError } from "../protocol/errors.js";
import { rememberContent, type ChannelRecord, type CoSignedUpdate, type PendingSignature, type SignedState, type StoreEntry } from "../protocol/record.js";
import { contentHash, payloadDigests, signPayloads, verifyPayloads } from "../protocol/signing.js";
import type { CallProvider, ChannelSigner, PayloadDigests, PayloadSignatures } from "../protocol/signing.js";
import { FIRST_WITHDRAW_NONCE, SHAPE_CHECKED, applyUpdate, genesisState, nextState, payloadsOf } from "../protocol/stateMachine.js";
import type { ChannelSnapshot } from "../protocol/stateMachine.js";
import type { ClosePayout } from "../protocol/reopen.js";
import { canonicalUpdate } from "../protocol/shapes.js";
import { sameDetails } from "./fastIntent.js";
import { checkDepositClaim, checkReopenPayouts, readClosePayoutsOf } from "./chainChecks.js";
import { checkSigner, normalizeDetails, normalizeSetup } from "./normalize.js";
import { checkedAcknowledgement, checkedAsset, checkedCoSignedUpdate, checkedDetails, checkedProposal, checkedResolution } from "./validate.js";
import { isSwitchyardStore, type ChannelStore, type WriteUnit } from "../stores/store.js";
import type { ChannelState } from "../protocol/typedData.js";
import { TransferSet, type TransferPlan } from "../protocol/transfers.js";
import type { ChannelSetup, DeploymentLimits, Party, ResolverPolicy, Update, UpdateContext, UpdateDetails } from "../protocol/types.js";

/** An update and the proposer's signatures of its payloads. */
export interface Proposal {
  update: Update;
  signatures: PayloadSignatures;
}

/** The receiver's signatures of a proposal's payloads. */
export interface Acknowledgement {
  nonce: bigint;
  signatures: PayloadSignatures;
}

/** Reads a channel's cumulative on-chain deposits of an asset (IChannelCore.totalDepositsAlice / Bob). */
export type DepositReader = (asset: string) => Promise<{ alice: bigint; bob: bigint }>;

/**
 * Reads what the on-chain close of the final state with nonce `finalNonce` paid, asset by asset (its
 * `AssetDefunded` events, in order: `readClosePayouts` in src/chain/closePayouts.ts over an ethers provider).
 * Throws when that close is not on chain.
 */
export type ClosePayoutReader = (finalNonce: bigint) => Promise<readonly ClosePayout[]>;

export interface ChannelConfig {
  setup: ChannelSetup;
  /** Which party this process is. */
  me: Party;
  signer: ChannelSigner;
  store: ChannelStore;
  limits: DeploymentLimits;
  /** The resolvers this party accepts in transfers. */
  resolvers: readonly ResolverPolicy[];
  /** Unix time in seconds (default: the system clock). */
  clock?: () => bigint;
  /** A chain connection: verifies an ERC-1271 counter-party's signatures on chain. */
  chain?: CallProvider;
  /**
   * Reads on-chain deposits: `proposeDeposit` uses it, and a received deposit may not claim more. Without it a
   * received deposit is refused (DepositError), unless `trustDepositsWithoutChain` says otherwise.
   */
  deposits?: DepositReader;
  /**
   * Signs received deposit claims without reading the chain (within capacity only): the counter-party can then
   * credit itself deposits nobody made. For tests and offline tools only; a `Node` refuses such channels.
   */
  trustDepositsWithoutChain?: boolean;
  /** Reads what a close paid on chain: `proposeReopen` needs it, and a received reopen is checked against it. */
  closePayouts?: ClosePayoutReader;
}

const systemClock = (): bigint => BigInt(Math.floor(Date.now() / 1000));

export class Channel {
  private readonly setup: ChannelSetup;
  private readonly resolverMap: ReadonlyMap<string, ResolverPolicy>;
  private readonly counterparty: Party;
  private transferSet!: TransferSet;
  private current!: ChannelState;
  private latestSigned: SignedState | undefined;
  private nextWithdrawNonce!: bigint;
  private closed!: boolean;
  /** This party's signature of the next nonce, its digests, and (unless reloaded) the transfers change it makes. */
  private pendingProposal: { pending: PendingSignature; digests: PayloadDigests; plan?: TransferPlan } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** The store's doubtful commits (ChannelStore.doubtfulCommits) when this copy was last read from it. */
  private doubtsSeen: number;

  private constructor(
    private readonly config: ChannelConfig,
    record: ChannelRecord,
    doubtsSeen: number,
  ) {
    this.doubtsSeen = doubtsSeen;
    this.setup = record.setup;
    this.counterparty = config.me === "alice" ? "bob" : "alice";
    this.resolverMap = new Map(config.resolvers.map((r) => [checksum(r.address), r]));
    this.adopt(record);
  }

  /** Takes `record` (as the store holds it) as this party's in-memory copy. */
  private adopt(record: ChannelRecord): void {
    this.transferSet = TransferSet.from(record.transfers.map((t) => t.transfer));
    this.current = record.state;
    this.latestSigned = record.latest;
    this.nextWithdrawNonce = record.nextWithdrawNonce;
    this.closed = record.closed;
    if (this.transferSet.root !== record.state.transfersRoot.toLowerCase()) {
      throw new StoreError(`stored transfers give root ${this.transferSet.root}, the state says ${record.state.transfersRoot}`);
    }
    const p = record.pending;
    this.pendingProposal = p === undefined ? undefined : { pending: p, digests: payloadDigests(this.setup.chainId, this.setup.channel, payloadsOf(p.update)) };
  }

  /** Re-reads the record from the store (several node processes on one database: another one may have moved it), in turn. */
  reload(): Promise<void> {
    return this.serialize(() => this.readAgain());
  }

  /**
   * True when a commit of this channel's store failed with an unknown outcome since this copy was read (it may have
   * landed, this copy may be behind the store): the next method re-reads the record first (`upToDate` at once).
   */
  get outdated(): boolean {
    return (this.config.store.doubtfulCommits ?? 0) !== this.doubtsSeen;
  }

  /** Resolves once this copy is the store's (re-read if `outdated`), after every earlier task of this channel. */
  upToDate(): Promise<void> {
    return this.serialize(async () => undefined);
  }

  private async readAgain(): Promise<void> {
    const doubts = this.config.store.doubtfulCommits ?? 0; // read before the load: a later doubt reads again
    this.config.store.evict?.(this.setup.channel);
    const record = await this.config.store.load(this.setup.channel);
    if (record === undefined) throw new StoreError(`the store does not hold channel ${this.setup.channel}`);
    this.adopt(record);
    this.doubtsSeen = doubts;
  }

  /** Creates the channel in the store at its genesis state (nonce 0) and opens it. */
  static async create(config: ChannelConfig): Promise<Channel> {
    const setup = normalizeSetup(config.setup);
    checkSigner(config, setup);
    await hashingReady(); // the WebAssembly hashers (same digests, ~10× faster); at once after the first time
    const record: ChannelRecord = {
      setup,
      me: config.me,
      state: genesisState(setup, config.limits),
      transfers: [],
      nextWithdrawNonce: FIRST_WITHDRAW_NONCE,
      withdrawals: [],
      closed: false,
      resolutions: {},
    };
    const doubts = config.store.doubtfulCommits ?? 0;
    await config.store.create(record);
    return new Channel({ ...config, setup }, record, doubts);
  }

  /** Opens a channel the store holds (after a restart). */
  static async open(config: ChannelConfig): Promise<Channel> {
    await hashingReady();
    const doubts = config.store.doubtfulCommits ?? 0;
    const record = await config.store.load(config.setup.channel);
    if (record === undefined) throw new StoreError(`the store does not hold channel ${config.setup.channel}`);
    if (record.me !== config.me) throw new StoreError(`the store holds this channel for ${record.me}, not ${config.me}`);
    checkSigner(config, record.setup);
    return new Channel(config, record, doubts);
  }

  get address(): string {
    return this.setup.channel;
  }

  /** Which party this process is in the channel. */
  get me(): Party {
    return this.config.me;
  }

  /** The channel's fixed setup (chain, address, parties, dispute timeout). */
  get channelSetup(): ChannelSetup {
    return { ...this.setup };
  }

  /** The latest state (co-signed, or the genesis state). */
  get state(): ChannelState {
    return this.current;
  }

  /** The latest co-signed state with both signatures (undefined before the first update). */
  get latest(): SignedState | undefined {
    return this.latestSigned;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The active transfers (read them; change them only through updates). */
  get transfers(): TransferSet {
    return this.transferSet;
  }

  /** The proposal this party signed and is waiting to complete, if any. */
  get pending(): Proposal | undefined {
    const p = this.pendingProposal?.pending;
    return p === undefined ? undefined : { update: p.update, signatures: p.signatures };
  }

  /** The merkle proof of an active transfer against the current transfers root. */
  proof(transferId: string): string[] {
    return this.transferSet.proof(transferId);
  }

  /** True when received deposit claims are checked against the chain (a deposit reader is configured). */
  get checksDeposits(): boolean {
    return this.config.deposits !== undefined;
  }

  /** The store this channel writes to. */
  get store(): ChannelStore {
    return this.config.store;
  }

  /** Proposes an update: checks it, signs it, stores the signature (with `also`), then returns it to send. */
  propose(details: UpdateDetails, also?: WriteUnit): Promise<Proposal> {
    return this.proposeAs(this.config.me, details, also);
  }

  /**
   * Like `propose`, with the update's `proposer` (the state machine's party: a transfer's initiator, a
   * resolution's responder, the withdrawing party) chosen by the caller. With the counter-party as proposer,
   * this party signs the counter-party's intent first (the sequencer's rule, src/channel/sequencing.ts); a
   * deposit then needs the deposit reader and may claim no more than the chain holds.
   */
  proposeAs(proposer: Party, details: UpdateDetails, also?: WriteUnit): Promise<Proposal> {
    return this.serialize(async () => {
      details = checkedDetails(details, this.setup.channel); // nothing unchecked reaches the state machine or the signer
      // A reopen is signed only with the payouts of the close as this party reads them on chain.
      if (details.type === "reopen" && !this.closed) throw new ReopenError("only a channel closed cooperatively can be reopened");
      if (details.type === "reopen") await this.checkReopen(details.payouts);
      // `details` is checkedDetails' fresh output, held by nothing else: its shape is not checked a second time.
      const transition = nextState(this.snapshot(), proposer, details, this.context(), SHAPE_CHECKED);
      if (proposer !== this.config.me && details.type === "deposit") await this.checkDeposit(details.asset, details, true);
      const update: Update = { proposer, details: normalizeDetails(details, transition), state: transition.state };
      const digests = payloadDigests(this.setup.chainId, this.setup.channel, transition.payloads);
      const content = contentHash(digests);
      const pending = this.pendingProposal?.pending;
      if (pending !== undefined && pending.nonce === update.state.nonce) {
        if (pending.content !== content) throw new DoubleSignError(pending.nonce, pending.content, content);
        if (also !== undefined) await this.persist(undefined, also);
        return { update: pending.update, signatures: pending.signatures }; // resend what was signed
      }
      const signatures = await signPayloads(this.config.signer, this.setup.chainId, this.setup.channel, transition.payloads, digests);
      rememberContent(this.setup, update, content);
      const entry: PendingSignature = { nonce: update.state.nonce, content, update, signatures };
      await this.persist({ kind: "signed", pending: entry }, also);
      this.pendingProposal = { pending: entry, digests, ...(transition.transfers ? { plan: transition.transfers } : {}) };
      return { update, signatures };
    });
  }

  /** Reads the on-chain deposits of `asset` and proposes reconciling them. */
  async proposeDeposit(asset: string): Promise<Proposal> {
    asset = checkedAsset(asset);
    const reader = this.config.deposits;
    if (reader === undefined) throw new DepositError(asset, "no deposit reader configured");
    const totals = await reader(asset);
    return this.propose({ type: "deposit", asset, totalDepositsAlice: totals.alice, totalDepositsBob: totals.bob });
  }

  /**
   * Proposes the next life cycle of a channel whose close is on chain (PROTOCOL.md §8): reads what the close
   * paid and proposes the reopen state (balances 0, processed deposits at the totals the close paid against,
   * each defund nonce + 1). Deposits made after the close are then reconciled by `proposeDeposit`.
   */
  async proposeReopen(): Promise<Proposal> {
    const payouts = await this.readClosePayouts();
    return this.propose({ type: "reopen", payouts });
  }

  /**
   * Receives the counter-party's proposal: checks the update and its signatures, signs it, stores the
   * co-signed update, and returns this party's signatures. Throws a typed error and changes nothing on any
   * bad input.
   */
  receive(proposal: Proposal, also?: WriteUnit, intent?: UpdateDetails): Promise<Acknowledgement> {
    return this.serialize(async () => {
      proposal = checkedProposal(proposal, this.setup.channel);
      const { update } = proposal;
      const proposer = intent === undefined ? this.counterparty : this.config.me;
      if (update?.proposer !== proposer) {
        throw new MalformedUpdateError(
          intent === undefined
            ? `a received update must be proposed by ${this.counterparty}`
            : `the update signed for this party's intent must have ${this.config.me} as its proposer`,
        );
      }
      // `update` is checkedProposal's fresh output, held by nothing else: its shape is not checked a second time.
      const transition = applyUpdate(this.snapshot(), update, this.context(), SHAPE_CHECKED);
      const details = normalizeDetails(update.details, transition);
      // A deposit claim is read on chain, except when it is exactly this party's own intent (checked just below).
      if (details.type === "deposit" && intent === undefined) await this.checkDeposit(details.asset, details, false);
      const digests = payloadDigests(this.setup.chainId, this.setup.channel, transition.payloads);
      const content = contentHash(digests);
      // Details identical to the intent (sameDetails) made `transition` as the intent would: nothing to compare.
      if (intent !== undefined && !sameDetails(intent, update.details)) {
        // Exactly this party's intent on this party's latest state: the same payloads, so the same content. An
        // intent that no longer applies there (one already applied, whose outbox entry outlived a lost answer)
        // cannot be what was signed: it is not this proposal's intent, the caller may try its other intents.
        let own: ReturnType<typeof nextState>;
        try {
          own = nextState(this.snapshot(), this.config.me, intent, this.context());
        } catch (error) {
          const why = error instanceof Error ? error.message : String(error);
          throw new TamperedUpdateError("intent", `update ${update.state.nonce} is not this party's intent: the intent no longer applies on its latest state (${why})`);
        }
        const ownContent = contentHash(payloadDigests(this.setup.chainId, this.setup.channel, own.payloads));
        if (ownContent !== content) {
          throw new TamperedUpdateError("intent", `update ${update.state.nonce} is not this party's intent on its latest state`);
        }
      }
      if (details.type === "reopen") await this.checkReopen(details.payouts);
      await verifyPayloads(this.partyAddress(this.counterparty), digests, proposal.signatures, this.config.chain);
      const pending = this.pendingProposal?.pending;
      if (pending !== undefined && pending.nonce === transition.state.nonce && pending.content !== content) {
        throw new DoubleSignError(pending.nonce, pending.content, content);
      }
      const mine = await signPayloads(this.config.signer, this.setup.chainId, this.setup.channel, transition.payloads, digests);
      const stored: Update = { proposer, details, state: transition.state };
      rememberContent(this.setup, stored, content);
      await this.commit(stored, transition.transfers, this.cosigned(stored, transition.transfers, proposal.signatures, mine), also);
      return { nonce: stored.state.nonce, signatures: mine };
    });
  }

  /** Completes this party's pending proposal with the counter-party's acknowledgement. */
  complete(ack: Acknowledgement, also?: WriteUnit): Promise<void> {
    return this.serialize(async () => {
      ack = checkedAcknowledgement(ack);
      const pending = this.pendingProposal;
      if (pending === undefined) throw new NonceError(this.current.nonce + 1n, ack.nonce);
      if (ack.nonce !== pending.pending.nonce) throw new NonceError(pending.pending.nonce, ack.nonce);
      await verifyPayloads(this.partyAddress(this.counterparty), pending.digests, ack.signatures, this.config.chain);
      const { update } = pending.pending;
      const plan = pending.plan ?? this.planOf(update);
      await this.commit(update, plan, this.cosigned(update, plan, ack.signatures, pending.pending.signatures), also);
    });
  }

  /**
   * Takes a co-signed update the counter-party holds for the next nonce (after a crash cut this party off
   * between proposing and completing). Both signatures are checked; this party's own valid signature shows it
   * agreed to the update. Nothing of the counter-party's copy is stored as given: the update is checked for shape
   * (bigint amounts, addresses, hex; MalformedUpdateError) and rebuilt in the SDK's canonical form, the transfer
   * id is recomputed from the transfer and the transfers root from the active transfers (StoreError on a
   * mismatch), so the stored copy is the one the signatures cover and can be disputed and resolved later.
   */
  restore(cosigned: CoSignedUpdate, also?: WriteUnit): Promise<void> {
    return this.serialize(async () => {
      cosigned = checkedCoSignedUpdate(cosigned);
      const update = canonicalUpdate(cosigned.update);
      const expected = this.current.nonce + 1n;
      if (update.state.nonce !== expected) throw new NonceError(expected, update.state.nonce);
      const digests = payloadDigests(this.setup.chainId, this.setup.channel, payloadsOf(update));
      await verifyPayloads(this.setup.alice, digests, cosigned.alice, this.config.chain);
      await verifyPayloads(this.setup.bob, digests, cosigned.bob, this.config.chain);
      const plan = this.planOf(update);
      const theirs = this.config.me === "alice" ? cosigned.bob : cosigned.alice;
      const mine = this.config.me === "alice" ? cosigned.alice : cosigned.bob;
      await this.commit(update, plan, this.cosigned(update, plan, theirs, mine), also);
    });
  }

  /** Records evidence learned for a transfer (e.g. a preimage learned downstream), durably. */
  learnResolution(transferId: string, resolverData: string, also?: WriteUnit): Promise<void> {
    return this.serialize(async () => this.persist({ kind: "resolution", ...checkedResolution(transferId, resolverData) }, also));
  }

  // ───────────────────────────── internals ─────────────────────────────

  /** What the on-chain close of this channel's final state paid (src/channel/chainChecks.ts). */
  private readClosePayouts(): Promise<ClosePayout[]> {
    return readClosePayoutsOf(this.config.closePayouts, this.closed, this.current.nonce);
  }

  /** A reopen names exactly what the close paid on chain, as this party reads it. */
  private async checkReopen(payouts: readonly ClosePayout[]): Promise<void> {
    checkReopenPayouts(await this.readClosePayouts(), payouts);
  }

  /** A deposit claims no more than the chain holds (`required`: signing the counter-party's intent first). */
  private checkDeposit(asset: string, d: { totalDepositsAlice: bigint; totalDepositsBob: bigint }, required: boolean): Promise<void> {
    return checkDepositClaim(this.config.deposits, this.config.trustDepositsWithoutChain === true, asset, d, required);
  }

  /** What the state machine reads of this channel now. */
  snapshot(): ChannelSnapshot {
    return { state: this.current, transfers: this.transferSet, nextWithdrawNonce: this.nextWithdrawNonce, closed: this.closed };
  }

  private context(): UpdateContext {
    return { setup: this.setup, limits: this.config.limits, resolvers: this.resolverMap, now: (this.config.clock ?? systemClock)() };
  }

  private partyAddress(party: Party): string {
    return party === "alice" ? this.setup.alice : this.setup.bob;
  }

  private cosigned(update: Update, plan: TransferPlan | undefined, theirs: PayloadSignatures, mine: PayloadSignatures): CoSignedUpdate {
    const mineIsAlice = this.config.me === "alice";
    const added = plan?.added;
    return {
      update,
      ...(added !== undefined ? { transferId: added.id } : {}),
      alice: mineIsAlice ? mine : theirs,
      bob: mineIsAlice ? theirs : mine,
    };
  }

  /** The transfers change an already-checked update makes (no rule is re-run: the update was signed). */
  private planOf(update: Update): TransferPlan | undefined {
    const d = update.details;
    const plan =
      d.type === "create" ? this.transferSet.planAdd(d.transfer) : d.type === "resolve" ? this.transferSet.planRemove(d.transferId) : undefined;
    const root = plan?.root ?? this.transferSet.root;
    if (d.type !== "close" && root !== update.state.transfersRoot.toLowerCase()) {
      throw new StoreError(`update ${update.state.nonce} gives transfers root ${root}, its state says ${update.state.transfersRoot}`);
    }
    return plan;
  }

  /** Writes this channel's entry (if any) and `also` in one unit; without `also`, through the ChannelStore call. */
  private async persist(entry: StoreEntry | undefined, also: WriteUnit | undefined): Promise<void> {
    const store = this.config.store;
    const channel = this.setup.channel;
    if (also === undefined) {
      if (entry?.kind === "signed") await store.putSigned(channel, entry.pending);
      else if (entry?.kind === "cosigned") await store.putCoSigned(channel, entry.cosigned);
      else if (entry?.kind === "resolution") await store.putResolution(channel, entry.transferId, entry.resolverData);
      return;
    }
    if (!isSwitchyardStore(store)) throw new StoreError("this channel's store cannot commit a unit of work (the legacy file store)");
    const own = entry === undefined ? [] : [{ op: "entry" as const, channel, entry }];
    await store.write({ ...also, channels: [...own, ...(also.channels ?? [])] });
  }

  /** Stores a co-signed update (with `also`), then (only once it is durable) applies it in memory. */
  private async commit(update: Update, plan: TransferPlan | undefined, cosigned: CoSignedUpdate, also?: WriteUnit): Promise<void> {
    await this.persist({ kind: "cosigned", cosigned }, also);
    if (plan !== undefined) this.transferSet.apply(plan);
    const d = update.details;
    if (d.type === "withdraw") this.nextWithdrawNonce = d.commitment.nonce + 1n;
    if (d.type === "close") this.closed = true;
    else {
      if (d.type === "reopen") this.closed = false;
      this.latestSigned = {
        state: update.state,
        aliceSignature: cosigned.alice.state as string,
        bobSignature: cosigned.bob.state as string,
      };
    }
    this.current = update.state;
    this.pendingProposal = undefined;
  }

  /**
   * Runs `task` after every earlier task of this channel, on the store's record: after a commit whose outcome is
   * unknown (a write this copy saw fail may have landed) the record is read again first, so no update goes on
   * from a copy behind the store (the chaos run's "co-signed nonce 67 does not follow the stored nonce 67").
   */
  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => (this.outdated ? this.readAgain().then(task) : task()));
    this.queue = run.catch(() => undefined);
    return run;
  }
}
