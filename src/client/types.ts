/**
 * The public API of the Switchyard client (`@switchyard/protocol/client`): what a wallet or dApp passes to
 * `SwitchyardClient.connect`, what each action returns, the events it emits and the errors it throws.
 * Browser-safe (types only, and the error classes of ./errors.ts).
 *
 * One deliberate difference from the first sketch of this API: a routed `pay` takes the payee's **invoice**
 * (`lockHash`, made by the payee's `invoice()`), as Lightning does. The payee alone knows the preimage until it
 * claims the lock the node forwarded to it, so the node can never claim the payer's lock without paying the
 * payee; a payer-chosen preimage would have to reach the payee through the node, which could then take the
 * payment without forwarding it. `Invoice` has the fields `pay` needs, so `pay(invoice)` works as is.
 */
import type { Provider, Signer } from "ethers";

import type { ChannelSigner } from "../protocol/signing.js";
import type { Transfer } from "../protocol/transfers.js";
import type { ResolverPolicy } from "../protocol/types.js";
import type { SwitchyardStore } from "../stores/store.js";
import type { WebSocketConstructor } from "../wire/client.js";
import type { NodeInfo } from "../wire/methods.js";

export * from "./errors.js";

/** Reconnect policy: exponential backoff with full jitter between `initialMs` and `maxMs`. */
export interface ReconnectOptions {
  /** First delay before a reconnect attempt (default 250 ms). */
  initialMs?: number;
  /** Largest delay between attempts (default 10 s). */
  maxMs?: number;
  /** Attempts before the client gives up and emits `connection` "failed" (default: unbounded). */
  maxAttempts?: number;
}

export interface ClientOptions {
  /** The node's WebSocket endpoint, ws://host:port/v1. */
  node: string;
  /** The user's key: an SDK ChannelSigner (local key, EIP-1193 wallet) or an ethers Signer. */
  signer: ChannelSigner | Signer;
  /** The client's own store (MemoryStore / IndexedDB in a browser, SQLite in a Node.js wallet). */
  store: SwitchyardStore;
  /**
   * The chain: deposit claims are checked against it, the watcher runs on it (with `watch`), and `deposit`,
   * `withdraw` and `close` send their transactions through it. Without it those three throw ChainRequiredError.
   */
  chain?: Provider;
  /**
   * Who pays gas for `withdraw` / `close` / `deposit` (default: `signer` when it is an ethers Signer, connected
   * to `chain` if it has no provider).
   */
  sender?: Signer;
  /** The WebSocket constructor (default: globalThis.WebSocket; in Node.js pass `WebSocket` from "ws"). */
  WebSocket?: WebSocketConstructor;
  reconnect?: ReconnectOptions | false;
  /** Run the chain watcher for this client's channel (default: true when `chain` and a sender are given). */
  watch?: boolean;
  /** Milliseconds between the watcher's polls (default 4000). */
  watchIntervalMs?: number;
  /** Unix seconds (default: the system clock). */
  clock?: () => bigint;
  /** Per request to the node (default 10 s). */
  requestTimeoutMs?: number;
  /** Default `pay` timeout (default 30 s). */
  paymentTimeoutMs?: number;
  /** The resolvers the client accepts (default: the node's hashlock and signed-transfer resolvers). */
  resolvers?: readonly ResolverPolicy[];
}

/** One asset of the channel, from this client's side. */
export interface AssetBalance {
  asset: string;
  /** This client's free balance (what it can pay or withdraw). */
  mine: bigint;
  /** The node's free balance (what it can pay this client: inbound capacity). */
  node: bigint;
  /** Locked in active transfers this client initiated (its pending payments). */
  lockedByMe: bigint;
  /** Locked in active transfers the node initiated to this client (incoming, not yet claimed). */
  lockedToMe: bigint;
}

/** Balances by checksummed asset address. */
export type Balances = Record<string, AssetBalance>;

export interface DepositParams {
  asset: string;
  amount: bigint;
  /** Who sends the plain transfer (default: the client's `sender`). */
  from?: Signer;
}

export interface DepositResult {
  asset: string;
  amount: bigint;
  /** The deposit transaction. */
  tx: string;
  /** The channel's cumulative on-chain deposits of this client after the reconcile. */
  totalDeposited: bigint;
  /** The co-signed nonce of the reconcile update. */
  nonce: bigint;
  balance: AssetBalance;
}

/** What a payee hands its payer (out of band: a QR code, a link, a message). */
export interface Invoice {
  /** The payee's address. */
  to: string;
  asset: string;
  amount: bigint;
  /** sha256 of the payee's secret preimage (kept in the payee's store). */
  lockHash: string;
}

export interface InvoiceParams {
  asset: string;
  amount: bigint;
}

export interface PayParams {
  to: string;
  asset: string;
  /** What the payee receives; the node's fee comes on top (PaymentResult.fee). */
  amount: bigint;
  /** The payee's invoice lock hash. */
  lockHash: string;
  /** Rejects with PaymentTimeoutError after this (default: ClientOptions.paymentTimeoutMs). */
  timeoutMs?: number;
}

export interface PaymentResult {
  lockHash: string;
  to: string;
  asset: string;
  /** What the payee received. */
  amount: bigint;
  /** The node's fee (the upstream lock minus the payee's amount). */
  fee: bigint;
  /** The payer's upstream lock. */
  transferId: string;
  /** The preimage the payee revealed: the payer's receipt. */
  preimage: string;
  status: "completed";
}

