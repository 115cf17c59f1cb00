/**
 * Source verification of a Switchyard deployment on the explorers enabled in hardhat.config.ts (`verify`):
 * all four contracts, including the mastercopy that the factory's constructor created (which Ignition's own
 * `ignition verify` does not know about), with the constructor arguments from the deployment records.
 */
import { verifyContract } from "@nomicfoundation/hardhat-verify/verify";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { CONTRACT_NAMES, DEV_CHAIN_ID, DeploymentError, type DeploymentRecord } from "./deployment.js";

const PROVIDERS = ["etherscan", "blockscout", "sourcify"] as const;

/** Verifies every record on every enabled explorer. Throws after trying all of them if any failed. */
export async function verifyRecords(
  hre: HardhatRuntimeEnvironment,
  deployment: { chainId: number; network: string; records: Record<(typeof CONTRACT_NAMES)[number], DeploymentRecord> },
): Promise<void> {
  if (deployment.chainId === DEV_CHAIN_ID) {
    throw new DeploymentError(
      `--verify needs a public network with a block explorer; ${deployment.network} is a local chain`,
    );
  }
  const providers = PROVIDERS.filter((provider) => hre.config.verify[provider].enabled);
  if (providers.length === 0)
    throw new DeploymentError("no verification provider is enabled in hardhat.config.ts (verify)");
  const failures: string[] = [];
  for (const name of CONTRACT_NAMES) {
    const record = deployment.records[name];
    const artifact = await hre.artifacts.readArtifact(name);
    for (const provider of providers) {
      console.log(`Verifying ${name} at ${record.address} on ${provider}…`);
      try {
        await verifyContract(
          {
            address: record.address,
            constructorArgs: record.constructorArgs,
            contract: `${artifact.sourceName}:${artifact.contractName}`,
            provider,
            ...(record.transactionHash !== null ? { creationTxHash: record.transactionHash } : {}),
          },
          hre,
        );
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        failures.push(`${name} on ${provider}: ${why}`);
        console.error(`  failed: ${why}`);
      }
    }
  }
  if (failures.length > 0) throw new DeploymentError(`verification failed:\n  ${failures.join("\n  ")}`);
}
