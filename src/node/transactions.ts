/**
 * The node's transaction service: every on-chain transaction the node sends (deposits, withdrawals, the
 * watchers' disputes and claims) goes through one `TransactionService` per sender account.
 *
 * Rules, each kept across restarts because the store is the only source of truth:
 * - one record per intent: `send({ id, … })` with an id already stored joins that record (the same calldata is
 *   required, else IntentConflictError), so a retried intent never becomes a second transaction;
 * - persisted before broadcast: an intent is stored `queued` when `send` resolves; its first attempt (nonce,
 *   fees, hash of the signed transaction) is stored `sent` before the signed bytes leave the process; each fee
 *   bump is another attempt at the same nonce, stored before it is broadcast;
 * - one nonce in flight, in order, never a gap: the service drives one transaction at a time (the lowest stored
 *   nonce first, then the oldest queued intent), gives it `max(store's next nonce, the chain's pending count)`,
 *   and releases the nonce (clears it) only when no attempt ever reached the chain (a definite rejection);
 * - a stuck transaction (no receipt after `stuckAfterMs`) is signed again at its nonce with both fees raised by
 *   `bumpPercent` (at least the 10% a node needs to replace it), never above `maxFeePerGas`;
 * - a receipt is stored with the record (`mined`); a reverted one is reported as TxRevertedError;
 * - on restart (`start()`), a `sent` record is looked up on chain: its receipt is stored if it was mined, it is
 *   awaited if the chain knows it, and signed again at its nonce (a signed-but-not-sent attempt) if not.
 */
import { Transaction, type Provider, type Signer, type TransactionReceipt } from "ethers";
import type { Logger } from "pino";

import { checksum } from "../protocol/address.js";
import { revertReason } from "../chain/watcher.js";
import type { ChainTxAttempt, ChainTxRecord, SwitchyardStore } from "../stores/store.js";
import {
  MIN_BUMP,
  OPEN,
  TransactionError,
  IntentConflictError,
  TxFailedError,
  TxServiceStoppedError,
  Waiters,
  broadcastRefusal,
  outcomeOf,
  replacementFees,
  type TransactionServiceOptions,
  type TxIntent,
  type TxOutcome,
} from "./txTypes.js";
import { TxChain } from "./txChain.js";

export {
  IntentConflictError,
  TransactionError,
  TxFailedError,
  TxRevertedError,
  TxServiceStoppedError,
  type TransactionServiceOptions,
  type TxFeePolicy,
  type TxIntent,
  type TxOutcome,
} from "./txTypes.js";

export class TransactionService {
  readonly sender: string;
  private readonly waiters = new Waiters();
  private readonly bump: bigint;
  private readonly chain: TxChain;
  private running: Promise<void> | undefined;
  private dirty = false;
  private stopped = false;
  /** Resolves when `stop()` is called: ends any wait of the driver at once. */
  private readonly halted: Promise<void>;
  private halt: () => void = () => undefined;
  /** Attempts this process saw accepted by the chain's node (hash → true). */
  private readonly accepted = new Set<string>();
  /** Gas limits given with intents (an intent queued before a restart is estimated again). */
  private readonly gasLimits = new Map<string, bigint>();
  /** Why records failed or reverted (this process's knowledge; the store keeps the status and receipt). */
  private readonly reasons = new Map<string, string>();

  private constructor(
    private readonly options: TransactionServiceOptions,
    sender: string,
  ) {
    this.sender = checksum(sender);
    const bump = options.fees?.bumpPercent ?? 15n;
    if (bump < MIN_BUMP)
      throw new TransactionError("TX_CONFIG", `bumpPercent ${bump} is below the ${MIN_BUMP}% nodes require`);
    this.bump = bump;
    this.chain = new TxChain(options.provider, this.sender, options.fees?.maxFeePerGas);
    this.halted = new Promise((resolve) => (this.halt = resolve));
  }

  /** Creates the service and resumes every open record of its sender (see the module comment). */
  static async start(options: TransactionServiceOptions): Promise<TransactionService> {
    const service = new TransactionService(options, await options.signer.getAddress());
    service.kick();
    await service.report();
    return service;
  }

