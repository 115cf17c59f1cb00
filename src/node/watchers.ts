/**
 * The node's watchers: the SDK's `Watcher` (src/chain/watcher.ts), one per channel the node's store holds,
 * with every transaction it sends going through the node's TransactionService (persisted, nonce-managed,
 * fee-bumped, resumed after a restart). Each poll lists the store's channels, so a channel opened since the
 * last poll is watched from then on; a channel not yet deployed on chain is skipped until it is.
 *
 * A watcher answers a stale dispute with the latest co-signed state, defunds, disputes and settles the
 * transfers the node can claim (it holds the preimage) before their deadline, refunds the node's own after it,
 * and withdraws the node's exits. `dispute(channel)` starts a unilateral exit (Node.tick's `mustDispute`).
 * `stop()` ends the polling and waits for the poll in flight (SIGTERM).
 */
import {
  AbstractSigner,
  hexlify,
  keccak256,
  resolveAddress,
  type Provider,
  type Signer,
  type TransactionRequest,
  type TransactionResponse,
} from "ethers";
import type { Logger } from "pino";

import { checksum } from "../protocol/address.js";
import type { SettledTransfer } from "../chain/settlements.js";
import { type ChainHead, Watcher, readChainHead, type TickReport, type WatcherAction } from "../chain/watcher.js";
import type { ChannelStore } from "../stores/store.js";
import { TransactionError, type TransactionService } from "./transactions.js";

/**
 * An ethers Signer whose `sendTransaction` hands the call to the transaction service (one intent per
 * channel and calldata; an open intent with the same calldata is joined, not sent twice) and resolves with
 * the mined transaction. It signs nothing itself: the service does.
 */
export class ServiceSigner extends AbstractSigner {
  constructor(
    private readonly transactions: TransactionService,
    provider: Provider,
    private readonly channel: string,
  ) {
    super(provider);
  }

  getAddress(): Promise<string> {
    return Promise.resolve(this.transactions.sender);
  }

  connect(): Signer {
    throw new TransactionError("TX_SIGNER", "a ServiceSigner is bound to its transaction service");
  }

  signTransaction(): Promise<string> {
    return Promise.reject(new TransactionError("TX_SIGNER", "transactions are signed by the transaction service"));
  }

  signMessage(): Promise<string> {
    return Promise.reject(new TransactionError("TX_SIGNER", "a ServiceSigner signs no messages"));
  }

  signTypedData(): Promise<string> {
    return Promise.reject(new TransactionError("TX_SIGNER", "a ServiceSigner signs no typed data"));
  }

  override async sendTransaction(request: TransactionRequest): Promise<TransactionResponse> {
    if (request.to === undefined || request.to === null)
      throw new TransactionError("TX_SIGNER", "a watcher transaction needs a target");
    const to = await resolveAddress(request.to);
    const data = hexlify(request.data ?? "0x");
    const selector = data.slice(0, 10);
    const id = await this.transactions.intentId(`watch:${this.channel}:${keccak256(data)}`);
    const outcome = await this.transactions.submit({
      id,
      to,
      data,
      ...(request.value !== undefined && request.value !== null ? { value: BigInt(request.value) } : {}),
      ...(request.gasLimit !== undefined && request.gasLimit !== null ? { gasLimit: BigInt(request.gasLimit) } : {}),
      purpose: `watcher ${selector} on ${this.channel}`,
    });
    const provider = this.provider as Provider;
    const tx = await provider.getTransaction(outcome.hash);
    if (tx === null)
      throw new TransactionError("TX_SIGNER", `mined transaction ${outcome.hash} is unknown to the provider`);
    return tx;
  }
}

export interface NodeWatchersOptions {
  provider: Provider;
  transactions: TransactionService;
  /** The node's store: every channel it holds is watched. */
  store: ChannelStore;
  /** Milliseconds between polls after `start()` (default 4,000). */
  pollIntervalMs?: number;
  logger?: Logger;
  /** Each transfer settlement seen on chain (the routing Node learns the preimages payees used: learnPreimagesFor). */
  onTransferSettled?: (settled: SettledTransfer) => void | Promise<void>;
  /** Called with each channel's tick report (a report with actions or skips is also logged). */
  onReport?: (channel: string, report: TickReport) => void;
}

