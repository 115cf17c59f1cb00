/**
 * `npm run demo`'s main function: starts the stack (scripts/lib/stack.ts: the chain on a loopback port,
 * Switchyard deployed with the deploy task's own code, the node service as a child process), runs the story
 * (demo-story.ts) with a progress line per step, and prints the balances of every party and channel from start
 * to end and the gas of every on-chain operation. Throws (a DemoError, or the SDK's or the chain's error) on any
 * inconsistency. The deployment records go to the stack's temporary folder, never to deployments/.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { NetworkConnection } from "hardhat/types/network";

import { dataSlice, getAddress } from "ethers";

import { channelInterface } from "../../src/chain/abi.js";
import { ChannelFactory__factory, MockERC20__factory } from "../../typechain-types/index.js";
import { CREATEX_ADDRESS, type DeploymentResult } from "./deployment.js";
import { GasLedger, type GasEntry, type RpcProvider } from "./demo-chain.js";
import { PLAN, TOKEN_DECIMALS, TOKEN_NAME, TOKEN_SYMBOL } from "./demo-plan.js";
import { STORY_STEPS, Story, type StorySummary } from "./demo-story.js";
import { balanceTable, gasTable } from "./demo-tables.js";
import { describeSeconds } from "./parameters.js";
import { type Stack, startStack } from "./stack.js";

export interface DemoOptions {
  /** The chain (default: a new embedded network); a `localhost` connection runs the demo on a local node. */
  connection?: NetworkConnection;
  /** Where the output goes, line by line (default: console.log). */
  out?: (line: string) => void;
  /** Print each step's detail lines too (default true). */
  details?: boolean;
}

export interface DemoSummary {
  /** The network's name as the records call it ("hardhat" for the embedded one). */
  network: string;
  chainUrl: string;
  node: { ws: string; address: string; pid: number };
  deployment: { addresses: DeploymentResult["addresses"]; sentTransactions: boolean; recordsDir: string };
  /** The transactions before the story: the token, the deployment, the funding of the test keys. */
  deployGas: GasEntry[];
  story: StorySummary;
}

/** Starts a stack, runs the whole story on it, prints the tables, stops the stack. */
export async function runDemo(hre: HardhatRuntimeEnvironment, options: DemoOptions = {}): Promise<DemoSummary> {
  const out = options.out ?? ((line: string) => console.log(line));
  const detail = options.details === false ? () => undefined : (line: string) => out(`        ${line}`);
  const total = 1 + STORY_STEPS.length + 1;
  const progress = (n: number, line: string) => out(`[${n}/${total}] ${line}`);

  out("Switchyard demo: starting the chain, deploying Switchyard, starting the node service…");
  const stack = await startStack({
    hre,
    ...(options.connection !== undefined ? { connection: options.connection } : {}),
    users: ["Maya", "Theo"],
    userEth: PLAN.wallet.eth,
    nodeEth: PLAN.nodeWallet.eth,
    token: {
      name: TOKEN_NAME,
      symbol: TOKEN_SYMBOL,
      decimals: TOKEN_DECIMALS,
      perUser: PLAN.wallet.token,
      forNode: PLAN.nodeWallet.token,
    },
    node: {
      name: "Switchyard demo node",
      collateral: { eth: PLAN.collateral.ETH, token: PLAN.collateral[TOKEN_SYMBOL] },
      fees: { eth: { flat: PLAN.fees.ETH, ppm: 0n }, token: { flat: PLAN.fees[TOKEN_SYMBOL], ppm: 0n } },
      channelTimeout: PLAN.channelTimeout,
    },
    log: detail,
  });
  try {
    const embedded = stack.chain.connection.networkConfig.type === "edr-simulated";
    out(
      `Switchyard demo on ${embedded ? "the embedded Hardhat network" : stack.chain.connection.networkName}, served at ${stack.chain.url} (chain ${stack.chain.chainId})`,
    );
    const provider = stack.chain.provider;
    const ledger = new GasLedger(provider);
    ledger.name(await stack.faucet.getAddress(), "Deployer");
    ledger.name(stack.node.address, "Node");
    for (const u of stack.users) ledger.name(u.address, u.name);
    ledger.decodeWith(channelInterface);
    ledger.decodeWith(ChannelFactory__factory.createInterface());
    ledger.decodeWith(MockERC20__factory.createInterface());
    await ledger.start(stack.deployment.firstBlock);
    const deployGas = await deploymentGas(provider, ledger, stack);
    const { params, addresses } = stack.deployment;
    progress(
      1,
      `${stack.deployment.sentTransactions ? "deployed" : "found"} Switchyard (Ignition, create2: factory ${addresses.ChannelFactory}, dispute timeouts ` +
        `${describeSeconds(params.minTimeout)} … ${describeSeconds(params.maxTimeout)}) and started the node service as process ${stack.node.pid} on ${stack.node.ws}`,
    );

    let n = 1;
    const story = await new Story(stack, ledger, detail).run(2, (line) => progress(++n, line));
    progress(
      total,
      `the books balance: every account moved by exactly what the plan says, Σ ETH (net of gas) = 0 and Σ ${TOKEN_SYMBOL} = 0 ` +
        `(${story.offChainUpdates} co-signed updates, ${story.gas.length + deployGas.length} transactions)`,
    );
    out("");
    for (const line of balanceTable(story)) out(line);
    out("");
    for (const line of gasTable([...deployGas, ...story.gas])) out(line);
    return {
      network: stack.deployment.network,
      chainUrl: stack.chain.url,
      node: { ws: stack.node.ws, address: stack.node.address, pid: stack.node.pid },
      deployment: {
        addresses: stack.deployment.addresses,
        sentTransactions: stack.deployment.sentTransactions,
        recordsDir: stack.deployment.recordsDir,
      },
      deployGas,
      story,
    };
  } finally {
    await stack.stop();
  }
}

