/**
 * Transfer settlements on chain, as a routing node reads them: `TransferSettled` events (what the responder got)
 * and a transfer's record with the chain's time (`lockReader`, the node's `NodeConfig.locks`). The Watcher scans
 * the events of its channel and decodes the evidence of each settling call (src/chain/watcher.ts).
 */
import type { Log, Provider } from "ethers";

import { channelInterface } from "./abi.js";
import { ChannelReader } from "./reader.js";
import { checksum } from "../protocol/address.js";
import { CommitmentError } from "../protocol/errors.js";

/** A transfer settled on chain (`TransferSettled`), with the evidence its `defundTransfer` call carried. */
export interface SettledTransfer {
  transferId: string;
  toResponder: bigint;
  toInitiator: bigint;
  /**
   * The `resolverData` of the settling call ("0x" for a refund after the deadline), or undefined when the call
   * was not made to the channel directly (through another contract) and could not be decoded from the transaction.
   */
  resolverData?: string;
  txHash: string;
  blockNumber: number;
}

/** A transfer's on-chain record as a routing node needs it (`Node`'s `NodeConfig.locks`). */
export interface OnChainLock {
  /** The chain's time: the latest block's timestamp. */
  now: bigint;
  /** 0 when the transfer was never disputed on chain. */
  settleDeadline: bigint;
  settled: boolean;
  /** What the settlement paid the responder (0 when not settled). */
  toResponder: bigint;
}

/** Reads transfer `transferId` of channel `channel` on chain. */
export type LockReader = (channel: string, transferId: string) => Promise<OnChainLock>;

/** A LockReader over a chain connection: the transfer record, the chain's time, and its `TransferSettled` event. */
export function lockReader(provider: Provider): LockReader {
  return async (channel, transferId) => {
    const reader = new ChannelReader(provider, channel);
    const [block, record] = await Promise.all([provider.getBlock("latest"), reader.transfer(transferId)]);
    if (block === null) throw new Error("the chain returned no latest block");
    let toResponder = 0n;
    if (record.settled) {
      const logs = await provider.getLogs({ address: checksum(channel), topics: [SETTLED_TOPIC, transferId.toLowerCase()], fromBlock: 0 });
      const log = logs[0];
      if (log === undefined) throw new CommitmentError(`transfer ${transferId} is settled but its TransferSettled event is not found`);
      toResponder = settledOf(log).toResponder;
    }
    return { now: BigInt(block.timestamp), settleDeadline: record.settleDeadline, settled: record.settled, toResponder };
  };
}

/** The topic of `TransferSettled(bytes32 indexed transferId, uint256 toResponder, uint256 toInitiator)`. */
export const SETTLED_TOPIC = (channelInterface.getEvent("TransferSettled") as NonNullable<ReturnType<typeof channelInterface.getEvent>>).topicHash;

/** The fields of a `TransferSettled` log. */
export function settledOf(log: Log): { transferId: string; toResponder: bigint; toInitiator: bigint } {
  const parsed = channelInterface.parseLog(log);
  if (parsed === null) throw new CommitmentError(`log ${log.transactionHash}#${log.index} is not a TransferSettled event`);
  return {
    transferId: (parsed.args[0] as string).toLowerCase(),
    toResponder: parsed.args[1] as bigint,
    toInitiator: parsed.args[2] as bigint,
  };
}

