/**
 * SwitchyardClient: a wallet's or dApp's whole view of its channel with one node, one awaited call per action
 * (docs/SDK.md "API reference"). Built on ClientSession (src/wire/session.ts): the node signs every update first,
 * the client checks it is exactly its intent before it signs. Every action checks what it can before anything is
 * signed (balance, transfer cap, a closed channel), so a refusal costs nothing and changes nothing. Browser-safe:
 * no Node.js built-ins; in Node.js pass `WebSocket` from "ws".
 */
import { ZeroAddress, type Provider, type Signer } from "ethers";

import { ChannelReader } from "../chain/reader.js";
import type { Watcher } from "../chain/watcher.js";
import type { Intent } from "../channel/sequencing.js";
import { checksum } from "../protocol/address.js";
import { ChannelClosedError, CommitmentError, TransferCapError } from "../protocol/errors.js";
import { hashlockTerms } from "../protocol/policies.js";
import { encodeHashlockResolution, hashlockLock } from "../protocol/resolvers.js";
import type { SignedState } from "../protocol/record.js";
import { ethersSigner, type ChannelSigner } from "../protocol/signing.js";
import { transferId } from "../protocol/transfers.js";
import type { Update } from "../protocol/types.js";
import type { WebSocketConstructor } from "../wire/client.js";
import type { NodeInfo } from "../wire/methods.js";
import type { ClientSession, ClientSessionOptions, Route } from "../wire/session.js";
import { balanceOf, balancesOf } from "./balances.js";
import { conditionalTransfer, routedLock } from "./conditions.js";
import { Connection } from "./connection.js";
import { Emitter } from "./emitter.js";
import {
  AmountError,
  ChainRequiredError,
  InsufficientBalanceError,
  NodeOverloadedError,
  NodeUnavailableError,
  PayeeUnavailableError,
  PaymentTimeoutError,
} from "./errors.js";
import { clientError } from "./failures.js";
import { ensureDeployed, sendClose, sendDeposit, sendWithdraw } from "./onchain.js";
import { Payments } from "./payments.js";
import type {
  AssetBalance,
  Balances,
  ClientEventName,
  ClientEvents,
  ClientOptions,
  CloseResult,
  ConditionalParams,
  ConditionalResult,
  DepositParams,
  DepositResult,
  Invoice,
  InvoiceParams,
  PaymentResult,
  PayNodeParams,
  PayParams,
  ResolveParams,
  ResolveResult,
  SwitchyardClientApi,
  TransferResult,
  WithdrawParams,
  WithdrawResult,
} from "./types.js";
import { watchChannel } from "./watch.js";

const PPM = 1_000_000n;
const MAX_UINT256 = (1n << 256n) - 1n;

/** A stable text of update details (bigints as decimal strings), to recognise an intent among stored updates. */
function canonical(details: Intent): string {
  return JSON.stringify(details, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : typeof v === "string" ? v.toLowerCase() : v));
}

function isChannelSigner(s: ChannelSigner | Signer): s is ChannelSigner {
  return typeof (s as Partial<Signer>).signTypedData !== "function" && typeof (s as ChannelSigner).sign === "function";
}

export class SwitchyardClient implements SwitchyardClientApi {
  private readonly events = new Emitter<ClientEvents>();
  private connection!: Connection;
  private session!: ClientSession;
  private watcher: Watcher | undefined;
  private readonly payments: Payments;

  private constructor(
    private readonly options: ClientOptions,
    private readonly signer: ChannelSigner,
  ) {
    this.payments = new Payments({
      store: options.store,
      events: this.events,
      address: () => this.signer.address,
      node: () => this.session.info.node,
      hashlock: () => this.session.info.deployment.HashlockResolver,
      session: () => this.connection.current(),
    });
  }

  /** Logs in to the node, opens or restores the channel (verified) and syncs it; starts the watcher with `chain`. */
  static async connect(options: ClientOptions): Promise<SwitchyardClient> {
    const signer = isChannelSigner(options.signer) ? options.signer : await ethersSigner(options.signer);
    // Delegate rather than spread: a signer that is a class instance (Eip1193Signer) keeps its methods and `this`.
    const channelSigner: ChannelSigner = { address: checksum(signer.address), sign: (request) => signer.sign(request) };
    const client = new SwitchyardClient(options, channelSigner);
    await client.start();
    return client;
  }

