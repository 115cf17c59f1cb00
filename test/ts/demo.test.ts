/**
 * `npm run demo`: its main function (scripts/lib/demo-run.ts) on a fresh embedded network, asserting what it
 * returns: the books balance exactly, the stale dispute was refuted, both sides of the disputed channel were
 * paid (nothing kept as exits), and the progress lines and tables were printed.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import hre from "hardhat";
import { ZeroAddress, parseEther, parseUnits } from "ethers";

import { type DemoSummary, runDemo } from "../../scripts/lib/demo-run.js";
import { DemoError } from "../../scripts/lib/demo-chain.js";
import { LIFE_CYCLE_STEPS, LifeCycle, PLAN, TOKEN_DECIMALS } from "../../scripts/lib/demo-lifecycle.js";
import { deploySwitchyard, parametersFileFor } from "../../scripts/lib/deployment.js";
import { loadParameters } from "../../scripts/lib/parameters.js";

describe("npm run demo (embedded network)", function () {
  this.timeout(120_000);
  let summary: DemoSummary;
  const lines: string[] = [];

  const recordsDir = path.join(hre.config.paths.root, "deployments", "hardhat");
  let recordsBefore: string | undefined;

  before(async () => {
    recordsBefore = await listing(recordsDir);
    const connection = await hre.network.create();
    try {
      summary = await runDemo(hre, connection, { out: (line) => lines.push(line) });
    } finally {
      await connection.close();
    }
  });

  it("prints a progress line for every step, then the balance and gas tables", () => {
    const total = LIFE_CYCLE_STEPS.length + 2;
    const progress = lines.filter((l) => /^\[\d+\/\d+\] /.test(l));
    expect(progress.map((l) => l.slice(0, l.indexOf("]") + 1))).to.deep.equal(
      Array.from({ length: total }, (_, i) => `[${i + 1}/${total}]`),
    );
    expect(lines.join("\n")).to.match(/Bob's watcher refuted nonce \d+ with nonce \d+/);
    expect(lines).to.include("Balances per party and channel (ETH change is net of gas: end − start + gas paid)");
    expect(lines).to.include("Gas per on-chain operation");
  });

  it("balances the books exactly: every account moved by what the plan says, totals zero", () => {
    const s = summary.lifeCycle;
    expect(s.totals).to.deep.equal({ eth: 0n, token: 0n });
    const byName = new Map(s.accounts.map((a) => [a.name, a]));
    const fees = { eth: PLAN.fees.ETH, token: PLAN.fees.DUSD };
    const payments = [...PLAN.payments, PLAN.inFlight];
    const sum = (asset: "ETH" | "DUSD", withFee: boolean) =>
      payments.filter((p) => p.asset === asset).reduce((t, p) => t + p.amount + (withFee ? PLAN.fees[asset] : 0n), 0n);
    expect(byName.get("Alice")?.net).to.deep.equal({ eth: -sum("ETH", true), token: -sum("DUSD", true) });
    expect(byName.get("Bob")?.net).to.deep.equal({ eth: sum("ETH", false), token: sum("DUSD", false) });
    const routedEth = payments.filter((p) => p.asset === "ETH").length;
    const routedToken = payments.length - routedEth;
    expect(byName.get("Node")?.net).to.deep.equal({
      eth: fees.eth * BigInt(routedEth),
      token: fees.token * BigInt(routedToken),
    });
    for (const a of s.accounts) {
      expect(a.net, a.name).to.deep.equal(a.expected);
      expect(a.end.eth, `${a.name} ETH`).to.equal(a.start.eth + a.net.eth - a.gas);
      expect(a.end.token, `${a.name} token`).to.equal(a.start.token + a.net.token);
    }
    expect(byName.get("Alice–Node")?.end).to.deep.equal({ eth: 0n, token: 0n });
    expect(byName.get("Node–Bob")?.end).to.deep.equal({ eth: 0n, token: 0n });
    expect(s.offChainUpdates).to.be.at.least(20);
    expect(s.routedPayments).to.equal(payments.length);
  });

  it("refuted the node's stale dispute with Bob's latest state", () => {
    const d = summary.lifeCycle.dispute;
    expect(d.refuted).to.equal(true);
    expect(d.staleNonce < d.latestNonce).to.equal(true);
    expect(d.recordedAfterRefute).to.equal(d.latestNonce);
  });

  it("paid both sides of the disputed channel (defund and the hashlock settled on chain), nothing kept as exits", () => {
    const { exits, settledOnChain } = summary.lifeCycle;
    const paidToBob = PLAN.payments.filter((p) => p.asset === "ETH").reduce((t, p) => t + p.amount, 0n);
    expect(exits.node.eth).to.equal(PLAN.nodeDeposit.eth - paidToBob - PLAN.inFlight.amount);
    expect(exits.bob.eth).to.equal(PLAN.userDeposits.Bob.eth + paidToBob);
    expect(exits.bob.token).to.equal(parseUnits("187.5", TOKEN_DECIMALS)); // 100 + 147.5 received − 60 withdrawn
    expect(exits.node.token).to.equal(parseUnits("1852.5", TOKEN_DECIMALS));
    expect(exits.kept).to.deep.equal({ eth: 0n, token: 0n });
    expect(settledOnChain).to.deep.equal({ amount: parseEther("0.7"), toBob: parseEther("0.7") });
  });

  it("counted the gas of every transaction of the life cycle and of the deployment", () => {
    const { gas } = summary.lifeCycle;
    const ops = gas.map((g) => g.operation);
    for (const op of [
      "Node: create Alice–Node + deposit ETH",
      "Bob: withdraw DUSD",
      "Node: dispute with a stale state",
      "Bob's watcher: refute (disputeChannel)",
      "Bob's watcher: defund",
      "Node: close Alice–Node",
    ]) {
      expect(ops, op).to.include(op);
    }
    expect(gas.every((g) => g.gasUsed > 0n && g.fee > 0n)).to.equal(true);
    expect(summary.deployment.sentTransactions).to.equal(true);
    const deployed = summary.deployGas.filter((g) => g.payer === "Deployer").map((g) => g.operation.split(" ")[1]);
    expect(deployed).to.deep.equal(["ChannelFactory", "HashlockResolver", "SignedTransferResolver"]);
    // Ignition installs CreateX on a fresh local chain with its keyless presigned transaction.
    expect(summary.deployGas[0]?.operation).to.match(/^install CreateX/);
  });

  it("wrote no deployment records for the embedded network", async () => {
    expect(summary.network).to.equal("hardhat");
    expect(await listing(recordsDir)).to.equal(recordsBefore);
    expect(summary.deployment.addresses.ChannelFactory).to.not.equal(ZeroAddress);
  });
});

/** The files of `dir` with their sizes and modification times (undefined when it does not exist). */
async function listing(dir: string): Promise<string | undefined> {
  if (!existsSync(dir)) return undefined;
  const names = (await readdir(dir)).sort();
  const entries = await Promise.all(names.map(async (n) => `${n}:${(await stat(path.join(dir, n))).mtimeMs}`));
  return entries.join("\n");
}

