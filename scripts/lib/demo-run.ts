/**
 * `npm run demo`'s main function: deploys Switchyard through the deploy task's own code (Ignition, create2:
 * the deterministic addresses), then runs the channel life cycle (demo-lifecycle.ts) with a progress line per
 * step, and prints the balances of every party and channel from start to end and the gas of every on-chain
 * operation. Throws (a DemoError, or the SDK's or the chain's error) on any inconsistency.
 *
 * On the embedded network the deployment records go to a temporary directory, never to deployments/; on a
 * node (`--network localhost`) they are written like `npx hardhat deploy` writes them.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { NetworkConnection } from "hardhat/types/network";

import { dataSlice, getAddress } from "ethers";

import { CREATEX_ADDRESS, type DeploymentResult, deploySwitchyard, parametersFileFor } from "./deployment.js";
import { describeSeconds, loadParameters } from "./parameters.js";
import { GasLedger, type GasEntry, type RpcProvider, formatAmount, formatDelta } from "./demo-chain.js";
import {
  ACCOUNTS,
  LIFE_CYCLE_STEPS,
  LifeCycle,
  TOKEN_DECIMALS,
  TOKEN_SYMBOL,
  type LifeCycleSummary,
} from "./demo-lifecycle.js";

export interface DemoOptions {
  /** Where the output goes, line by line (default: console.log). */
  out?: (line: string) => void;
  /** Print each step's detail lines too (default true). */
  details?: boolean;
}

export interface DemoSummary {
  /** The network's name as the records call it ("hardhat" for the embedded one). */
  network: string;
  deployment: { addresses: DeploymentResult["addresses"]; sentTransactions: boolean };
  /** The deployment's transactions (empty when it was already on chain). */
  deployGas: GasEntry[];
  lifeCycle: LifeCycleSummary;
}

/** Deploys (or finds) Switchyard on `connection` and runs the whole life cycle on it. */
export async function runDemo(
  hre: HardhatRuntimeEnvironment,
  connection: NetworkConnection,
  options: DemoOptions = {},
): Promise<DemoSummary> {
  const out = options.out ?? ((line: string) => console.log(line));
  const detail = options.details === false ? () => undefined : (line: string) => out(`        ${line}`);
  const total = 1 + LIFE_CYCLE_STEPS.length + 1;
  const progress = (n: number, line: string) => out(`[${n}/${total}] ${line}`);
  const provider: RpcProvider = connection.ethers.provider;
  const embedded = connection.networkConfig.type === "edr-simulated";

  out(
    `Switchyard demo on ${embedded ? "the embedded Hardhat network" : connection.networkName} (chain ${(await provider.getNetwork()).chainId})`,
  );

  // 1. Deploy exactly as `npx hardhat deploy` does.
  const params = await loadParameters(parametersFileFor(hre, connection.networkName));
  const scratch = await mkdtemp(path.join(tmpdir(), "switchyard-demo-"));
  let keepScratch = false;
  try {
    const [deployer] = await connection.ethers.getSigners();
    if (deployer === undefined)
      throw new Error(`the network ${connection.networkName} has no unlocked account to deploy with`);
    const ledger = new GasLedger(provider);
    ledger.name(deployer.address, "Deployer");
    await ledger.start();
    const result = await deploySwitchyard(hre, connection, params, {
      log: detail,
      ...(embedded ? { deploymentsDir: path.join(scratch, "deployments") } : {}),
    });
    const deployGas = await deploymentGas(provider, ledger, result);
    progress(
      1,
      `${result.sentTransactions ? "deployed" : "found"} Switchyard with Ignition's create2 strategy: factory ${result.addresses.ChannelFactory}, ` +
        `hashlock resolver ${result.addresses.HashlockResolver} (dispute timeouts ${describeSeconds(params.minTimeout)} … ${describeSeconds(params.maxTimeout)})`,
    );

    // 2… The life cycle; the deployer's account is the faucet.
    const faucet = deployer;
    const lifeCycle = new LifeCycle({
      provider,
      faucet,
      contracts: result.addresses,
      storeDir: path.join(scratch, "stores"),
      log: detail,
      firstStep: 2,
    });
    let n = 1;
    keepScratch = true;
    const summary = await lifeCycle.runAll((_id, line) => progress(++n, line)).finally(() => lifeCycle.closeStores());
    keepScratch = false;
    progress(
      total,
      `the books balance: every account moved by exactly what the plan says, Σ ETH (net of gas) = 0 and Σ ${TOKEN_SYMBOL} = 0 ` +
        `(${summary.offChainUpdates} off-chain updates, ${summary.gas.length + deployGas.length} transactions)`,
    );
    out("");
    for (const line of balanceTable(summary)) out(line);
    out("");
    for (const line of gasTable([...deployGas, ...summary.gas])) out(line);
    return {
      network: result.network,
      deployment: { addresses: result.addresses, sentTransactions: result.sentTransactions },
      deployGas,
      lifeCycle: summary,
    };
  } finally {
    if (keepScratch) out(`(the parties' stores are kept in ${path.join(scratch, "stores")} for inspection)`);
    else await rm(scratch, { recursive: true, force: true });
  }
}

