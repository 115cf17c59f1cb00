/**
 * The transaction service's vocabulary (src/node/transactions.ts): intents, outcomes, options, the fee
 * policy, its typed errors, and the pure helpers that classify a refused broadcast and compute fees.
 */
import type { Provider, Signer } from "ethers";
import type { Logger } from "pino";

import { SwitchyardError } from "../protocol/errors.js";
import type { ChainTxRecord, ChainTxStatus, SwitchyardStore } from "../stores/store.js";

/** What the caller wants sent. `id` names the intent: one record, one transaction, whatever the retries. */
export interface TxIntent {
  id: string;
  to: string;
  data: string;
  value?: bigint;
  /** Free text for operators (deposit, withdraw, refute...). */
  purpose: string;
  /** Default: the chain's estimate plus 25%. */
  gasLimit?: bigint;
}

/** A transaction that was mined successfully. */
export interface TxOutcome {
  id: string;
  hash: string;
  nonce: bigint;
  blockNumber: bigint;
  gasUsed: bigint;
  /** How many attempts (fee bumps + 1) were signed. */
  attempts: number;
}

export interface TxFeePolicy {
  /** Percent both fees rise per replacement (default 15; at least 10, what nodes require). */
  bumpPercent?: bigint;
  /** No attempt pays more per gas than this (default: no cap). */
  maxFeePerGas?: bigint;
}

export interface TransactionServiceOptions {
  store: SwitchyardStore;
  /** Signs the transactions (the node's key); it needs no provider. */
  signer: Signer;
  provider: Provider;
  chainId: bigint;
  fees?: TxFeePolicy;
  /** Milliseconds without a receipt after which an attempt is replaced with higher fees (default 60,000). */
  stuckAfterMs?: number;
  /** Milliseconds between receipt polls (default 1,000). */
  pollIntervalMs?: number;
  /** Unix milliseconds (default Date.now). */
  clock?: () => number;
  logger?: Logger;
  /** Called after a record changed, with the counts of open (queued + sent) and failed records. */
  onCounts?: (counts: { pending: number; failed: number }) => void;
  /** Test seam: called with the stored attempt after it is persisted and before it is broadcast. */
  beforeBroadcast?: (tx: ChainTxRecord) => void | Promise<void>;
}

/** The base class of the transaction service's errors. */
export class TransactionError extends SwitchyardError {}

/** An intent id that is stored with other calldata. */
export class IntentConflictError extends TransactionError {
  constructor(readonly id: string) {
    super("TX_INTENT_CONFLICT", `intent ${id} is stored with another target, calldata or value`);
  }
}

/** The transaction was mined and reverted. */
export class TxRevertedError extends TransactionError {
  constructor(
    readonly id: string,
    readonly hash: string,
    readonly reason: string,
  ) {
    super("TX_REVERTED", `transaction ${id} (${hash}) reverted: ${reason}`);
  }
}

/** The transaction was given up: never accepted by the chain, or its nonce was used by another transaction. */
export class TxFailedError extends TransactionError {
  constructor(
    readonly id: string,
    readonly reason: string,
  ) {
    super("TX_FAILED", `transaction ${id} failed: ${reason}`);
  }
}

/** The service stopped before the transaction's outcome was known (it resumes on the next start). */
export class TxServiceStoppedError extends TransactionError {
  constructor(readonly id: string) {
    super("TX_SERVICE_STOPPED", `the transaction service stopped while ${id} was open; it resumes on restart`);
  }
}

/** The statuses of a record still being driven. */
export const OPEN: readonly ChainTxStatus[] = ["queued", "sent"];
/** The smallest fee rise (percent) nodes accept for a replacement at the same nonce. */
export const MIN_BUMP = 10n;