  private async start(): Promise<void> {
    const WebSocketCtor = this.options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (WebSocketCtor === undefined)
      throw new NodeUnavailableError(this.options.node, 'no WebSocket constructor: pass `WebSocket` (from "ws" in Node.js)');
    const sessionOptions: ClientSessionOptions = {
      url: this.options.node,
      WebSocket: WebSocketCtor,
      signer: this.signer,
      store: this.options.store,
      ...(this.options.resolvers !== undefined ? { resolvers: this.options.resolvers } : {}),
      ...(this.options.clock !== undefined ? { clock: this.options.clock } : {}),
      ...(this.options.chain !== undefined ? { chain: this.options.chain } : {}),
      ...(this.options.requestTimeoutMs !== undefined ? { timeoutMs: this.options.requestTimeoutMs } : {}),
    };
    this.connection = new Connection(sessionOptions, this.options.reconnect, this.events, {
      payment: (n) => this.payments.onNotice(n),
      update: (u) => this.onNodeUpdate(u),
      // A lock co-signed after its pay() failed: its record is taken up again from the channel now, not at a reconnect.
      lateIntent: (s) => void this.payments.reconcile(s).catch((e: unknown) => this.events.emit("error", e instanceof Error ? e : new Error(String(e)))),
      opened: async (s, first) => {
        this.session = s;
        if (first) await this.payments.load();
        await this.payments.reconcile(s);
      },
    });
    try {
      await this.connection.start();
    } catch (error) {
      throw clientError(error, { url: this.options.node, node: this.options.node });
    }
    this.startWatcher();
  }

  /** The user's address (protocol `bob`). */
  get address(): string {
    return this.signer.address;
  }

  get channelAddress(): string {
    return this.session.channel.address;
  }

  get nodeInfo(): NodeInfo {
    return this.session.info;
  }

  get connected(): boolean {
    return this.connection.connected;
  }

  balances(): Balances {
    return balancesOf(this.session.channel);
  }

  /** The node's advertised fee for a routed payment of `amount`: flat + ceil(amount · ppm / 10^6). */
  feeFor(asset: string, amount: bigint): bigint {
    const fees = this.nodeInfo.fees;
    const f = fees.assets.find((a) => a.asset === checksum(asset)) ?? fees.default;
    return f.flat + (amount * f.ppm + PPM - 1n) / PPM;
  }

  on<E extends ClientEventName>(event: E, handler: (event: ClientEvents[E]) => void): () => void {
    return this.events.on(event, handler);
  }

  // ───────────────────────────── actions ─────────────────────────────

  /** Bob's deposit: a plain transfer to the channel (created on chain first if it is not), then the reconcile. */
  async deposit(params: DepositParams): Promise<DepositResult> {
    const asset = checksum(params.asset);
    const { chain, sender } = this.chainAccess("deposit", params.from);
    if (params.amount <= 0n) throw new AmountError(params.amount, "deposit");
    const s = await this.ready();
    this.checkOpen(s);
    const mined = await sendDeposit(sender, s.channel.address, asset, params.amount);
    const totals = await new ChannelReader(chain, s.channel.address).deposits()(asset).catch(() => undefined);
    if (totals === undefined) {
      // Not deployed yet (CREATE2: the funds wait at the address): create it so its totals can be read.
      await ensureDeployed(sender, chain, await this.identity(s));
    }
    const onchain = totals ?? (await new ChannelReader(chain, s.channel.address).deposits()(asset));
    const state = await this.propose({ type: "deposit", asset, totalDepositsAlice: onchain.alice, totalDepositsBob: onchain.bob });
    this.events.emit("deposit", { asset, totalDeposited: onchain.bob, totalDepositedByNode: onchain.alice, nonce: state.state.nonce });
    return { asset, amount: params.amount, tx: mined.tx, totalDeposited: onchain.bob, nonce: state.state.nonce, balance: this.balance(asset) };
  }