  /**
   * Records the intent (or joins the stored one with the same id) and schedules it; resolves once it is durable.
   * Await `wait(id)` (or use `submit`) for its outcome.
   */
  async send(intent: TxIntent): Promise<ChainTxRecord> {
    if (this.stopped) throw new TxServiceStoppedError(intent.id);
    const to = checksum(intent.to);
    const data = intent.data.toLowerCase();
    const value = intent.value ?? 0n;
    const existing = await this.options.store.chainTx(intent.id);
    if (existing !== undefined) {
      if (existing.to !== to || existing.data !== data || existing.value !== value)
        throw new IntentConflictError(intent.id);
      return existing;
    }
    const record: Omit<ChainTxRecord, "version"> = {
      id: intent.id,
      sender: this.sender,
      to,
      data,
      value,
      purpose: intent.purpose,
      status: "queued",
      attempts: [],
      createdAt: this.now(),
    };
    if (intent.gasLimit !== undefined) this.gasLimits.set(intent.id, intent.gasLimit);
    try {
      await this.options.store.write({ chainTxs: [{ tx: record, expectedVersion: 0 }] });
    } catch (error) {
      // The same intent sent concurrently: the other call's record won; join it (or refuse other calldata).
      const raced = await this.options.store.chainTx(intent.id);
      if (raced === undefined) throw error;
      if (raced.to !== to || raced.data !== data || raced.value !== value) throw new IntentConflictError(intent.id);
      return raced;
    }
    this.kick();
    await this.report();
    const stored = await this.options.store.chainTx(intent.id);
    return stored as ChainTxRecord;
  }

  /** The stored record of an intent. */
  record(id: string): Promise<ChainTxRecord | undefined> {
    return this.options.store.chainTx(id);
  }

  /** `send` then `wait`. */
  async submit(intent: TxIntent): Promise<TxOutcome> {
    await this.send(intent);
    return this.wait(intent.id);
  }

  /** The outcome of a stored intent: resolves when mined successfully; TxRevertedError, TxFailedError otherwise. */
  async wait(id: string): Promise<TxOutcome> {
    const promise = this.waiters.add(id);
    const record = await this.options.store.chainTx(id);
    if (record === undefined) this.waiters.settle(id, new TxFailedError(id, "no such intent is stored"));
    else if (!OPEN.includes(record.status)) this.waiters.settle(id, outcomeOf(record, this.reasons.get(record.id)));
    else if (this.stopped) this.waiters.settle(id, new TxServiceStoppedError(id));
    return promise;
  }

  /**
   * The id to use for a new intent named `base`: `base` itself, or `base#2`, `base#3`… past the records of
   * `base` that are over (failed, reverted, or — unless `reuseMined` — mined). An open record is joined.
   */
  async intentId(base: string, options: { reuseMined?: boolean } = {}): Promise<string> {
    for (let k = 1; ; k++) {
      const id = k === 1 ? base : `${base}#${k}`;
      const record = await this.options.store.chainTx(id);
      if (record === undefined || OPEN.includes(record.status)) return id;
      if (options.reuseMined === true && record.status === "mined" && record.receipt?.status === 1) return id;
    }
  }