/** The stack's transactions (read from the blocks it mined), each named by what it did. */
async function deploymentGas(provider: RpcProvider, ledger: GasLedger, stack: Stack): Promise<GasEntry[]> {
  const result = stack.deployment;
  const byAddress = new Map<string, string>(
    (Object.entries(result.addresses) as Array<[string, string]>).map(([name, address]) => [
      address.toLowerCase(),
      name,
    ]),
  );
  const entries = await ledger.scan(1);
  for (const entry of entries) {
    const receipt = await provider.getTransactionReceipt(entry.hash);
    const created = receipt?.contractAddress == null ? undefined : getAddress(receipt.contractAddress);
    if (created === getAddress(CREATEX_ADDRESS)) {
      entry.operation = "install CreateX (Ignition, keyless presigned transaction)";
      entry.payer = "CreateX installer";
      continue;
    }
    if (created !== undefined && stack.token !== undefined && created === getAddress(stack.token.address)) {
      entry.operation = `deploy ${TOKEN_SYMBOL} (MockERC20, the demo token)`;
      continue;
    }
    // CreateX logs ContractCreation(address indexed newContract, ...): name the transaction by what it created.
    const names = (receipt?.logs ?? [])
      .filter((log) => log.address.toLowerCase() === CREATEX_ADDRESS.toLowerCase() && log.topics[1] !== undefined)
      .map((log) => byAddress.get(getAddress(dataSlice(log.topics[1] as string, 12)).toLowerCase()))
      .filter((name): name is string => name !== undefined);
    if (names.length > 0) {
      entry.operation = `deploy ${names.join(" + ")}${names.includes("ChannelFactory") ? " (+ ChannelMastercopy)" : ""} via CreateX`;
    } else if (entry.operation === "mint") {
      const tx = await provider.getTransaction(entry.hash);
      const parsed = tx === null ? null : MockERC20__factory.createInterface().parseTransaction({ data: tx.data });
      const to = parsed === null ? "" : String(parsed.args[0]);
      const name = stack.users.find((u) => u.address === to)?.name ?? (to === stack.node.address ? "Node" : to);
      entry.operation = `mint ${TOKEN_SYMBOL} to ${name}`;
    }
  }
  return entries;
}
