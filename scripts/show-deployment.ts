/**
 * Prints a network's Switchyard deployment: addresses, transactions, the limits per asset and the dispute
 * timeout bounds, from the records in deployments/<network>/ and from the chain, and checks that both agree.
 *
 *   npx hardhat run --network sepolia scripts/show-deployment.ts
 *   SKIP_CHAIN=1 npx hardhat run --network mainnet scripts/show-deployment.ts   (records only, no node)
 */
import hre from "hardhat";

import { CONTRACT_NAMES, parametersFromRecord, readFactoryConfig } from "./lib/deployment.js";
import { checkChain, contractOf, deploymentOf, operatorMain, OperatorError, selectedNetwork } from "./lib/operator.js";
import { type SwitchyardParameters, describeAmount, describeSeconds } from "./lib/parameters.js";

await operatorMain(async () => {
  const { networkName, recordName, embedded } = selectedNetwork(hre);
  const records = await deploymentOf(hre, recordName, networkName);
  const factoryRecord = records.ChannelFactory;
  console.log(
    `Switchyard on ${recordName} (chain ${factoryRecord.chainId}), deployment id ${factoryRecord.deploymentId}, records deployments/${recordName}/`,
  );
  for (const name of CONTRACT_NAMES) {
    const r = records[name];
    const tx = r.transactionHash === null ? "tx unknown" : `tx ${r.transactionHash} (block ${r.blockNumber ?? "?"})`;
    console.log(`  ${name.padEnd(24)} ${r.address}  ${tx}`);
  }
  // The factory's constructor args are [limits, minTimeout, maxTimeout], written by the deploy task.
  const fromRecords = parametersFromRecord(
    factoryRecord,
    `deployments/${recordName}/ChannelFactory.json constructorArgs`,
  );
  console.log("Configuration (from the records):");
  printConfig(fromRecords);

  if (process.env.SKIP_CHAIN === "1") {
    console.log("Not checked on chain (SKIP_CHAIN=1).");
    return;
  }
  const connection = await hre.network.getOrCreate();
  await checkChain(connection, records);
  const provider = connection.ethers.provider;
  for (const name of CONTRACT_NAMES) {
    if ((await provider.getCode(records[name].address)) === "0x") {
      throw new OperatorError(
        `${name} has no code at ${records[name].address} on ${recordName}` +
          (embedded
            ? " (the embedded network starts empty in every process: use a node, e.g. --network localhost)"
            : ""),
      );
    }
  }
  const factory = contractOf(connection, factoryRecord.address, factoryRecord.abi);
  const mastercopy = String(await factory.getFunction("mastercopy")());
  if (mastercopy !== records.ChannelMastercopy.address) {
    throw new OperatorError(
      `the factory's mastercopy is ${mastercopy}, the records say ${records.ChannelMastercopy.address}`,
    );
  }
  const onChain = await readFactoryConfig(factory);
  const same = JSON.stringify(onChain, bigintJson) === JSON.stringify(fromRecords, bigintJson);
  if (!same) {
    console.log("Configuration ON CHAIN (differs from the records!):");
    printConfig(onChain);
    throw new OperatorError("the factory on chain does not hold the configuration its records describe");
  }
  const block = await provider.getBlock("latest");
  console.log(
    `On chain (block ${block?.number ?? "?"}): every contract has code, the factory holds exactly this configuration.`,
  );
});

function printConfig(config: SwitchyardParameters): void {
  if (config.limits.length === 0) console.log("  no capped asset: every asset is unlimited");
  for (const l of config.limits) {
    console.log(
      `  ${l.asset}: channel capacity ${describeAmount(l.asset, l.channelCapacity)}, transfer cap ${describeAmount(l.asset, l.transferCap)}`,
    );
  }
  console.log("  other assets: unlimited");
  console.log(
    `  dispute timeout: at least ${describeSeconds(config.minTimeout)}, at most ${describeSeconds(config.maxTimeout)}`,
  );
}

function bigintJson(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
