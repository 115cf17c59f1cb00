/**
 * The client's own transactions, sent by its `sender` (an ethers Signer on `chain`) and awaited: bob's deposit
 * (a plain ETH or token transfer to the channel address), the channel's creation through the factory when it is
 * not deployed yet (CREATE2: the address holds deposits before it has code), a co-signed withdraw commitment and
 * the co-signed final state of a cooperative close. Browser-safe.
 */
import { Contract, Interface, ZeroAddress, type Provider, type Signer, type TransactionRequest } from "ethers";

import { closeCall, withdrawCall } from "../chain/commitments.js";
import type { SignedFinal, SignedWithdraw } from "../protocol/record.js";
import { ChainTransactionError } from "./errors.js";

const FACTORY = new Interface(["function createChannel(address alice, address bob, bytes32 salt) returns (address)"]);
const ERC20 = ["function transfer(address to, uint256 amount) returns (bool)"];

export interface Mined {
  tx: string;
  blockNumber: number;
  gasUsed: bigint;
}

/** Sends `request` with `sender`, waits for one confirmation, and fails typed when it reverts or is dropped. */
export async function sendAndWait(sender: Signer, request: TransactionRequest, what: string): Promise<Mined> {
  let hash: string | undefined;
  try {
    const sent = await sender.sendTransaction({ ...request, nonce: await pendingNonce(sender) });
    hash = sent.hash;
    const receipt = await sent.wait(1);
    if (receipt === null) throw new ChainTransactionError(what, hash, "no receipt");
    if (receipt.status !== 1) throw new ChainTransactionError(what, hash, "reverted");
    return { tx: receipt.hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed };
  } catch (error) {
    if (error instanceof ChainTransactionError) throw error;
    throw new ChainTransactionError(what, hash, error instanceof Error ? error.message : String(error));
  }
}

/**
 * `sender`'s pending transaction count, asked of the node itself. A provider may answer `getNonce` from a
 * short-lived cache (ethers' providers keep one for 250 ms), which right after our own transaction still shows
 * the old count on a chain that mines at once: a deposit's channel creation would then reuse the transfer's nonce
 * ("nonce too low"). A JSON-RPC provider's `send` goes to the node uncached; any other provider is asked as usual.
 */
async function pendingNonce(sender: Signer): Promise<number> {
  const provider = sender.provider as (Provider & { send?: (method: string, params: unknown[]) => Promise<unknown> }) | null;
  if (provider === null || typeof provider.send !== "function") return sender.getNonce("pending");
  const count = await provider.send("eth_getTransactionCount", [await sender.getAddress(), "pending"]);
  return Number(BigInt(count as string));
}

export interface ChannelIdentity {
  channel: string;
  factory: string;
  alice: string;
  bob: string;
  salt: string;
}

/** Deploys the channel through the factory unless it has code already; returns the creation, if sent. */
export async function ensureDeployed(sender: Signer, chain: Provider, id: ChannelIdentity): Promise<Mined | undefined> {
  if ((await chain.getCode(id.channel)) !== "0x") return undefined;
  return sendAndWait(
    sender,
    { to: id.factory, data: FACTORY.encodeFunctionData("createChannel", [id.alice, id.bob, id.salt]) },
    "channel creation",
  );
}

/** Bob's deposit: a plain transfer of `amount` of `asset` (ETH when it is the zero address) to the channel. */
export async function sendDeposit(sender: Signer, channel: string, asset: string, amount: bigint): Promise<Mined> {
  if (asset === ZeroAddress) return sendAndWait(sender, { to: channel, value: amount }, "deposit");
  const token = new Contract(asset, ERC20, sender);
  const data = token.interface.encodeFunctionData("transfer", [channel, amount]);
  return sendAndWait(sender, { to: asset, data }, "token deposit");
}

export function sendWithdraw(sender: Signer, channel: string, w: SignedWithdraw): Promise<Mined> {
  const call = withdrawCall(channel, w);
  return sendAndWait(sender, { to: call.to, data: call.data }, "withdraw");
}

export function sendClose(sender: Signer, channel: string, f: SignedFinal): Promise<Mined> {
  const call = closeCall(channel, f);
  return sendAndWait(sender, { to: call.to, data: call.data }, "cooperative close");
}
