/**
 * What the transaction service asks the chain: whether it knows a transaction, the receipt of any of a
 * record's attempts, a gas estimate, the current fees (capped), and why a mined call reverted.
 */
import type { Provider, TransactionReceipt } from "ethers";

import { revertReason } from "../chain/watcher.js";
import type { ChainTxAttempt, ChainTxRecord } from "../stores/store.js";
import { capFees, type AttemptFees } from "./txTypes.js";

export class TxChain {
  constructor(
    private readonly provider: Provider,
    private readonly sender: string,
    private readonly maxFeePerGas: bigint | undefined,
  ) {}

  /** True when the chain holds the transaction (pending or mined); false when it does not or cannot say. */
  async knows(hash: string): Promise<boolean> {
    try {
      return (await this.provider.getTransaction(hash)) !== null;
    } catch {
      return false;
    }
  }

  /** The receipt of whichever attempt was mined (newest first), if any. */
  async receiptOf(attempts: readonly ChainTxAttempt[]): Promise<TransactionReceipt | undefined> {
    for (const a of [...attempts].reverse()) {
      const receipt = await this.provider.getTransactionReceipt(a.hash);
      if (receipt !== null) return receipt;
    }
    return undefined;
  }

  /** The chain's gas estimate plus 25%; throws (the call would revert) as the provider does. */
  async estimate(record: Pick<ChainTxRecord, "to" | "data" | "value">): Promise<bigint> {
    const estimate = await this.provider.estimateGas({
      from: this.sender,
      to: record.to,
      data: record.data,
      value: record.value,
    });
    return (estimate * 5n) / 4n;
  }

  /** The chain's current EIP-1559 fees (its gas price on a legacy chain), within the cap. */
  async fees(): Promise<AttemptFees> {
    const data = await this.provider.getFeeData();
    const fees = {
      maxFeePerGas: data.maxFeePerGas ?? data.gasPrice ?? 0n,
      maxPriorityFeePerGas: data.maxPriorityFeePerGas ?? data.gasPrice ?? 0n,
    };
    return capFees(fees, this.maxFeePerGas);
  }

  /** The revert reason, by replaying the call on the state before its block (best effort). */
  async replayReason(record: Pick<ChainTxRecord, "to" | "data" | "value">, blockNumber: number): Promise<string> {
    try {
      await this.provider.call({
        from: this.sender,
        to: record.to,
        data: record.data,
        value: record.value,
        blockTag: Math.max(blockNumber - 1, 0),
      });
      return "reverted (the call succeeds on the state before its block)";
    } catch (error) {
      return revertReason(error);
    }
  }
}