  async invoice(params: InvoiceParams): Promise<Invoice> {
    if (params.amount <= 0n) throw new AmountError(params.amount, "invoice");
    return this.payments.invoice(params.asset, params.amount);
  }

  async pay(params: PayParams): Promise<PaymentResult> {
    const timeoutMs = params.timeoutMs ?? this.options.paymentTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    const s = await this.ready();
    this.checkOpen(s);
    const asset = checksum(params.asset);
    const to = checksum(params.to);
    const lockHash = params.lockHash.toLowerCase();
    if (params.amount <= 0n) throw new AmountError(params.amount, "pay");
    if (to === this.address) throw new PayeeUnavailableError(to, "unknown", "a client cannot pay itself through its node");
    const fee = this.feeFor(asset, params.amount);
    const total = params.amount + fee;
    this.checkSpend(s, asset, total, "pay");
    const { lock, route } = routedLock(s, this.now(), { asset, amount: total, payeeAmount: params.amount, lockHash, to });
    const id = transferId(lock);
    await this.payments.begin(lockHash, { role: "payer", to, asset, amount: params.amount, fee, transferId: id });
    const settled = this.payments.settled(lockHash);
    settled.catch(() => undefined); // awaited below, or abandoned with the lock
    try {
      await this.sendLock({ type: "create", transfer: lock }, route, to);
    } catch (error) {
      // Refused before the node signed (OVERLOADED): nothing can surface later, so the record is closed ("refused")
      // and the invoice may be paid again; any other failure may hide a lock the node signed ("abandoned").
      await (error instanceof NodeOverloadedError ? this.payments.refuse(lockHash) : this.payments.abandon(lockHash));
      throw error;
    }
    await this.payments.locked(lockHash);
    return this.awaitSettled(settled, lockHash, to, deadline, timeoutMs);
  }

  /** Pays the node directly: one plain transfer update (no lock, no fee). */
  async payNode(params: PayNodeParams): Promise<TransferResult> {
    const s = await this.ready();
    this.checkOpen(s);
    const asset = checksum(params.asset);
    this.checkSpend(s, asset, params.amount, "pay the node");
    const state = await this.propose({ type: "plain", asset, amount: params.amount });
    return { asset, amount: params.amount, nonce: state.state.nonce, balance: this.balance(asset) };
  }

  /** A conditional transfer to the node (hashlock or signed), for apps that resolve it themselves. */
  async conditional(params: ConditionalParams): Promise<ConditionalResult> {
    const s = await this.ready();
    this.checkOpen(s);
    const asset = checksum(params.asset);
    this.checkSpend(s, asset, params.amount, "lock");
    const transfer = conditionalTransfer(s, params);
    const state = await this.propose({ type: "create", transfer });
    return { transferId: transferId(transfer), transfer, nonce: state.state.nonce };
  }

  /** Resolves an active transfer the node locked to this client, with its evidence. */
  async resolve(params: ResolveParams): Promise<ResolveResult> {
    const s = await this.ready();
    this.checkOpen(s);
    const id = params.transferId.toLowerCase();
    const active = s.channel.transfers.get(id);
    if (active === undefined) throw new CommitmentError(`transfer ${id} is not active in this channel`);
    const resolverData = "preimage" in params ? encodeHashlockResolution(params.preimage) : params.resolverData;
    const toResponder = "preimage" in params ? active.transfer.amount : params.toResponder;
    if ("preimage" in params && hashlockTerms(active.transfer.data).lockHash.toLowerCase() !== hashlockLock(params.preimage).toLowerCase())
      throw new CommitmentError(`the preimage does not open the lock of transfer ${id}`);
    const state = await this.propose({ type: "resolve", transferId: id, toResponder, resolverData });
    return { transferId: id, toResponder, nonce: state.state.nonce };
  }

