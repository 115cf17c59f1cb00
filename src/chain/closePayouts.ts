/**
 * What a cooperative close paid, read from the chain: the `AssetDefunded` events of the transaction that emitted
 * the channel's `ChannelClosed(nonce)`. A reopen (src/protocol/reopen.ts) starts the next life cycle from these
 * figures; the views (`totalDepositsBob`) cannot give them, since they already count deposits made later.
 */
import { checksum } from "../protocol/address.js";
import { ReopenError } from "../protocol/errors.js";
import type { ClosePayout } from "../protocol/reopen.js";
import type { ClosePayoutReader } from "../channel/channel.js";
import { channelInterface } from "./abi.js";

/** A log as an ethers provider returns it (only the fields read here). */
export interface ChainLog {
  readonly address: string;
  readonly topics: readonly string[];
  readonly data: string;
  readonly transactionHash: string;
}

/** The two reads a close lookup needs; an ethers v6 Provider fits. */
export interface LogProvider {
  getLogs(filter: { address: string; topics: string[]; fromBlock?: number | bigint; toBlock?: string }): Promise<readonly ChainLog[]>;
  getTransactionReceipt(hash: string): Promise<{ readonly logs: readonly ChainLog[]; readonly status: number | null } | null>;
}

const CLOSED = channelInterface.getEvent("ChannelClosed");
const DEFUNDED = channelInterface.getEvent("AssetDefunded");

/**
 * The payouts in the logs of one transaction that closed `channel` at `finalNonce`: one per asset, in the order
 * the close settled them. Throws ReopenError when those logs hold no such close.
 */
export function closePayoutsFromLogs(logs: readonly ChainLog[], channel: string, finalNonce: bigint): ClosePayout[] {
  const own = logs.filter((l) => checksum(l.address) === checksum(channel));
  const closed = own.some((l) => {
    if (l.topics[0] !== CLOSED?.topicHash) return false;
    return (channelInterface.decodeEventLog("ChannelClosed", l.data, l.topics)[0] as bigint) === finalNonce;
  });
  if (!closed) throw new ReopenError(`no ChannelClosed(${finalNonce}) of ${channel} in these logs`);
  return own
    .filter((l) => l.topics[0] === DEFUNDED?.topicHash)
    .map((l) => {
      const [asset, toAlice, toBob, defundNonce] = channelInterface.decodeEventLog("AssetDefunded", l.data, l.topics);
      return { asset: checksum(asset as string), toAlice: toAlice as bigint, toBob: toBob as bigint, defundNonce: defundNonce as bigint };
    });
}

/**
 * Finds the close of `channel` at `finalNonce` on chain and returns what it paid (closePayoutsFromLogs of its
 * transaction). Throws ReopenError when no such close is on chain (not sent, not mined, or reverted).
 */
export async function readClosePayouts(
  provider: LogProvider,
  channel: string,
  finalNonce: bigint,
  fromBlock: number | bigint = 0,
): Promise<ClosePayout[]> {
  const topic = CLOSED?.topicHash;
  if (topic === undefined) throw new ReopenError("the channel ABI has no ChannelClosed event");
  const logs = await provider.getLogs({ address: checksum(channel), topics: [topic], fromBlock, toBlock: "latest" });
  for (const log of logs) {
    if ((channelInterface.decodeEventLog("ChannelClosed", log.data, log.topics)[0] as bigint) !== finalNonce) continue;
    const receipt = await provider.getTransactionReceipt(log.transactionHash);
    if (receipt === null || receipt.status !== 1) continue;
    return closePayoutsFromLogs(receipt.logs, channel, finalNonce);
  }
  throw new ReopenError(`the close of ${channel} at nonce ${finalNonce} is not on chain`);
}

/** A Channel's `closePayouts` reader over `provider` (ChannelConfig.closePayouts). */
export function closePayoutReader(provider: LogProvider, channel: string, fromBlock: number | bigint = 0): ClosePayoutReader {
  return (finalNonce) => readClosePayouts(provider, channel, finalNonce, fromBlock);
}