/** The deployment's transactions (read from the blocks it mined), each named by the contract it created. */
async function deploymentGas(provider: RpcProvider, ledger: GasLedger, result: DeploymentResult): Promise<GasEntry[]> {
  const byAddress = new Map<string, string>(
    (Object.entries(result.addresses) as Array<[string, string]>).map(([name, address]) => [
      address.toLowerCase(),
      name,
    ]),
  );
  const entries = await ledger.scan(1);
  for (const entry of entries) {
    const receipt = await provider.getTransactionReceipt(entry.hash);
    if (receipt?.contractAddress != null && getAddress(receipt.contractAddress) === getAddress(CREATEX_ADDRESS)) {
      entry.operation = "install CreateX (Ignition, keyless presigned transaction)";
      entry.payer = "CreateX installer";
      continue;
    }
    // CreateX logs ContractCreation(address indexed newContract, ...): name the transaction by what it created.
    const created = (receipt?.logs ?? [])
      .filter((log) => log.address.toLowerCase() === CREATEX_ADDRESS.toLowerCase() && log.topics[1] !== undefined)
      .map((log) => byAddress.get(getAddress(dataSlice(log.topics[1] as string, 12)).toLowerCase()))
      .filter((name): name is string => name !== undefined);
    if (created.length > 0) {
      entry.operation = `deploy ${created.join(" + ")}${created.includes("ChannelFactory") ? " (+ ChannelMastercopy)" : ""} via CreateX`;
    }
  }
  return entries;
}

// ───────────────────────────── tables ─────────────────────────────

const eth = (v: bigint): string => formatAmount(v, 18);
const tok = (v: bigint): string => formatAmount(v, TOKEN_DECIMALS);

function table(head: string[], rows: string[][], right: boolean[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(head), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map(line)];
}

/** Start, end and change of every account, ETH (net of gas, gas apart) and the token; the total row must be 0. */
export function balanceTable(s: LifeCycleSummary): string[] {
  const rows = s.accounts.map((a) => [
    a.name,
    eth(a.start.eth),
    eth(a.end.eth),
    a.gas === 0n ? "" : eth(a.gas),
    formatDelta(a.net.eth, 18),
    tok(a.start.token),
    tok(a.end.token),
    formatDelta(a.net.token, TOKEN_DECIMALS),
  ]);
  const gas = s.accounts.reduce((sum, a) => sum + a.gas, 0n);
  rows.push([
    "total",
    "",
    "",
    eth(gas),
    formatDelta(s.totals.eth, 18),
    "",
    "",
    formatDelta(s.totals.token, TOKEN_DECIMALS),
  ]);
  const lines = [
    `Balances per party and channel (ETH change is net of gas: end − start + gas paid)`,
    ...table(
      [
        "account",
        "ETH start",
        "ETH end",
        "gas paid",
        "ETH change",
        `${TOKEN_SYMBOL} start`,
        `${TOKEN_SYMBOL} end`,
        `${TOKEN_SYMBOL} change`,
      ],
      rows,
      [false, true, true, true, true, true, true, true],
    ),
  ];
  const byName = new Map(s.accounts.map((a) => [a.name, a]));
  const alice = byName.get("Alice");
  const bob = byName.get("Bob");
  const node = byName.get("Node");
  if (alice !== undefined && bob !== undefined && node !== undefined) {
    lines.push(
      `Alice paid ${eth(-alice.net.eth)} ETH + ${tok(-alice.net.token)} ${TOKEN_SYMBOL} = Bob received ${eth(bob.net.eth)} ETH + ` +
        `${tok(bob.net.token)} ${TOKEN_SYMBOL} + the node's fees ${eth(node.net.eth)} ETH + ${tok(node.net.token)} ${TOKEN_SYMBOL}; ` +
        `both channels end empty. ${ACCOUNTS.length} accounts, totals 0: in = out.`,
    );
  }
  lines.push(
    `Stale dispute: nonce ${s.dispute.staleNonce} refuted with ${s.dispute.recordedAfterRefute}; the defund paid the node ` +
      `${eth(s.exits.node.eth)} ETH + ${tok(s.exits.node.token)} ${TOKEN_SYMBOL} and Bob ${eth(s.exits.bob.eth)} ETH + ` +
      `${tok(s.exits.bob.token)} ${TOKEN_SYMBOL} (+ ${eth(s.settledOnChain.toBob)} ETH hashlock), nothing kept as claims.`,
  );
  return lines;
}

/** Every transaction: its step, what it did, who paid, gas used and the fee; totals per payer. */
export function gasTable(entries: readonly GasEntry[]): string[] {
  const rows = entries.map((e) => [
    String(e.step),
    e.operation,
    e.payer,
    e.gasUsed.toLocaleString("en-US"),
    eth(e.fee),
  ]);
  const payers = [...new Set(entries.map((e) => e.payer))];
  const totals = payers.map((p) => {
    const mine = entries.filter((e) => e.payer === p);
    return `${p} ${mine.reduce((s, e) => s + e.gasUsed, 0n).toLocaleString("en-US")} gas`;
  });
  return [
    `Gas per on-chain operation`,
    ...table(["step", "operation", "paid by", "gas used", "fee (ETH)"], rows, [true, false, false, true, true]),
    `Total per payer: ${totals.join(", ")}`,
  ];
}
