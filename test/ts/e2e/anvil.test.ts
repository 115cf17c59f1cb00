/**
 * A real node end to end: anvil (@foundry-rs/anvil-<platform> 1.7.1, installed on demand into .tools/anvil;
 * `hardhat node` when no anvil can be had) on 127.0.0.1:8545 — the `localhost` network of hardhat.config.ts —
 * deployed with `npx hardhat deploy --network localhost` run as a child process, then checked on chain. The
 * node always stops: `after` stops it, and its watchdog stops it if this process dies or after 300 s.
 *
 * The demo's story against this node goes in the "the demo's story on this node" describe below (it gets `ctx`).
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import hre from "hardhat";
import {
  Contract,
  type ContractTransactionResponse,
  type InterfaceAbi,
  JsonRpcProvider,
  Wallet,
  ZeroAddress,
  id,
  parseEther,
} from "ethers";

import { computeChannelAddress } from "../../../src/protocol/channelAddress.js";
import {
  type LocalNode,
  type NodeCommand,
  freePort,
  isAlive,
  isPortFree,
  localNodeCommand,
  sleep,
  startLocalNode,
} from "../../../scripts/lib/local-node.js";
import { runHardhat } from "../../../scripts/lib/child.js";
import {
  CONTRACT_NAMES,
  type ContractName,
  type DeploymentRecord,
  deploySwitchyard,
  predictAddresses,
  readFactoryConfig,
  readRecords,
} from "../../../scripts/lib/deployment.js";
import { loadParameters, parametersFileOf } from "../../../scripts/lib/parameters.js";
import { type DemoSummary, runDemo } from "../../../scripts/lib/demo-run.js";

/** The `localhost` network is hard-wired to this port in hardhat.config.ts. */
const LOCALHOST_PORT = 8545;
const ROOT = hre.config.paths.root;

/** What the life-cycle tests get: the node, the deployment records and a provider on the node. */
export interface AnvilContext {
  node: LocalNode;
  provider: JsonRpcProvider;
  records: Record<ContractName, DeploymentRecord>;
}

/** Anvil when it can be had (installed into .tools/anvil on first use), else `hardhat node`. */
let nodeCommand: Promise<NodeCommand> | undefined;
function nodeCommandOnce(): Promise<NodeCommand> {
  nodeCommand ??= localNodeCommand(ROOT);
  return nodeCommand;
}

