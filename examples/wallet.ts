/**
 * A wallet in about 50 lines: log in to a Switchyard node, deposit, pay an invoice through the node, withdraw
 * and close. In your project import from "@switchyard/protocol/…" exactly as here.
 *
 *   SWITCHYARD_NODE=ws://127.0.0.1:7545/v1 SWITCHYARD_RPC=http://127.0.0.1:8545 WALLET_KEY=0x… \
 *   INVOICE='{"to":"0x…","asset":"0x0000000000000000000000000000000000000000","amount":"1000","lockHash":"0x…"}' \
 *   npx tsx examples/wallet.ts
 */
import { JsonRpcProvider, Wallet, ZeroAddress, formatEther, parseEther } from "ethers";

import { PaymentFailedError, SwitchyardClient, type Invoice } from "@switchyard/protocol/client";
import { SqliteStore } from "@switchyard/protocol/stores/sqlite";

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set (see the header of this file)`);
  return value;
};
const provider = new JsonRpcProvider(env("SWITCHYARD_RPC"));
const wallet = new Wallet(env("WALLET_KEY"), provider);
const store = await SqliteStore.open(process.env.WALLET_STORE ?? "wallet.sqlite");
const client = await SwitchyardClient.connect({ node: env("SWITCHYARD_NODE"), signer: wallet, store, chain: provider });
client.on("connection", (e) => console.log(`connection: ${e.status}`));
client.on("dispute", (e) => console.log(`watcher: ${e.kind} (${e.detail})`));
console.log(`channel ${client.channelAddress} with node ${client.nodeInfo.node}`);

try {
  const deposit = await client.deposit({ asset: ZeroAddress, amount: parseEther("1") });
  console.log(`deposited 1 ETH in tx ${deposit.tx}`);

  const raw = JSON.parse(env("INVOICE")) as Omit<Invoice, "amount"> & { amount: string };
  const invoice: Invoice = { ...raw, amount: BigInt(raw.amount) };
  try {
    const paid = await client.pay(invoice);
    console.log(`paid ${formatEther(paid.amount)} ETH + ${formatEther(paid.fee)} fee, receipt ${paid.preimage}`);
  } catch (error) {
    if (!(error instanceof PaymentFailedError)) throw error;
    console.log(`payment failed: ${error.message}`); // nothing moved: the lock was refunded
  }

  const mine = client.balances()[ZeroAddress]?.mine ?? 0n;
  const out = await client.withdraw({ asset: ZeroAddress, amount: mine / 4n, recipient: wallet.address });
  console.log(`withdrew ${formatEther(out.amount)} ETH in tx ${out.tx}`);

  const closed = await client.close();
  for (const p of closed.payouts)
    console.log(`closed: ${formatEther(p.mine)} ETH to me, ${formatEther(p.node)} ETH to the node`);
} finally {
  await client.disconnect();
  await store.close();
  provider.destroy();
}
