/**
 * A payee: logs in to a node, prints an invoice for a payer (one JSON line `INVOICE {…}`), then prints every
 * payment it receives, live, and exits after PAYMENTS of them (default 1) or on Ctrl-C. The node locks each
 * payment to it; the client claims the lock with the invoice's secret at once and emits `payment-received`.
 *
 *   SWITCHYARD_NODE=ws://127.0.0.1:7545/v1 SWITCHYARD_RPC=http://127.0.0.1:8545 PAYEE_KEY=0x… AMOUNT=0.1 \
 *   npx tsx examples/payee.ts
 */
import { JsonRpcProvider, Wallet, ZeroAddress, formatEther, parseEther } from "ethers";

import { SwitchyardClient } from "@switchyard/protocol/client";
import { SqliteStore } from "@switchyard/protocol/stores/sqlite";

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set (see the header of this file)`);
  return value;
};
const provider = new JsonRpcProvider(env("SWITCHYARD_RPC"));
const store = await SqliteStore.open(process.env.PAYEE_STORE ?? "payee.sqlite");
const client = await SwitchyardClient.connect({
  node: env("SWITCHYARD_NODE"),
  signer: new Wallet(env("PAYEE_KEY"), provider),
  store,
  chain: provider,
});

const wanted = Number(process.env.PAYMENTS ?? "1");
let received = 0;
const done = new Promise<void>((resolve) => {
  client.on("payment-received", (p) => {
    console.log(`received ${formatEther(p.amount)} ETH (lock ${p.lockHash})`);
    if (++received >= wanted) resolve();
  });
  process.once("SIGINT", () => resolve());
});

const invoice = await client.invoice({ asset: ZeroAddress, amount: parseEther(process.env.AMOUNT ?? "0.1") });
console.log(`INVOICE ${JSON.stringify({ ...invoice, amount: invoice.amount.toString() })}`);

await done;
console.log(
  `balance: ${formatEther(client.balances()[ZeroAddress]?.mine ?? 0n)} ETH in channel ${client.channelAddress}`,
);
await client.disconnect();
await store.close();
provider.destroy();