  /** Co-signs a withdraw commitment, sends it on chain (creating the channel first if needed) and awaits it. */
  async withdraw(params: WithdrawParams): Promise<WithdrawResult> {
    const { chain, sender } = this.chainAccess("withdraw");
    const s = await this.ready();
    this.checkOpen(s);
    const asset = checksum(params.asset);
    this.checkSpend(s, asset, params.amount, "withdraw", false);
    const withdrawNonce = s.channel.snapshot().nextWithdrawNonce;
    const commitment = { asset, recipient: checksum(params.recipient), amount: params.amount, nonce: withdrawNonce, callTo: ZeroAddress, callData: "0x" };
    await this.propose({ type: "withdraw", party: "bob", commitment });
    const record = await this.options.store.load(s.channel.address);
    const signed = record?.withdrawals.find((w) => w.commitment.nonce === withdrawNonce);
    if (signed === undefined) throw new CommitmentError(`the store holds no co-signed withdraw ${withdrawNonce}`);
    await ensureDeployed(sender, chain, await this.identity(s));
    const mined = await sendWithdraw(sender, s.channel.address, signed);
    return { asset, amount: params.amount, recipient: commitment.recipient, withdrawNonce, ...mined };
  }

  /** Closes the channel cooperatively: co-signs the final state, sends it on chain and awaits it. */
  async close(): Promise<CloseResult> {
    const { chain, sender } = this.chainAccess("close");
    const s = await this.ready();
    this.checkOpen(s);
    const locked = s.channel.transfers.size;
    if (locked > 0) throw new ChannelClosedError(`cannot close with ${locked} active transfer(s): resolve or wait for them`);
    await this.propose({ type: "close" });
    const record = await this.options.store.load(s.channel.address);
    const final = record?.final;
    if (final === undefined) throw new CommitmentError("the store holds no co-signed final state");
    await ensureDeployed(sender, chain, await this.identity(s));
    const mined = await sendClose(sender, s.channel.address, final);
    this.watcher?.stop();
    return {
      nonce: final.state.nonce,
      ...mined,
      payouts: final.state.assets.map((a) => ({ asset: a.asset, mine: a.balanceBob, node: a.balanceAlice })),
    };
  }

  /** Brings the channel up to date with the node now (another device of this user may have moved it). */
  async sync(): Promise<void> {
    const s = await this.ready();
    try {
      await s.sync();
    } catch (error) {
      throw clientError(error, { url: this.options.node, node: s.info.node });
    }
    await this.payments.reconcile(s);
  }

  /** Closes the socket and stops reconnecting and watching (the store stays as it is). */
  async disconnect(): Promise<void> {
    this.payments.stopRetries();
    this.watcher?.stop();
    this.watcher = undefined;
    await this.connection.stop();
  }

  // ───────────────────────────── internals ─────────────────────────────

  private onNodeUpdate(update: Update): void {
    const d = update.details;
    if (d.type === "deposit") {
      this.events.emit("deposit", {
        asset: d.asset,
        totalDeposited: d.totalDepositsBob,
        totalDepositedByNode: d.totalDepositsAlice,
        nonce: update.state.nonce,
      });
    }
    this.payments.onNodeUpdate(update);
  }

  private async ready(): Promise<ClientSession> {
    return this.connection.ready(this.options.requestTimeoutMs ?? 10_000);
  }

  /**
   * One of this client's updates through the node, errors named (src/client/failures.ts). When the socket drops
   * before the answer, the client waits for its reconnect (whose sync re-delivers the node's signed proposal, or
   * re-sends this client's acknowledgement of it) and answers from the channel: the update applied, or
   * NodeUnavailableError when the node never signed it (then nothing moved).
   */
  private async propose(intent: Intent, route?: Route, payee?: string): Promise<SignedState> {
    const s = await this.ready();
    const from = s.channel.state.nonce;
    const deadline = Date.now() + (this.options.requestTimeoutMs ?? 10_000);
    try {
      return await s.propose(intent, route);
    } catch (error) {
      const named = clientError(error, { url: this.options.node, node: s.info.node, ...(payee !== undefined ? { payee } : {}) });
      if (!(named instanceof NodeUnavailableError)) throw named;
      // Signed by both and stored here before the link failed: applied (the node gets the acknowledgement again
      // from the next sync).
      const here = await this.appliedSince(s, from, intent);
      if (here !== undefined) return here;
      const again = await this.connection.ready(Math.max(0, deadline - Date.now())).catch(() => undefined);
      const applied = again === undefined ? undefined : await this.appliedSince(again, from, intent);
      if (applied !== undefined) return applied;
      throw new NodeUnavailableError(this.options.node, `the update was not applied (${named.message}); nothing moved`);
    }
  }

