/**
 * Typed reads of one channel's on-chain state through any chain connection that can `eth_call` (an ethers
 * Provider fits), decoded with the SDK's own ABI (abi.ts).
 */
import type { Result } from "ethers";

import { channelInterface } from "./abi.js";
import { checksum } from "../protocol/address.js";
import type { DepositReader } from "../channel/channel.js";
import type { CallProvider } from "../protocol/signing.js";

/** The channel's dispute record (IAdjudicator.disputeRecord) and the disputed state's struct hash. */
export interface OnChainDispute {
  nonce: bigint;
  /** 0 when there was never a dispute, or the record comes from a close. */
  consensusExpiry: bigint;
  defundExpiry: bigint;
  stateHash: string;
}

/** A disputed transfer's record (settleDeadline 0: not disputed). */
export interface OnChainTransfer {
  settleDeadline: bigint;
  settled: boolean;
}

/** Reads one channel. */
export class ChannelReader {
  readonly channel: string;

  constructor(
    private readonly chain: CallProvider,
    channel: string,
  ) {
    this.channel = checksum(channel);
  }

  private async read(method: string, args: readonly unknown[] = []): Promise<Result> {
    const data = channelInterface.encodeFunctionData(method, args);
    const raw = await this.chain.call({ to: this.channel, data });
    return channelInterface.decodeFunctionResult(method, raw);
  }

  private async uint(method: string, args: readonly unknown[]): Promise<bigint> {
    return (await this.read(method, args))[0] as bigint;
  }

  async dispute(): Promise<OnChainDispute> {
    const [[record], [stateHash]] = await Promise.all([this.read("disputeRecord"), this.read("disputedStateHash")]);
    const r = record as Result;
    return {
      nonce: r[0] as bigint,
      consensusExpiry: r[1] as bigint,
      defundExpiry: r[2] as bigint,
      stateHash: (stateHash as string).toLowerCase(),
    };
  }

  async transfer(transferId: string): Promise<OnChainTransfer> {
    const [record] = await this.read("transferRecord", [transferId]);
    const r = record as Result;
    return { settleDeadline: r[0] as bigint, settled: r[1] as boolean };
  }

  defundNonce(asset: string): Promise<bigint> {
    return this.uint("defundNonce", [asset]);
  }

  exitOf(asset: string, owner: string): Promise<bigint> {
    return this.uint("exitOf", [asset, owner]);
  }

  exitNonce(owner: string): Promise<bigint> {
    return this.uint("exitNonce", [owner]);
  }

  totalDepositsAlice(asset: string): Promise<bigint> {
    return this.uint("totalDepositsAlice", [asset]);
  }

  totalDepositsBob(asset: string): Promise<bigint> {
    return this.uint("totalDepositsBob", [asset]);
  }

  isWithdrawExecuted(nonce: bigint): Promise<boolean> {
    return this.read("isWithdrawExecuted", [nonce]).then((r) => r[0] as boolean);
  }

  /** A `DepositReader` for `Channel` (`proposeDeposit`, and the check of a received deposit). */
  deposits(): DepositReader {
    return async (asset) => {
      const [alice, bob] = await Promise.all([this.totalDepositsAlice(asset), this.totalDepositsBob(asset)]);
      return { alice, bob };
    };
  }
}