describe("real node end to end (anvil on 127.0.0.1:8545)", function () {
  this.timeout(120_000);
  const ctx = {} as AnvilContext;
  let deployOutput = "";
  let port = LOCALHOST_PORT;
  const localhostEnv = () => ({ ...process.env, SWITCHYARD_LOCALHOST_URL: `http://127.0.0.1:${port}` });

  before(async function () {
    const command = await nodeCommandOnce();
    if (command.kind !== "anvil") console.warn(`    no anvil (${command.note ?? "?"}): using hardhat node`);
    // 8545 is the `localhost` network's port; when something else holds it (a node started by hand), the test
    // takes a free loopback port and points `--network localhost` there with SWITCHYARD_LOCALHOST_URL.
    port = (await isPortFree(LOCALHOST_PORT)) ? LOCALHOST_PORT : await freePort();
    ctx.node = await startLocalNode(command, { port, cwd: ROOT, lifetimeMs: 300_000 });
    ctx.provider = new JsonRpcProvider(ctx.node.url, undefined, { staticNetwork: true, pollingInterval: 100 });
    const deploy = await runHardhat(["deploy", "--network", "localhost"], {
      cwd: ROOT,
      timeoutMs: 90_000,
      env: localhostEnv(),
    });
    deployOutput = deploy.stdout + deploy.stderr;
    if (deploy.code !== 0) throw new Error(`npx hardhat deploy --network localhost failed:\n${deployOutput}`);
    ctx.records = await readRecords(path.join(ROOT, "deployments", "localhost"));
  });

  after(async () => {
    ctx.provider?.destroy();
    if (ctx.node !== undefined) {
      await ctx.node.stop();
      expect(isAlive(ctx.node.pid), `${ctx.node.kind} still running`).to.equal(false);
      expect(await isPortFree(port), `port ${port} still taken`).to.equal(true);
    }
  });

  it("deploys every contract at the addresses the embedded network gets for the same parameters", async () => {
    expect(deployOutput).to.include("Deployed Switchyard on localhost (chain 31337)");
    const params = await loadParameters(parametersFileOf(ROOT, "localhost"));
    const predicted = await predictAddresses(hre, params);
    // The embedded network, in this process, deploys the same module with the same parameters.
    const scratch = await mkdtemp(path.join(tmpdir(), "switchyard-e2e-"));
    const embedded = await deploySwitchyard(hre, await hre.network.create(), params, {
      log: () => undefined,
      deploymentsDir: scratch,
    }).finally(() => rm(scratch, { recursive: true, force: true }));
    for (const name of CONTRACT_NAMES) {
      const record = ctx.records[name];
      expect(record.address).to.equal(predicted[name]);
      expect(record.address).to.equal(embedded.addresses[name]);
      expect(record).to.include({ chainId: 31337, network: "localhost" });
      expect(await ctx.provider.getCode(record.address), `${name} has no code`).to.not.equal("0x");
    }
    const factory = factoryOnNode();
    expect(await factory.getFunction("mastercopy")()).to.equal(ctx.records.ChannelMastercopy.address);
    expect(await readFactoryConfig(factory)).to.deep.equal(params);
  });

  it("creates a channel at the address channelAddress and the SDK compute", async () => {
    const factory = factoryOnNode();
    const funder = await ctx.provider.getSigner(0);
    const alice = Wallet.createRandom().address;
    const bob = Wallet.createRandom().address;
    const salt = id("e2e anvil channel");
    const expected = computeChannelAddress(
      ctx.records.ChannelFactory.address,
      ctx.records.ChannelMastercopy.address,
      alice,
      bob,
      salt,
    );
    expect(await factory.getFunction("channelAddress")(alice, bob, salt)).to.equal(expected);
    // Bob funds the counterfactual address first, then anyone creates the channel.
    await (await funder.sendTransaction({ to: expected, value: parseEther("0.5") })).wait();
    const tx: ContractTransactionResponse = await factory.connect(funder).getFunction("createChannel")(
      alice,
      bob,
      salt,
    );
    const receipt = await tx.wait();
    const created = receipt?.logs
      .map((log) => factory.interface.parseLog(log))
      .find((log) => log?.name === "ChannelCreated");
    expect(created?.args[0]).to.equal(expected);
    expect(await ctx.provider.getCode(expected)).to.not.equal("0x");
    const channel = channelOnNode(expected);
    expect(await channel.getFunction("alice")()).to.equal(alice);
    expect(await channel.getFunction("bob")()).to.equal(bob);
    expect(await channel.getFunction("totalDepositsBob")(ZeroAddress)).to.equal(parseEther("0.5"));
  });

  it("does nothing on a second `npx hardhat deploy --network localhost`", async () => {
    const block = await blockNumber();
    const again = await runHardhat(["deploy", "--network", "localhost"], {
      cwd: ROOT,
      timeoutMs: 90_000,
      env: localhostEnv(),
    });
    expect(again.code, again.stdout + again.stderr).to.equal(0);
    expect(again.stdout).to.include("No transaction sent");
    expect(await blockNumber()).to.equal(block);
    const records = await readRecords(path.join(ROOT, "deployments", "localhost"));
    expect(records).to.deep.equal(ctx.records);
  });

  describe("the demo's story on this node", () => {
    // `npm run demo -- --network localhost` (scripts/lib/demo-run.ts) on this node: Switchyard deployed again
    // with the demo token capped, the node service as its own process, Maya and Theo as SwitchyardClients:
    // deposits, routed and direct payments, a withdraw, a close, a stale dispute refuted by Theo's watcher and
    // the defund after time travel. Every step checks every party's and channel's balances on chain and throws on
    // any difference; the test reads the balances again, independently, through its own provider.
    let summary: DemoSummary;

    before(async function () {
      this.timeout(300_000);
      const connection = await hre.network.create({ network: "localhost", override: { url: ctx.node.url } });
      try {
        summary = await runDemo(hre, { connection, details: false, out: () => undefined });
      } finally {
        await connection.close();
      }
    });

    it("ends with every balance on chain as planned: the books balance, both channels empty", async () => {
      const story = summary.story;
      expect(summary.chainUrl).to.equal(ctx.node.url);
      expect(story.totals).to.deep.equal({ eth: 0n, token: 0n });
      expect(story.dispute.refuted).to.equal(true);
      expect(story.exits.kept).to.deep.equal({ eth: 0n, token: 0n });
      const token = new Contract(story.token, ["function balanceOf(address) view returns (uint256)"], ctx.provider);
      for (const account of story.accounts) {
        expect(await ctx.provider.getBalance(account.address), `${account.name} ETH`).to.equal(account.end.eth);
        expect(await token.getFunction("balanceOf")(account.address), `${account.name} token`).to.equal(
          account.end.token,
        );
        expect(account.net, account.name).to.deep.equal(account.expected);
      }
      for (const user of ["Maya", "Theo"] as const) {
        const address = story.users[user].channel;
        const channel = new Contract(address, ctx.records.ChannelMastercopy.abi as InterfaceAbi, ctx.provider);
        expect(await ctx.provider.getBalance(address), `${user}'s channel ETH`).to.equal(0n);
        expect(await token.getFunction("balanceOf")(address), `${user}'s channel token`).to.equal(0n);
        for (const asset of [ZeroAddress, story.token]) {
          // Everything deposited left the channel: balance + paidOut = aliceDeposits + bobDeposits, balance 0.
          expect(await channel.getFunction("totalPaidOut")(asset), `${user}'s channel paid out ${asset}`).to.equal(
            (await channel.getFunction("totalDepositsAlice")(asset)) +
              (await channel.getFunction("totalDepositsBob")(asset)),
          );
        }
      }
    });
  });

  /** The node's block number, uncached. */
  async function blockNumber(): Promise<bigint> {
    return BigInt(String(await ctx.provider.send("eth_blockNumber", [])));
  }

  function factoryOnNode(): Contract {
    return new Contract(
      ctx.records.ChannelFactory.address,
      ctx.records.ChannelFactory.abi as InterfaceAbi,
      ctx.provider,
    );
  }

  function channelOnNode(address: string): Contract {
    return new Contract(address, ctx.records.ChannelMastercopy.abi as InterfaceAbi, ctx.provider);
  }
});

