/**
 * The final cooperative close of every channel, checked on chain: each client closes (the node co-signs the final
 * state), and in the block of each close transaction the node's and the client's ETH balances must move by
 * exactly their balances in the latest co-signed state the store checks read (the client's less the gas it paid
 * for the close), and the channel must hold nothing afterwards.
 */
import type { JsonRpcProvider } from "ethers";

import type { CheckResult } from "./checks.js";
import type { ClientProcess } from "./clients.js";
import type { CloseOutcome } from "./ipc.js";

export async function closeAll(
  provider: JsonRpcProvider,
  nodeAddress: string,
  clients: readonly ClientProcess[],
  expected: ReadonlyMap<string, { alice: bigint; bob: bigint; nonce: bigint }>,
): Promise<CheckResult> {
  const problems: string[] = [];
  let paidAlice = 0n;
  let paidBob = 0n;
  for (const c of clients) {
    const want = expected.get(c.channel);
    if (want === undefined) {
      problems.push(`${c.config.name}: no checked state to compare the close with`);
      continue;
    }
    let closed: CloseOutcome;
    try {
      closed = await c.request<CloseOutcome>({ op: "close" });
    } catch (error) {
      problems.push(`${c.config.name}: close failed: ${(error as Error).message}`);
      continue;
    }
    const payout = closed.payouts.find((p) => p.asset === "0x0000000000000000000000000000000000000000");
    if (payout === undefined || BigInt(payout.mine) !== want.bob || BigInt(payout.node) !== want.alice) {
      problems.push(`${c.config.name}: the final state pays ${payout?.mine ?? "?"} / ${payout?.node ?? "?"}, the checked state holds ${want.bob} / ${want.alice}`);
    }
    const receipt = await provider.getTransactionReceipt(closed.tx);
    if (receipt === null || receipt.status !== 1) {
      problems.push(`${c.config.name}: the close transaction ${closed.tx} did not succeed`);
      continue;
    }
    const block = receipt.blockNumber;
    const block0 = await provider.getBlock(block);
    if ((block0?.transactions.length ?? 0) !== 1) problems.push(`${c.config.name}: the close shares block ${block} with other transactions (deltas unattributable)`);
    const delta = async (who: string): Promise<bigint> => (await provider.getBalance(who, block)) - (await provider.getBalance(who, block - 1));
    const gas = receipt.gasUsed * receipt.gasPrice;
    const bobDelta = await delta(c.address);
    const aliceDelta = await delta(nodeAddress);
    if (bobDelta !== want.bob - gas) problems.push(`${c.config.name}: received ${bobDelta + gas} wei on chain (gas added back), its balance was ${want.bob}`);
    if (aliceDelta !== want.alice) problems.push(`${c.config.name}: the node received ${aliceDelta} wei on chain, its balance was ${want.alice}`);
    const left = await provider.getBalance(c.channel, block);
    if (left !== 0n) problems.push(`${c.config.name}: the channel still holds ${left} wei after the close`);
    paidAlice += aliceDelta;
    paidBob += bobDelta + gas;
  }
  return {
    name: "a final cooperative close pays each party exactly its off-chain balance on chain",
    passed: problems.length === 0,
    detail:
      problems.length === 0
        ? `${clients.length} channels closed: clients received ${paidBob} wei, the node ${paidAlice} wei, each exactly its co-signed balance; every channel empty`
        : `${problems.length} problem(s): ${problems.slice(0, 8).join("; ")}`,
  };
}