export interface PayNodeParams {
  asset: string;
  amount: bigint;
}

/** A plain transfer between the two parties of the channel (one co-signed update). */
export interface TransferResult {
  asset: string;
  amount: bigint;
  nonce: bigint;
  balance: AssetBalance;
}

export type ConditionalParams =
  | {
      kind: "hashlock";
      asset: string;
      amount: bigint;
      lockHash: string;
      /** Unix seconds after which the lock can only be refunded. */
      expiry: bigint;
      /** The transfer's settle window (default: the channel's timeout). */
      timeout?: bigint;
    }
  | {
      kind: "signed";
      asset: string;
      amount: bigint;
      /** The address whose EIP-712 outcome signature resolves the transfer. */
      signer: string;
      timeout?: bigint;
    };

export interface ConditionalResult {
  transferId: string;
  transfer: Transfer;
  nonce: bigint;
}

export type ResolveParams =
  | { transferId: string; preimage: string }
  | { transferId: string; resolverData: string; toResponder: bigint };

export interface ResolveResult {
  transferId: string;
  toResponder: bigint;
  nonce: bigint;
}

export interface WithdrawParams {
  asset: string;
  amount: bigint;
  recipient: string;
}

export interface WithdrawResult {
  asset: string;
  amount: bigint;
  recipient: string;
  /** The withdraw commitment's nonce. */
  withdrawNonce: bigint;
  tx: string;
  blockNumber: number;
  gasUsed: bigint;
}

export interface ClosePayout {
  asset: string;
  mine: bigint;
  node: bigint;
}

export interface CloseResult {
  /** The final state's nonce. */
  nonce: bigint;
  tx: string;
  blockNumber: number;
  gasUsed: bigint;
  payouts: ClosePayout[];
}

// ───────────────────────────── events ─────────────────────────────

export interface PaymentReceivedEvent {
  /** "routed": a lock the node forwarded for one of this client's invoices, claimed; "plain": the node paid directly. */
  kind: "routed" | "plain";
  asset: string;
  amount: bigint;
  /** The co-signed nonce that credited this client. */
  nonce: bigint;
  /** The invoice's lock hash (routed payments). */
  lockHash?: string;
  /** The lock the node forwarded to this client, now claimed (routed payments). */
  transferId?: string;
}

export interface PaymentCompletedEvent {
  lockHash: string;
  asset: string;
  /** The payer's upstream lock amount (the payee's amount plus the fee). */
  amount: bigint;
  transferId: string;
}

export interface PaymentFailedEvent {
  lockHash: string;
  status: string;
  reason: string;
}

export interface DepositEvent {
  asset: string;
  /** Cumulative on-chain deposits of this client after the reconcile. */
  totalDeposited: bigint;
  /** Cumulative on-chain deposits of the node after the reconcile. */
  totalDepositedByNode: bigint;
  nonce: bigint;
}

export interface DisputeEvent {
  /** What the watcher saw or did. */
  kind: "disputed" | "answered" | "defunded" | "error";
  /** The nonce of the state disputed on chain (when known). */
  nonce?: bigint;
  tx?: string;
  detail: string;
}

export type ConnectionStatus = "open" | "lost" | "reconnecting" | "restored" | "failed" | "closed";

export interface ConnectionEvent {
  status: ConnectionStatus;
  /** The reconnect attempt (for "reconnecting"). */
  attempt?: number;
  /** Milliseconds until that attempt. */
  delayMs?: number;
  error?: Error;
}

export interface ClientEvents {
  "payment-received": PaymentReceivedEvent;
  "payment-completed": PaymentCompletedEvent;
  "payment-failed": PaymentFailedEvent;
  deposit: DepositEvent;
  dispute: DisputeEvent;
  connection: ConnectionEvent;
  /** An error of something the client did on its own (a refused push, a failed auto-claim); never thrown. */
  error: Error;
}

export type ClientEventName = keyof ClientEvents;

/** The client, as an interface (SwitchyardClient implements it). */
export interface SwitchyardClientApi {
  /** The user's address (protocol `bob`). */
  readonly address: string;
  /** The channel with the node. */
  readonly channelAddress: string;
  /** What the node announced at login (its address, chain, deployment, limits, fees). */
  readonly nodeInfo: NodeInfo;
  /** Whether the socket is open (it reconnects on its own when it is not). */
  readonly connected: boolean;

  deposit(params: DepositParams): Promise<DepositResult>;
  /** Makes an invoice: a fresh preimage kept in the store, its lock hash handed to the payer. */
  invoice(params: InvoiceParams): Promise<Invoice>;
  /** Pays an invoice through the node: locks amount + fee to the node and resolves once the payee claimed. */
  pay(params: PayParams): Promise<PaymentResult>;
  /** Pays the node directly: one plain transfer update. */
  payNode(params: PayNodeParams): Promise<TransferResult>;
  conditional(params: ConditionalParams): Promise<ConditionalResult>;
  resolve(params: ResolveParams): Promise<ResolveResult>;
  withdraw(params: WithdrawParams): Promise<WithdrawResult>;
  close(): Promise<CloseResult>;
  balances(): Balances;
  /** The node's fee for a routed payment of `amount` of `asset`. */
  feeFor(asset: string, amount: bigint): bigint;
  on<E extends ClientEventName>(event: E, handler: (event: ClientEvents[E]) => void): () => void;
  /** Brings the channel up to date with the node (ForkError when the node's history forks from this store's). */
  sync(): Promise<void>;
  disconnect(): Promise<void>;
}