  /** Stops driving transactions; open ones stay stored and resume on the next start. Waiters are rejected. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.halt();
    await this.running;
    for (const id of this.waiters.ids()) this.waiters.settle(id, new TxServiceStoppedError(id));
  }

  // ───────────────────────────── the driver ─────────────────────────────

  private kick(): void {
    this.dirty = true;
    if (this.running !== undefined || this.stopped) return;
    this.running = this.loop().finally(() => {
      this.running = undefined;
      if (this.dirty && !this.stopped) this.kick();
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.dirty = false;
      const next = await this.nextOpen();
      if (next === undefined) {
        if (this.dirty) continue;
        return;
      }
      try {
        await this.drive(next);
      } catch (error) {
        if (this.stopped) return;
        this.options.logger?.error({ err: error, tx: next.id }, "transaction service step failed; retrying");
        await this.sleep(this.pollMs());
      }
    }
  }

  /** The open record to drive: the lowest nonce already sent, else the oldest queued intent. */
  private async nextOpen(): Promise<ChainTxRecord | undefined> {
    const open = await this.options.store.chainTxs({ statuses: OPEN, sender: this.sender });
    const sent = open.filter((t) => t.status === "sent").sort((a, b) => Number((a.nonce ?? 0n) - (b.nonce ?? 0n)));
    if (sent[0] !== undefined) return sent[0];
    return open.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))[0];
  }

  private async drive(start: ChainTxRecord): Promise<void> {
    let record = start;
    if (record.status === "queued") {
      const first = await this.firstAttempt(record);
      if (first === undefined) return;
      record = first;
    } else {
      record = await this.resume(record);
      if (!OPEN.includes(record.status)) return;
    }
    let lastCount = -1n;
    while (!this.stopped) {
      const receipt = await this.receiptOf(record);
      if (receipt !== undefined) return void (await this.finish(record, receipt));
      const count = BigInt(await this.options.provider.getTransactionCount(this.sender, "latest"));
      if (count > (record.nonce as bigint)) {
        // The nonce was used; receipts can lag the count by a poll, so decide on the second look.
        if (lastCount === count) {
          return void (await this.fail(record, `nonce ${record.nonce} was used by another transaction`, false));
        }
        lastCount = count;
      }
      const last = record.attempts[record.attempts.length - 1] as ChainTxAttempt;
      if (this.now() - last.sentAt >= (this.options.stuckAfterMs ?? 60_000)) record = await this.replace(record);
      if (!OPEN.includes(record.status)) return;
      await this.sleep(this.pollMs());
    }
  }

  /** Estimates, assigns the nonce, signs, stores the attempt, then broadcasts. Undefined when it failed. */
  private async firstAttempt(record: ChainTxRecord): Promise<ChainTxRecord | undefined> {
    const { provider } = this.options;
    let gasLimit: bigint;
    try {
      gasLimit = await this.estimate(record);
    } catch (error) {
      await this.fail(record, `would revert: ${revertReason(error)}`, true);
      return undefined;
    }
    const stored = await this.options.store.nextNonce(this.sender);
    const pending = BigInt(await provider.getTransactionCount(this.sender, "pending"));
    const nonce = stored === undefined || pending > stored ? pending : stored;
    const fees = await this.chain.fees();
    return this.attempt({ ...record, nonce }, { ...fees, gasLimit });
  }

  /** After a restart: what became of a sent record's attempts. */
  private async resume(record: ChainTxRecord): Promise<ChainTxRecord> {
    const receipt = await this.receiptOf(record);
    if (receipt !== undefined) {
      await this.finish(record, receipt);
      return { ...record, status: "mined" };
    }
    const last = record.attempts[record.attempts.length - 1];
    if (last === undefined)
      return this.attempt(record, { ...(await this.chain.fees()), gasLimit: await this.estimate(record) });
    if (await this.knows(last.hash)) return record;
    this.options.logger?.warn(
      { tx: record.id, nonce: record.nonce?.toString() },
      "signed attempt unknown to the chain: signing again",
    );
    return this.replace(record, true);
  }

  /** A new attempt at the record's nonce with both fees raised by the bump (capped); unchanged if the cap stops it. */
  private async replace(record: ChainTxRecord, force = false): Promise<ChainTxRecord> {
    const last = record.attempts[record.attempts.length - 1] as ChainTxAttempt;
    const cap = this.options.fees?.maxFeePerGas;
    const fees = replacementFees(last, await this.chain.fees(), this.bump, cap);
    const gasLimit = last.gasLimit ?? (await this.estimate(record));
    if (!force && !fees.replaces) {
      this.options.logger?.warn({ tx: record.id, cap: cap?.toString() }, "stuck transaction at the fee cap: waiting");
      // Restart the stuck timer without a new attempt: the stored attempt's sentAt is only a local clock.
      return this.store(
        { ...record, attempts: [...record.attempts.slice(0, -1), { ...last, sentAt: this.now() }] },
        record.version,
      );
    }
    this.options.logger?.info(
      { tx: record.id, nonce: record.nonce?.toString(), maxFeePerGas: fees.maxFeePerGas.toString() },
      "replacing stuck transaction",
    );
    return this.attempt(record, {
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      gasLimit,
    });
  }

  /** Signs an attempt, stores it, then broadcasts it. */
  private async attempt(
    record: ChainTxRecord,
    fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint; gasLimit: bigint },
  ): Promise<ChainTxRecord> {
    const raw = await this.options.signer.signTransaction({
      type: 2,
      chainId: this.options.chainId,
      nonce: Number(record.nonce),
      to: record.to,
      data: record.data,
      value: record.value,
      gasLimit: fees.gasLimit,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
    const hash = Transaction.from(raw).hash as string;
    const attempt: ChainTxAttempt = { hash, ...fees, sentAt: this.now() };
    const stored = await this.store(
      { ...record, status: "sent", attempts: [...record.attempts, attempt] },
      record.version,
    );
    await this.options.beforeBroadcast?.(stored);
    try {
      await this.options.provider.broadcastTransaction(raw);
      this.accepted.add(hash);
    } catch (error) {
      // A chain may refuse the broadcast of a transaction it mined and reverted (Hardhat does): ask it.
      const kind = (await this.knows(hash)) ? "known" : broadcastRefusal(error);
      const everAccepted = stored.attempts.some((a) => this.accepted.has(a.hash));
      if (kind === "rejected" && !everAccepted && stored.attempts.length === 1) {
        await this.fail(stored, `refused by the chain: ${revertReason(error)}`, true);
        return { ...stored, status: "failed" };
      }
      this.options.logger?.warn({ tx: record.id, err: error, kind }, "broadcast refused; waiting for a receipt");
    }
    return stored;
  }

  /** True when the chain holds the transaction (pending or mined); remembers it as accepted. */
  private async knows(hash: string): Promise<boolean> {
    const found = await this.chain.knows(hash);
    if (found) this.accepted.add(hash);
    return found;
  }

  private receiptOf(record: ChainTxRecord): Promise<TransactionReceipt | undefined> {
    return this.chain.receiptOf(record.attempts);
  }

  private async estimate(record: ChainTxRecord): Promise<bigint> {
    return this.gasLimits.get(record.id) ?? this.chain.estimate(record);
  }

  private async finish(record: ChainTxRecord, receipt: TransactionReceipt): Promise<void> {
    const done = await this.store(
      {
        ...record,
        status: "mined",
        receipt: {
          hash: receipt.hash,
          blockNumber: BigInt(receipt.blockNumber),
          status: receipt.status ?? 0,
          gasUsed: receipt.gasUsed,
        },
      },
      record.version,
    );
    let reason: string | undefined;
    if (done.receipt?.status !== 1) {
      reason = await this.chain.replayReason(done, receipt.blockNumber);
      this.reasons.set(done.id, reason);
      this.options.logger?.error({ tx: done.id, hash: receipt.hash, reason }, "transaction reverted");
    }
    this.waiters.settle(done.id, outcomeOf(done, reason));
    await this.report();
  }

  /** Gives up a record; `release` clears its nonce (only when no attempt ever reached the chain). */
  private async fail(record: ChainTxRecord, reason: string, release: boolean): Promise<void> {
    const next: Omit<ChainTxRecord, "version"> = { ...record, status: "failed" };
    if (release) delete next.nonce;
    const stored = await this.store(next, record.version);
    this.reasons.set(record.id, reason);
    this.options.logger?.error({ tx: record.id, reason }, "transaction failed");
    this.waiters.settle(record.id, outcomeOf(stored, reason));
    await this.report();
  }

  // ───────────────────────────── plumbing ─────────────────────────────

  private async store(next: Omit<ChainTxRecord, "version">, expectedVersion: number): Promise<ChainTxRecord> {
    const { version: _drop, ...tx } = next as ChainTxRecord;
    await this.options.store.write({ chainTxs: [{ tx, expectedVersion }] });
    return { ...tx, version: expectedVersion + 1 };
  }

  private async report(): Promise<void> {
    const onCounts = this.options.onCounts;
    if (onCounts === undefined) return;
    const all = await this.options.store.chainTxs({ sender: this.sender });
    onCounts({
      pending: all.filter((t) => OPEN.includes(t.status)).length,
      failed: all.filter((t) => t.status === "failed" || (t.status === "mined" && t.receipt?.status !== 1)).length,
    });
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }

  private pollMs(): number {
    return this.options.pollIntervalMs ?? 1_000;
  }

  /** Waits `ms`, or less if the service stops meanwhile. */
  private async sleep(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), this.halted]);
    clearTimeout(timer);
  }
}
