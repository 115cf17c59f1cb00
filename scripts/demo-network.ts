/**
 * `npm run demo:network`: a payment crossing three nodes, with real processes on 127.0.0.1. It starts a local
 * chain (anvil, else `hardhat node`) with the contracts deployed, three node processes A, B, C that peer (B has
 * the highest address and dials A and C; each node-to-node channel is funded both ways), a payer on A and a payee
 * on C; A finds the route from the gossiped signed announcements (`route.find`), the payer checks its fees and
 * expiries and locks, and the payment crosses A → B → C with one hashlock per hop. Prints the route (hops, fees,
 * expiries) and every balance; exits 0 when they add up, 1 otherwise. Uses the network tests' setup
 * (test/ts/network/world.ts).
 */
import { ZeroAddress, formatEther } from "ethers";

import { routeInstructionOf } from "../src/routing/network/instruction.js";
import { hashlockLock } from "../src/protocol/resolvers.js";
import { hashlockTransfer } from "../src/routing/node.js";
import { preimage, until } from "../test/ts/node/harness.js";
import { ETH, MARGIN, TIMEOUTS, autoResolve, chainNow, peered, startWorld, user, type NodeName, type World } from "../test/ts/network/world.js";

const short = (a: string): string => `${a.slice(0, 8)}…${a.slice(-4)}`;

async function run(w: World): Promise<void> {
  const { A, B, C } = w.nodes;
  console.log("Nodes (each its own process, a SQLite store, the chain's clock):");
  for (const n of [A, B, C]) console.log(`  ${n.name} ${n.wallet.address}  ${n.proc.ws}  channel timeout ${TIMEOUTS[n.name as NodeName]} s`);
  console.log("Peering: B (highest address) dials A and C and logs in as bob; A and C sequence their channels with B.");
  await peered(w);
  console.log("  A═B and B═C funded both ways on chain (5 ETH each side) and reconciled.");
  const payer = await user(w, A, "demo payer", 5n * ETH);
  const payee = await user(w, C, "demo payee", 0n);
  console.log(`Payer ${short(payer.session.address)} on A (5 ETH deposited), payee ${short(payee.session.address)} on C.`);

  const tag = `demo ${Date.now()}`;
  const lockHash = hashlockLock(preimage(tag)).toLowerCase();
  const amount = ETH;
  let found: Awaited<ReturnType<typeof payer.session.wire.request<"route.find">>> | undefined;
  await until(async () => {
    found = await payer.session.wire
      .request("route.find", { payee: payee.session.address, payeeNode: C.wallet.address, asset: ZeroAddress, amount, lockHash, payeeWindow: TIMEOUTS.C + MARGIN + 300n, maxFee: ETH / 100n })
      .catch(() => undefined);
    return found !== undefined;
  }, "a route from A's gossip", 30_000, 250);
  const route = found as NonNullable<typeof found>;
  const now = await chainNow(w);
  console.log(`\nRoute found by A (cheapest fee, ${route.hops.length} forwarding nodes), chain time ${now}:`);
  for (const [i, h] of route.hops.entries()) {
    const name = [A, B, C].find((n) => n.wallet.address === h.node)?.name ?? short(h.node);
    const next = i + 1 < route.hops.length ? ([A, B, C].find((n) => n.wallet.address === route.hops[i + 1]?.node)?.name ?? "?") : "payee";
    console.log(
      `  hop ${i + 1}: node ${name}  in ${formatEther(h.amountIn)} ETH (expires now+${h.expiryIn - now} s)` +
        `  → ${next}: ${formatEther(h.amountOut)} ETH (expires now+${h.expiryOut - now} s)  fee ${h.fee} wei  upstream timeout ${h.timeout} s`,
    );
  }
  console.log(`  total fee ${route.totalFee} wei; every expiry gap ≥ the upstream channel's timeout + ${MARGIN} s margin`);
  // The settle-window rule (docs/PROTOCOL.md §17.5 R3) with the SDK's windows (= channel timeout): hop i needs
  // 2·T_i ≥ (payee window) + m + Σ downstream (T_j + m). Printed per hop with the figures of this route.
  const window = (route.hops[route.hops.length - 1]?.expiryOut ?? now) - now;
  console.log(`  timeouts must grow towards the payer: hop i needs 2·T_i ≥ W + m + Σ downstream (T_j + m), W = ${window} s, m = ${MARGIN} s:`);
  for (const [i, h] of route.hops.entries()) {
    const downstream = route.hops.slice(i + 1).reduce((sum, d) => sum + d.timeout + MARGIN, 0n);
    const needed = window + MARGIN + downstream;
    console.log(`    hop ${i + 1}: 2·${h.timeout} = ${2n * h.timeout} ≥ ${needed}${2n * h.timeout >= needed ? "" : "  (BROKEN)"}`);
  }
  console.log("  (with one day on every channel no payment would leave the payer's node over a node channel: §17.5)");
  const first = route.hops[0] as (typeof route.hops)[number];
  if (route.totalFee > ETH / 100n) throw new Error(`the route's fee ${route.totalFee} is above what the payer accepts`);

  const known = new Map([[lockHash, tag]]);
  autoResolve(payee.session, known);
  const statuses: string[] = [];
  payer.session.onPayment((n) => {
    if (n.lockHash === lockHash) statuses.push(n.status);
  });
  const transfer = hashlockTransfer({
    channel: payer.session.channel.address,
    hashlock: w.addresses.HashlockResolver as string,
    asset: ZeroAddress,
    amount: first.amountIn,
    initiator: payer.session.address,
    responder: A.wallet.address,
    timeout: TIMEOUTS.A,
    lockHash,
    expiry: first.expiryIn,
  });
  const started = Date.now();
  await payer.session.sendPayment({ type: "create", transfer }, routeInstructionOf(route).instruction);
  await until(() => statuses.includes("completed"), "the payment completed", 60_000);
  console.log(`\nPaid: the payee revealed the preimage to C, each node claimed upstream (${Date.now() - started} ms, statuses ${statuses.join(" → ")}).`);
  const payerBalance = payer.session.channel.state.assets[0]?.balanceBob ?? 0n;
  const payeeBalance = payee.session.channel.state.assets[0]?.balanceBob ?? 0n;
  console.log(`  payer ${formatEther(payerBalance)} ETH (paid ${formatEther(first.amountIn)}), payee ${formatEther(payeeBalance)} ETH`);
  if (payerBalance !== 5n * ETH - first.amountIn) throw new Error(`the payer holds ${payerBalance}, expected ${5n * ETH - first.amountIn}`);
  if (payeeBalance !== amount) throw new Error(`the payee holds ${payeeBalance}, expected ${amount}`);
  if (payer.session.channel.transfers.size + payee.session.channel.transfers.size !== 0) throw new Error("a lock is left");
}

const world = await startWorld(`demo ${process.pid}`);
try {
  await run(world);
  console.log("\nDemo complete: the payment crossed three nodes and every balance adds up.");
} catch (error) {
  console.error(`\nError: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await world.stop();
}
