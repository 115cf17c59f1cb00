/**
 * examples/: each file runs as a user would run it, against a real chain and node started here. The chain and
 * the deployment come from scripts/lib/stack.ts; the node for the examples is a second node process started from
 * examples/node.json as written (only what names this machine is replaced: the chain URL, the deployment
 * records, the port and the store). Then examples/payee.ts prints an invoice, examples/wallet.ts (the guide's
 * 50-line wallet, docs/SDK.md) deposits, pays it through that node, withdraws and closes, and the payee prints
 * the payment. Every figure is checked on chain.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import hre from "hardhat";
import { ZeroAddress, formatEther, parseEther } from "ethers";

import { startNodeService, type NodeProcess } from "../../scripts/lib/node-process.js";
import { type Stack, startStack, testKey } from "../../scripts/lib/stack.js";
import { ChannelReader } from "../../src/chain/reader.js";
import { parseConfig } from "../../src/node/config.js";

const ROOT = hre.config.paths.root;
const EXAMPLES = path.join(ROOT, "examples");
const OPERATOR = testKey("examples operator");

/** A running example: its output so far, and its exit. */
interface ExampleRun {
  output(): string;
  exited: Promise<number | null>;
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpExecArray>;
}

function runExample(file: string, env: Record<string, string>): ExampleRun {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(EXAMPLES, file)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const exited = new Promise<number | null>((resolve) =>
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve(code);
    }),
  );
  return {
    output: () => out,
    exited,
    waitFor: async (pattern, ms = 60_000) => {
      const end = Date.now() + ms;
      for (;;) {
        const match = pattern.exec(out);
        if (match !== null) return match;
        if (child.exitCode !== null || Date.now() > end)
          throw new Error(`${file} never printed ${pattern} (exit ${child.exitCode}):\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

describe("examples/ (run against a chain and a node started here)", function () {
  this.timeout(240_000);
  let stack: Stack;
  let node: NodeProcess;
  let dir: string;

  before(async () => {
    stack = await startStack({ hre, users: ["Payer", "Payee"], userEth: parseEther("5") });
    dir = await mkdtemp(path.join(tmpdir(), "switchyard-examples-"));
    await (await stack.faucet.sendTransaction({ to: OPERATOR.address, value: parseEther("20") })).wait();
    const config = JSON.parse(await readFile(path.join(EXAMPLES, "node.json"), "utf8")) as Record<string, unknown>;
    const file = path.join(dir, "node.json");
    await writeFile(
      file,
      JSON.stringify({
        ...config,
        chain: { ...(config.chain as object), rpcUrl: stack.chain.url },
        deployment: { records: stack.deployment.recordsDir },
        listen: { host: "127.0.0.1", port: 0 },
        store: path.join(dir, "node.sqlite"),
      }),
    );
    node = await startNodeService({ config: file, env: { ...process.env, SWITCHYARD_NODE_KEY: OPERATOR.privateKey } });
  });

  after(async () => {
    await node?.stop();
    await stack?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("test_examples_guideShowsTheWalletExactlyAsItRuns", async () => {
    const wallet = await readFile(path.join(EXAMPLES, "wallet.ts"), "utf8");
    const guide = await readFile(path.join(ROOT, "docs", "SDK.md"), "utf8");
    expect(guide).to.include("```ts\n" + wallet + "```");
    expect(wallet.trimEnd().split("\n").length).to.be.within(40, 60);
  });

  it("test_examples_nodeConfigIsValidAsWritten", async () => {
    const raw = JSON.parse(await readFile(path.join(EXAMPLES, "node.json"), "utf8")) as unknown;
    const config = parseConfig(raw, path.join(EXAMPLES, "node.json"));
    expect(config.listen.host).to.equal("127.0.0.1");
    expect(config.key).to.deep.equal({ privateKeyEnv: "SWITCHYARD_NODE_KEY" });
    expect(config.collateral.map((c) => c.asset)).to.deep.equal([ZeroAddress]);
    const info = (await (await fetch(`${node.http}/v1/info`)).json()) as { node: string; name: string };
    expect(info).to.include({ node: OPERATOR.address, name: "Example Switchyard node" });
  });

  it("test_examples_walletPaysThePayeesInvoiceThroughTheNodeWithdrawsAndCloses", async () => {
    const [payer, payee] = stack.users as [(typeof stack.users)[0], (typeof stack.users)[0]];
    const common = { SWITCHYARD_NODE: node.ws, SWITCHYARD_RPC: stack.chain.url };
    const payeeRun = runExample("payee.ts", {
      ...common,
      PAYEE_KEY: payee.privateKey,
      PAYEE_STORE: path.join(dir, "payee.sqlite"),
      AMOUNT: "0.3",
    });
    const invoiceLine = await payeeRun.waitFor(/^INVOICE (\{.*\})$/m);
    const invoice = JSON.parse(invoiceLine[1] as string) as { to: string; amount: string; lockHash: string };
    expect(invoice.to).to.equal(payee.address);
    expect(invoice.amount).to.equal(parseEther("0.3").toString());

    const before = await stack.chain.provider.getBalance(payer.address);
    const walletRun = runExample("wallet.ts", {
      ...common,
      WALLET_KEY: payer.privateKey,
      WALLET_STORE: path.join(dir, "wallet.sqlite"),
      INVOICE: invoiceLine[1] as string,
    });
    const walletCode = await walletRun.exited;
    const out = walletRun.output();
    expect(walletCode, out).to.equal(0);
    // The node's fee: flat 0.0001 ETH + 1000 ppm of 0.3 ETH (examples/node.json) = 0.0004 ETH.
    expect(out).to.match(/^deposited 1 ETH in tx 0x[0-9a-f]{64}$/m);
    expect(out, out).to.include("paid 0.3 ETH + 0.0004 fee, receipt 0x");
    const left = parseEther("1") - parseEther("0.3004");
    expect(out, out).to.include(`withdrew ${formatEther(left / 4n)} ETH in tx 0x`);
    expect(out, out).to.include(`closed: ${formatEther(left - left / 4n)} ETH to me, 0.3004 ETH to the node`);

    expect(await payeeRun.exited, payeeRun.output()).to.equal(0);
    expect(payeeRun.output()).to.include(`received 0.3 ETH (lock ${invoice.lockHash})`);
    expect(payeeRun.output()).to.match(/^balance: 0\.3 ETH in channel 0x[0-9a-fA-F]{40}$/m);

    // On chain: the payer's channel is closed and empty, and the payer's wallet lost exactly 0.3004 ETH + gas.
    const channel = /^channel (0x[0-9a-fA-F]{40}) with node/m.exec(out)?.[1] as string;
    expect(await stack.chain.provider.getBalance(channel)).to.equal(0n);
    const reader = new ChannelReader(stack.chain.provider, channel);
    expect(await reader.totalDepositsBob(ZeroAddress)).to.equal(parseEther("1"));
    const after = await stack.chain.provider.getBalance(payer.address);
    const gas = before - after - parseEther("0.3004");
    expect(gas > 0n && gas < parseEther("0.01"), `gas ${gas}`).to.equal(true);
  });
});