  /** This client's update for `intent` co-signed after nonce `from`, if the channel holds one. */
  private async appliedSince(s: ClientSession, from: bigint, intent: Intent): Promise<SignedState | undefined> {
    const want = canonical(intent);
    for (const c of await this.options.store.history(s.channel.address, from)) {
      if (c.update.proposer !== "bob" || canonical(c.update.details) !== want) continue;
      const state = c.update.state;
      return { state, aliceSignature: c.alice.state ?? "", bobSignature: c.bob.state ?? "" };
    }
    return undefined;
  }

  /** Sends the routed lock (a reconnect in between is handled by `propose`). */
  private async sendLock(intent: Intent, route: Route, payee: string): Promise<void> {
    await this.propose(intent, route, payee);
  }

  private async awaitSettled(settled: Promise<PaymentResult>, lockHash: string, to: string, deadline: number, timeoutMs: number): Promise<PaymentResult> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const status = this.payments.statusOf(lockHash) ?? "unknown";
        reject(
          status === "forwarded"
            ? new PayeeUnavailableError(to, "offline", `the node forwarded the lock ${lockHash} but the payee did not claim it within ${timeoutMs} ms; it completes or is refunded later (payment-completed / payment-failed)`)
            : new PaymentTimeoutError(lockHash, timeoutMs, status),
        );
      }, Math.max(0, deadline - Date.now()));
    });
    try {
      return await Promise.race([settled, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private now(): bigint {
    return this.options.clock?.() ?? BigInt(Math.floor(Date.now() / 1000));
  }

  private balance(asset: string): AssetBalance {
    return balanceOf(this.session.channel, asset);
  }

  private checkOpen(s: ClientSession): void {
    if (s.channel.isClosed) throw new ChannelClosedError("the channel is closed cooperatively: nothing more can be paid or withdrawn");
  }

  /** Refuses before anything is signed: a non-positive amount, one above the free balance or the transfer cap. */
  private checkSpend(s: ClientSession, asset: string, amount: bigint, what: string, capped = true): void {
    if (amount <= 0n) throw new AmountError(amount, what);
    const available = balanceOf(s.channel, asset).mine;
    if (amount > available) throw new InsufficientBalanceError(asset, amount, available, what);
    const cap = s.info.limits.assets.find((a) => a.asset === asset)?.transferCap ?? MAX_UINT256;
    if (capped && amount > cap) throw new TransferCapError(asset, amount, cap);
  }

  private chainAccess(what: string, from?: Signer): { chain: Provider; sender: Signer } {
    const chain = this.options.chain;
    const base = from ?? this.options.sender ?? (isChannelSigner(this.options.signer) ? undefined : this.options.signer);
    if (chain === undefined || base === undefined) throw new ChainRequiredError(what);
    return { chain, sender: base.provider === null ? base.connect(chain) : base };
  }

  private async identity(s: ClientSession): Promise<{ channel: string; factory: string; alice: string; bob: string; salt: string }> {
    const got = await s.wire.request("channel.get");
    const factory = s.info.deployment.ChannelFactory;
    if (factory === undefined) throw new CommitmentError("the node names no ChannelFactory");
    return { channel: s.channel.address, factory, alice: s.info.node, bob: this.address, salt: got.salt };
  }

  private startWatcher(): void {
    const chain = this.options.chain;
    if (chain === undefined || this.options.watch === false) return;
    const base = this.options.sender ?? (isChannelSigner(this.options.signer) ? undefined : this.options.signer);
    if (base === undefined) return;
    this.watcher = watchChannel({
      provider: chain,
      sender: base.provider === null ? base.connect(chain) : base,
      owner: this.signer,
      channel: this.channelAddress,
      store: this.options.store,
      events: this.events,
      latestNonce: () => this.session.channel.latest?.state.nonce ?? 0n,
      ...(this.options.watchIntervalMs !== undefined ? { pollIntervalMs: this.options.watchIntervalMs } : {}),
    });
  }
}