/**
 * How long one read of the chain's head serves the channels of a pass (ms): well under a block time, so a channel
 * ticked later in the pass sees the chain's time at most this much late.
 */
const HEAD_REUSE_MS = 1_000;

export class NodeWatchers {
  private readonly watchers = new Map<string, Watcher>();
  private readonly deployed = new Set<string>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private inFlight: Promise<unknown> | undefined;
  private stopped = false;

  constructor(private readonly options: NodeWatchersOptions) {}

  /** The channels watched now. */
  get channels(): string[] {
    return [...this.watchers.keys()];
  }

  /** The watcher of `channel` (created on first use). */
  watch(channel: string): Watcher {
    const address = checksum(channel);
    let watcher = this.watchers.get(address);
    if (watcher === undefined) {
      const o = this.options;
      watcher = new Watcher({
        provider: o.provider,
        sender: new ServiceSigner(o.transactions, o.provider, address),
        channel: address,
        store: o.store,
        ...(o.onTransferSettled !== undefined ? { onTransferSettled: o.onTransferSettled } : {}),
      });
      this.watchers.set(address, watcher);
    }
    return watcher;
  }

  /** Watches every channel of the store; returns the channels watched. */
  async watchAll(): Promise<string[]> {
    for (const channel of await this.options.store.channels()) this.watch(channel);
    return this.channels;
  }

  /**
   * One pass: every channel of the store (new ones included) that is deployed on chain is ticked. A channel's
   * failure is logged and does not stop the others. Returns the reports by channel.
   */
  async tick(): Promise<Map<string, TickReport>> {
    const reports = new Map<string, TickReport>();
    await this.watchAll();
    // One read of the chain's head serves the channels ticked within HEAD_REUSE_MS of it (not two reads per channel).
    let head: { value: ChainHead; at: number } | undefined;
    for (const [channel, watcher] of this.watchers) {
      if (this.stopped) break;
      try {
        if (!(await this.isDeployed(channel))) continue;
        if (head === undefined || Date.now() - head.at > HEAD_REUSE_MS) {
          const at = Date.now();
          head = { value: await readChainHead(this.options.provider), at };
        }
        const report = await watcher.tick(head.value);
        if (report.actions.length > 0) head = undefined; // its transactions moved the chain on
        reports.set(channel, report);
        if (report.actions.length > 0 || report.skipped.length > 0) {
          this.options.logger?.info(
            { channel, phase: report.phase, actions: report.actions, skipped: report.skipped },
            "watcher acted",
          );
        }
        this.options.onReport?.(channel, report);
      } catch (error) {
        this.options.logger?.error({ channel, err: error }, "watcher tick failed");
      }
    }
    return reports;
  }

  /** Opens a dispute of `channel` with the node's latest co-signed state (through the transaction service). */
  dispute(channel: string): Promise<WatcherAction> {
    return this.watch(channel).dispute();
  }

  /**
   * Opens a dispute of each channel not yet disputed (Node.tick's `mustDispute`, mapped to the node's channels
   * with those peers): a channel already in a dispute, or closed, is left to the passes. Returns what was sent.
   */
  async disputeWhereNeeded(channels: readonly string[]): Promise<WatcherAction[]> {
    const sent: WatcherAction[] = [];
    for (const channel of channels) {
      const report = await this.watch(channel).tick();
      if (report.phase !== "none") continue;
      sent.push(await this.dispute(channel));
    }
    return sent;
  }

  /** Polls every `pollIntervalMs` until `stop()`; a poll is skipped while the previous one runs. */
  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = setInterval(() => {
      if (this.inFlight !== undefined) return;
      // A pass that fails as a whole (the store unavailable while its database restarts) is logged and the next
      // one tries again: a rejection here would be unhandled and end the node process.
      this.inFlight = this.tick()
        .catch((error: unknown) => this.options.logger?.error({ err: error }, "watcher pass failed"))
        .finally(() => (this.inFlight = undefined));
    }, this.options.pollIntervalMs ?? 4_000);
    this.timer.unref();
  }

  /** Stops polling and waits for the poll in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight?.catch(() => undefined);
  }

  private async isDeployed(channel: string): Promise<boolean> {
    if (this.deployed.has(channel)) return true;
    const code = await this.options.provider.getCode(channel);
    if (code === "0x") return false;
    this.deployed.add(channel);
    return true;
  }
}
