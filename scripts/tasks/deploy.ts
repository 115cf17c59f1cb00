/**
 * `npx hardhat deploy --network <name>`: the action of the project's deploy task (see hardhat.config.ts).
 *
 * 1. Reads and validates the reviewed parameters file ignition/parameters/<network>.json (or --parameters):
 *    a bad file is refused with a message naming the field, before connecting to anything.
 * 2. Compiles, prints the plan (limits, timeouts, the deterministic addresses), and stops there with --dry-run.
 * 3. Deploys with Hardhat Ignition's create2 strategy; a deployment already on chain sends nothing.
 * 4. Writes deployments/<network>/<Contract>.json next to Ignition's journal ignition/deployments/<id>/.
 * 5. With --verify, verifies all four contracts (including the mastercopy the factory created) on the
 *    explorers configured in hardhat.config.ts (`verify`), which needs ETHERSCAN_API_KEY.
 */
import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { errorResult, successfulResult } from "hardhat/utils/result";

import {
  CONTRACT_NAMES,
  DeploymentError,
  type DeploymentResult,
  deploySwitchyard,
  deploymentPresence,
  parametersFileFor,
  predictAddresses,
  recordNetworkName,
} from "../lib/deployment.js";
import {
  ParameterError,
  type SwitchyardParameters,
  describeAmount,
  describeSeconds,
  loadParameters,
} from "../lib/parameters.js";
import { explainUnreachable } from "../lib/unreachable.js";
import { verifyRecords } from "../lib/verify.js";

interface DeployTaskArguments {
  parameters?: string;
  deploymentId?: string;
  dryRun: boolean;
  verify: boolean;
}

export default async function deployTask(args: DeployTaskArguments, hre: HardhatRuntimeEnvironment) {
  const networkName = hre.globalOptions.network ?? "default";
  try {
    const networkConfig = hre.config.networks[networkName];
    if (networkConfig === undefined) {
      // Let Hardhat report the unknown network in its own words (HHE705).
      await hre.network.getOrCreate();
    }
    const displayName = recordNetworkName(networkName, networkConfig?.type ?? "http");
    const explicit = args.parameters !== undefined && args.parameters !== "";
    const file = explicit ? path.resolve(args.parameters ?? "") : parametersFileFor(hre, networkName);
    const params = await loadParameters(file, { explicit });

    // The contracts only: a deployment never needs the Solidity tests compiled (like `ignition deploy`).
    await hre.tasks.getTask("build").run({ quiet: true, noTests: true });

    const predicted = await predictAddresses(hre, params);
    console.log(`Switchyard deployment plan for ${displayName} (${path.relative(process.cwd(), file)}):`);
    printParameters(params);
    if (!args.dryRun) {
      for (const name of CONTRACT_NAMES) console.log(`  ${name.padEnd(24)} ${predicted[name]}`);
    } else {
      // Which contracts are already on chain, when the network can be reached without asking for anything.
      const present = await presenceIfReachable(hre, predicted);
      for (const name of CONTRACT_NAMES) {
        const status = present.known ? (present.deployed[name] ? "already deployed" : "not deployed") : "";
        console.log(`  ${name.padEnd(24)} ${predicted[name]}${status === "" ? "" : `  ${status}`}`);
      }
      if (!present.known) console.log(`  on-chain status not checked: ${present.why}`);
      console.log("Dry run: nothing was sent.");
      return successfulResult();
    }

    // Resolves the network's configuration variables (RPC URL, key): a missing one fails here with Hardhat's
    // own message naming it.
    const connection = await hre.network.getOrCreate();
    const result = await deploySwitchyard(hre, connection, params, {
      deploymentId: args.deploymentId !== undefined && args.deploymentId !== "" ? args.deploymentId : undefined,
      displayUi: process.stdout.isTTY === true,
    });
    printResult(result);
    if (args.verify) await verifyRecords(hre, result);
    return successfulResult();
  } catch (error) {
    if (error instanceof ParameterError || error instanceof DeploymentError) {
      console.error(`Error: ${error.message}`);
      console.error("Nothing was sent.");
      return errorResult(error.message);
    }
    const unreachable = explainUnreachable(error, networkName);
    if (unreachable !== undefined) {
      console.error(`Error: ${unreachable}`);
      console.error("Nothing was sent.");
      return errorResult(unreachable);
    }
    throw error;
  }
}

/** Whether each predicted contract has code, or why that could not be asked (a network needing variables). */
async function presenceIfReachable(
  hre: HardhatRuntimeEnvironment,
  predicted: Parameters<typeof deploymentPresence>[1],
): Promise<{ known: true; deployed: Awaited<ReturnType<typeof deploymentPresence>> } | { known: false; why: string }> {
  try {
    const connection = await hre.network.getOrCreate();
    return { known: true, deployed: await deploymentPresence(connection.ethers.provider, predicted) };
  } catch (error) {
    return { known: false, why: error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error) };
  }
}

function printParameters(params: SwitchyardParameters): void {
  if (params.limits.length === 0) console.log("  no capped assets (every asset unlimited)");
  for (const l of params.limits) {
    console.log(
      `  cap ${l.asset}: channel capacity ${describeAmount(l.asset, l.channelCapacity)}, transfer cap ${describeAmount(l.asset, l.transferCap)}`,
    );
  }
  console.log(
    `  dispute timeout bounds: ${describeSeconds(params.minTimeout)} … ${describeSeconds(params.maxTimeout)}`,
  );
}

function printResult(result: DeploymentResult): void {
  console.log(
    result.sentTransactions
      ? `Deployed Switchyard on ${result.network} (chain ${result.chainId}).`
      : `No transaction sent: Switchyard was already deployed on ${result.network} (chain ${result.chainId}).`,
  );
  for (const name of CONTRACT_NAMES) {
    const record = result.records[name];
    console.log(`  ${name.padEnd(24)} ${record.address}  tx ${record.transactionHash ?? "unknown"}`);
  }
  console.log(`Records: ${path.relative(process.cwd(), result.recordsDir)}/<Contract>.json`);
}