/** Why a broadcast was refused: the node may already hold it (wait), or it never will (give up). */
export function broadcastRefusal(error: unknown): "known" | "transient" | "rejected" {
  const code = (error as { code?: unknown }).code;
  const text = (error instanceof Error ? error.message : String(error)).toLowerCase();
  if (code === "NONCE_EXPIRED" || code === "REPLACEMENT_UNDERPRICED") return "known";
  if (/already known|known transaction|nonce too low|underpriced|already imported/.test(text)) return "known";
  if (code === "NETWORK_ERROR" || code === "TIMEOUT" || code === "SERVER_ERROR") return "transient";
  if (/econnrefused|socket hang up|timeout/.test(text)) return "transient";
  return "rejected";
}

/** `value` raised by `percent`, rounded up. */
export const ceilPercent = (value: bigint, percent: bigint): bigint => (value * (100n + percent) + 99n) / 100n;

/** Both fees of an EIP-1559 attempt, per gas. */
export interface AttemptFees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/** `fees` with the max fee capped at `cap` and the tip never above the max fee. */
export function capFees(fees: AttemptFees, cap: bigint | undefined): AttemptFees {
  const maxFeePerGas = cap !== undefined && fees.maxFeePerGas > cap ? cap : fees.maxFeePerGas;
  const maxPriorityFeePerGas = fees.maxPriorityFeePerGas > maxFeePerGas ? maxFeePerGas : fees.maxPriorityFeePerGas;
  return { maxFeePerGas, maxPriorityFeePerGas };
}

/**
 * The fees of a replacement of `last`: each the larger of `last`'s raised by `bump` percent and the chain's
 * current one, then capped. `replaces` is false when the cap keeps either below the raise (nodes would refuse it).
 */
export function replacementFees(
  last: AttemptFees,
  current: AttemptFees,
  bump: bigint,
  cap: bigint | undefined,
): AttemptFees & { replaces: boolean } {
  const wantMax = ceilPercent(last.maxFeePerGas, bump);
  const wantTip = ceilPercent(last.maxPriorityFeePerGas, bump);
  const fees = capFees(
    {
      maxFeePerGas: current.maxFeePerGas > wantMax ? current.maxFeePerGas : wantMax,
      maxPriorityFeePerGas: current.maxPriorityFeePerGas > wantTip ? current.maxPriorityFeePerGas : wantTip,
    },
    cap,
  );
  return { ...fees, replaces: fees.maxFeePerGas >= wantMax && fees.maxPriorityFeePerGas >= wantTip };
}

/** The outcome a finished record stands for; `reason` is what this process learned of a failure. */
export function outcomeOf(record: ChainTxRecord, reason?: string): TxOutcome | Error {
  if (record.status === "failed") return new TxFailedError(record.id, reason ?? "given up earlier");
  const r = record.receipt;
  if (r === undefined) return new TxFailedError(record.id, `not mined (${record.status})`);
  if (r.status !== 1) return new TxRevertedError(record.id, r.hash, reason ?? "reverted");
  return {
    id: record.id,
    hash: r.hash,
    nonce: record.nonce as bigint,
    blockNumber: r.blockNumber,
    gasUsed: r.gasUsed,
    attempts: record.attempts.length,
  };
}

/** The callers waiting for each intent's outcome. */
export class Waiters {
  private readonly byId = new Map<string, Array<{ resolve: (o: TxOutcome) => void; reject: (e: Error) => void }>>();

  /** A promise of `id`'s outcome, settled by `settle`. */
  add(id: string): Promise<TxOutcome> {
    return new Promise<TxOutcome>((resolve, reject) => {
      const list = this.byId.get(id) ?? [];
      list.push({ resolve, reject });
      this.byId.set(id, list);
    });
  }

  settle(id: string, result: TxOutcome | Error): void {
    const list = this.byId.get(id);
    if (list === undefined) return;
    this.byId.delete(id);
    for (const w of list) {
      if (result instanceof Error) w.reject(result);
      else w.resolve(result);
    }
  }

  /** The ids waited for. */
  ids(): string[] {
    return [...this.byId.keys()];
  }
}