describe("the life cycle's balance checks", function () {
  this.timeout(120_000);

  it("stop the run with a DemoError naming the account when a balance moves unexpectedly", async () => {
    const connection = await hre.network.create();
    const scratch = await mkdtemp(path.join(tmpdir(), "switchyard-demo-check-"));
    try {
      const params = await loadParameters(parametersFileFor(hre, connection.networkName));
      const deployed = await deploySwitchyard(hre, connection, params, {
        log: () => undefined,
        deploymentsDir: path.join(scratch, "deployments"),
      });
      const [faucet] = await connection.ethers.getSigners();
      if (faucet === undefined) throw new Error("no account");
      const lifeCycle = new LifeCycle({
        provider: connection.ethers.provider,
        faucet,
        contracts: deployed.addresses,
        storeDir: path.join(scratch, "stores"),
      });
      await lifeCycle.run("fund");
      await lifeCycle.run("counterfactual");
      // Someone sends Bob 1 wei behind the demo's back: the next step must notice.
      const bob = lifeCycle.addresses().Bob;
      await (await faucet.sendTransaction({ to: bob, value: 1n })).wait();
      let error: unknown;
      try {
        await lifeCycle.run("open");
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(DemoError);
      expect((error as Error).message).to.match(
        /^Bob's ETH change in step 3 .*expected 0 ETH, found 0\.000000000000000001 ETH/,
      );
      await lifeCycle.run("reconcile").then(
        () => expect.fail("a step ran after a failed one"),
        (e: unknown) => expect((e as Error).message).to.equal('step "reconcile" not run: step "open" failed'),
      );
    } finally {
      await connection.close();
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
