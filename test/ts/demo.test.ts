/**
 * `npm run demo`: its main function (scripts/lib/demo-run.ts) on a fresh embedded network served on a loopback
 * port, with the node service as its own process and Maya and Theo as SwitchyardClients over WebSocket,
 * asserting what it returns: the books balance exactly, every payment reached Theo, the operator's stale dispute
 * was refuted by Theo's watcher, both sides of the disputed channel were paid (nothing kept as exits), the
 * progress lines and tables were printed, and everything it started is stopped again.
 */
import { existsSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import hre from "hardhat";
import { ZeroAddress, parseUnits } from "ethers";

import { Books } from "../../scripts/lib/demo-books.js";
import { DemoError, GasLedger, type RpcProvider } from "../../scripts/lib/demo-chain.js";
import { ACCOUNTS, PLAN, TOKEN_DECIMALS, routedTotal, type AccountName } from "../../scripts/lib/demo-plan.js";
import { type DemoSummary, runDemo } from "../../scripts/lib/demo-run.js";
import { STORY_STEPS } from "../../scripts/lib/demo-story.js";
import { runHardhat } from "../../scripts/lib/child.js";
import { freePort, isAlive, isPortFree } from "../../scripts/lib/local-node.js";
import type { MockERC20 } from "../../typechain-types/index.js";

const dusd = (amount: string): bigint => parseUnits(amount, TOKEN_DECIMALS);

describe("npm run demo (embedded chain on loopback, node process, two clients)", function () {
  this.timeout(300_000);
  let summary: DemoSummary;
  const lines: string[] = [];

  const recordsDir = path.join(hre.config.paths.root, "deployments", "hardhat");
  let recordsBefore: string | undefined;

  before(async () => {
    recordsBefore = await listing(recordsDir);
    summary = await runDemo(hre, { out: (line) => lines.push(line) });
  });

  it("prints a progress line for every step, then the balance and gas tables", () => {
    const total = STORY_STEPS.length + 2;
    const progress = lines.filter((l) => /^\[\d+\/\d+\] /.test(l));
    expect(progress.map((l) => l.slice(0, l.indexOf("]") + 1))).to.deep.equal(
      Array.from({ length: total }, (_, i) => `[${i + 1}/${total}]`),
    );
    const text = lines.join("\n");
    expect(text).to.match(/Theo's watcher refuted nonce \d+ with nonce \d+/);
    expect(text).to.match(/started the node service as process \d+ on ws:\/\/127\.0\.0\.1:\d+\/v1/);
    expect(lines).to.include("Balances per party and channel (ETH change is net of gas: end − start + gas paid)");
    expect(lines).to.include("Gas per on-chain operation");
  });

  it("balances the books exactly: every account moved by what the plan says, totals zero", () => {
    const s = summary.story;
    expect(s.totals).to.deep.equal({ eth: 0n, token: 0n });
    const byName = new Map(s.accounts.map((a) => [a.name, a]));
    const routedEth = PLAN.payments.filter((p) => p.asset === "ETH").length;
    const routedToken = PLAN.payments.length - routedEth;
    expect(byName.get("Maya")?.net).to.deep.equal({
      eth: -(routedTotal("ETH", true) + PLAN.payNode.amount),
      token: -routedTotal("DUSD", true),
    });
    expect(byName.get("Theo")?.net).to.deep.equal({
      eth: routedTotal("ETH", false),
      token: routedTotal("DUSD", false),
    });
    expect(byName.get("Node")?.net).to.deep.equal({
      eth: PLAN.fees.ETH * BigInt(routedEth) + PLAN.payNode.amount,
      token: PLAN.fees.DUSD * BigInt(routedToken),
    });
    expect(s.accounts.map((a) => a.name)).to.deep.equal([...ACCOUNTS]);
    for (const a of s.accounts) {
      expect(a.net, a.name).to.deep.equal(a.expected);
      expect(a.end.eth, `${a.name} ETH`).to.equal(a.start.eth + a.net.eth - a.gas);
      expect(a.end.token, `${a.name} token`).to.equal(a.start.token + a.net.token);
    }
    expect(byName.get("Maya–Node")?.end).to.deep.equal({ eth: 0n, token: 0n });
    expect(byName.get("Node–Theo")?.end).to.deep.equal({ eth: 0n, token: 0n });
    expect(s.routedPayments).to.equal(PLAN.payments.length);
    // Four deposits, six routed payments (a lock and a claim on each hop), the direct payment, the withdraw, the close.
    expect(s.offChainUpdates).to.be.at.least(4 + 6 * 2 + 1 + 1 + 1);
  });

  it("delivered every routed payment to Theo's client as a payment-received event", () => {
    const received = summary.story.received;
    expect(received.map((r) => r.amount)).to.deep.equal(PLAN.payments.map((p) => p.amount));
    const token = summary.story.token;
    expect(received.map((r) => r.asset)).to.deep.equal(
      PLAN.payments.map((p) => (p.asset === "ETH" ? ZeroAddress : token)),
    );
    expect(new Set(received.map((r) => r.lockHash)).size).to.equal(PLAN.payments.length);
    expect(received.map((r) => r.kind)).to.deep.equal(PLAN.payments.map(() => "routed"));
  });

  it("refuted the operator's stale dispute with Theo's latest state", () => {
    const d = summary.story.dispute;
    expect(d.refuted).to.equal(true);
    expect(d.staleNonce < d.latestNonce).to.equal(true);
    expect(d.recordedAfterRefute).to.equal(d.latestNonce);
  });

  it("paid both sides of the disputed channel at the latest state, nothing kept as exits", () => {
    const { exits } = summary.story;
    // The node deposited its collateral target into Theo's channel just in time, then paid Theo from it.
    expect(exits.theo.eth).to.equal(PLAN.deposits.Theo.eth + routedTotal("ETH", false));
    expect(exits.theo.token).to.equal(dusd("167.5")); // 100 + 127.5 received − 60 withdrawn
    expect(exits.node.eth).to.equal(PLAN.collateral.ETH.target - routedTotal("ETH", false));
    expect(exits.node.token).to.equal(PLAN.collateral.DUSD.target - routedTotal("DUSD", false));
    expect(exits.kept).to.deep.equal({ eth: 0n, token: 0n });
  });

  it("counted the gas of every transaction of the story and of the deployment", () => {
    const { gas } = summary.story;
    const ops = gas.map((g) => g.operation);
    for (const op of [
      "Maya: deposit ETH",
      "Maya: create Maya–Node",
      "Node: deposit ETH collateral into Node–Theo",
      "Node: deposit DUSD collateral into Node–Theo",
      "Theo: deposit DUSD",
      "Theo: withdraw DUSD",
      "Maya: close Maya–Node",
      "Node (rogue): dispute with a stale state",
      "Theo's watcher: refute (disputeChannel)",
      "Theo's watcher: defund",
    ]) {
      expect(ops, op).to.include(op);
    }
    expect(gas.filter((g) => g.payer === "Node").length, "the node's own transactions").to.be.at.least(2);
    expect(gas.every((g) => g.gasUsed > 0n && g.fee > 0n)).to.equal(true);
    expect(summary.deployment.sentTransactions).to.equal(true);
    const viaCreateX = summary.deployGas
      .filter((g) => g.operation.endsWith("via CreateX"))
      .map((g) => g.operation.split(" ")[1]);
    expect(viaCreateX).to.deep.equal(["ChannelFactory", "HashlockResolver", "SignedTransferResolver"]);
    expect(summary.deployGas[0]?.operation).to.equal("deploy DUSD (MockERC20, the demo token)");
    // Ignition installs CreateX on a fresh local chain with its keyless presigned transaction.
    expect(summary.deployGas.map((g) => g.operation).some((op) => op.startsWith("install CreateX"))).to.equal(true);
  });

  it("wrote no deployment records to deployments/ and stopped everything it started", async () => {
    expect(summary.network).to.equal("hardhat");
    expect(await listing(recordsDir)).to.equal(recordsBefore);
    expect(existsSync(summary.deployment.recordsDir)).to.equal(false);
    expect(summary.deployment.addresses.ChannelFactory).to.not.equal(ZeroAddress);
    expect(isAlive(summary.node.pid)).to.equal(false);
    expect(await isPortFree(Number(new URL(summary.chainUrl).port))).to.equal(true);
    expect(await isPortFree(Number(new URL(summary.node.ws).port))).to.equal(true);
  });
});

/** The files of `dir` with their sizes and modification times (undefined when it does not exist). */
async function listing(dir: string): Promise<string | undefined> {
  if (!existsSync(dir)) return undefined;
  const names = (await readdir(dir)).sort();
  const entries = await Promise.all(names.map(async (n) => `${n}:${(await stat(path.join(dir, n))).mtimeMs}`));
  return entries.join("\n");
}

describe("npm run demo -- --network localhost without a node", function () {
  this.timeout(120_000);

  it("test_demo_withoutALocalNode_namesTheUrlAndTheCommandThatStartsOne", async () => {
    const port = await freePort();
    const result = await runHardhat(["run", "--no-compile", "--network", "localhost", "scripts/demo.ts"], {
      cwd: hre.config.paths.root,
      timeoutMs: 90_000,
      env: { ...process.env, SWITCHYARD_LOCALHOST_URL: `http://127.0.0.1:${port}` },
    });
    expect(result.code, result.stdout + result.stderr).to.equal(1);
    expect(result.stderr).to.include(
      `Error: no node answers on the "localhost" network at http://127.0.0.1:${port}. Start one first, in another ` +
        `terminal: npx hardhat node --hostname 127.0.0.1 --port ${port}`,
    );
    expect(result.stdout + result.stderr).to.not.include("internet connection");
  });
});

describe("the demo's books", () => {
  it("test_books_endStep_stopsWithADemoErrorNamingTheAccountWhenABalanceMovesUnexpectedly", async () => {
    const addresses = Object.fromEntries(
      ACCOUNTS.map((name, i) => [name, `0x${String(i + 1).padStart(40, "0")}`]),
    ) as Record<AccountName, string>;
    const eth = new Map<string, bigint>(ACCOUNTS.map((n) => [addresses[n], 10n ** 18n]));
    const provider = {
      getBalance: async (a: string) => eth.get(a) ?? 0n,
      // One block and no transactions: no gas paid by anyone.
      getBlockNumber: async () => 0,
      getBlock: async () => ({ transactions: [] }),
    } as unknown as RpcProvider;
    const token = { balanceOf: async () => 5n } as unknown as MockERC20;
    const books = new Books(provider, token, new GasLedger(provider), addresses);
    await books.open();
    // Theo's wallet gets 1 wei from nowhere: the step that expected nothing must notice, naming him.
    eth.set(addresses.Theo, 10n ** 18n + 1n);
    const error = await books.endStep(3, {}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(DemoError);
    expect((error as Error).message).to.match(
      /^Theo's ETH change in step 3 .*expected 0 ETH, found 0\.000000000000000001 ETH/,
    );
    // What a step names is what it checks: the same move, expected, passes.
    const again = new Books(provider, token, new GasLedger(provider), addresses);
    await again.open();
    eth.set(addresses.Maya, 10n ** 18n - 7n);
    await again.endStep(4, { Maya: { eth: -7n, token: 0n } });
    expect(again.held("Maya")).to.deep.equal({ eth: 10n ** 18n - 7n, token: 5n });
  });
});