describe("the local node stops by itself", function () {
  this.timeout(60_000);
  let command: NodeCommand;

  before(async () => {
    command = await nodeCommandOnce();
  });

  it("when its lifetime ends", async () => {
    // Long enough to start (hardhat node takes a few seconds), short enough to watch it end.
    const lifetimeMs = command.kind === "anvil" ? 2_000 : 15_000;
    const node = await startLocalNode(command, { port: await freePort(), cwd: ROOT, lifetimeMs });
    try {
      for (let i = 0; i < lifetimeMs / 100 + 50 && isAlive(node.pid); i++) await sleep(100);
      expect(isAlive(node.pid), node.output()).to.equal(false);
      expect(node.output()).to.include(`lifetime of ${lifetimeMs} ms reached`);
      expect(await isPortFree(node.port)).to.equal(true);
    } finally {
      await node.stop();
    }
  });

  it("when the process that started it is killed with SIGKILL", async () => {
    const watchdog = path.join(ROOT, "scripts", "lib", "node-watchdog.mjs");
    const port = await freePort();
    // A parent that starts the watchdog (stdin piped, as startLocalNode does) and then never exits by itself.
    const parentCode = [
      `const { spawn } = require("node:child_process");`,
      `spawn(process.execPath, ${JSON.stringify([watchdog, command.command, ...command.args(port)])},`,
      `  { stdio: ["pipe", "inherit", "inherit"] });`,
      `setInterval(() => {}, 1000);`,
    ].join("\n");
    const parent = spawn(process.execPath, ["-e", parentCode], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    parent.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    parent.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
    let pid = 0;
    try {
      for (let i = 0; i < 300 && (pid === 0 || (await isPortFree(port))); i++) {
        pid = Number(/node-watchdog pid (\d+)/.exec(out)?.[1] ?? 0);
        await sleep(100);
      }
      expect(pid, out).to.not.equal(0);
      expect(await isPortFree(port), `the node never listened:\n${out}`).to.equal(false);
      parent.kill("SIGKILL");
      for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(100);
      expect(isAlive(pid), out).to.equal(false);
      expect(out).to.include("parent gone");
    } finally {
      parent.kill("SIGKILL");
      if (pid !== 0 && isAlive(pid)) process.kill(pid, "SIGKILL");
    }
  });

  it("when its parent goes away (stdin of the watchdog closes)", async () => {
    const node = await startLocalNode(command, { port: await freePort(), cwd: ROOT, lifetimeMs: 60_000 });
    try {
      node.watchdog.stdin?.end();
      for (let i = 0; i < 100 && isAlive(node.pid); i++) await sleep(100);
      expect(isAlive(node.pid), node.output()).to.equal(false);
      expect(node.output()).to.include("parent gone");
    } finally {
      await node.stop();
    }
  });
});
