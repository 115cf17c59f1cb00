/**
 * Shared pieces of the operator scripts (show-deployment, channel-address, channel-status). They run under
 * `npx hardhat run --network <name> scripts/<script>.ts` and take their arguments from environment variables,
 * the usual way for Hardhat 3 scripts (`hardhat run` passes no arguments to a script).
 */
import path from "node:path";

import { Contract, type InterfaceAbi, getAddress, isAddress, isHexString } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { NetworkConnection } from "hardhat/types/network";

import {
  type ContractName,
  DeploymentError,
  type DeploymentRecord,
  readRecords,
  recordNetworkName,
} from "./deployment.js";
import { explainUnreachable } from "./unreachable.js";

/** A mistake in what the operator asked for; printed as one line, without a stack trace. */
export class OperatorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OperatorError";
  }
}

/** Runs a script body, printing OperatorError and DeploymentError as `Error: …` and exiting with 1. */
export async function operatorMain(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof OperatorError || error instanceof DeploymentError) {
      console.error(`Error: ${error.message}`);
      process.exitCode = 1;
      return;
    }
    // "check your internet connection" misleads for a local node that is not started: name its URL and command.
    const { default: hre } = await import("hardhat");
    const unreachable = explainUnreachable(error, hre.globalOptions.network ?? "default");
    if (unreachable !== undefined) {
      console.error(`Error: ${unreachable}`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}

/** The network the script was started for, and the name its records go by (see recordNetworkName). */
export function selectedNetwork(hre: HardhatRuntimeEnvironment): {
  networkName: string;
  recordName: string;
  embedded: boolean;
} {
  const networkName = hre.globalOptions.network ?? "default";
  const config = hre.config.networks[networkName];
  if (config === undefined) {
    throw new OperatorError(
      `no network "${networkName}" in hardhat.config.ts (known: ${Object.keys(hre.config.networks).join(", ")})`,
    );
  }
  return {
    networkName,
    recordName: recordNetworkName(networkName, config.type),
    embedded: config.type === "edr-simulated",
  };
}

/** An address from environment variable `name`: undefined when unset and optional; an OperatorError when bad. */
export function envAddress(name: string, required: true): string;
export function envAddress(name: string, required: false): string | undefined;
export function envAddress(name: string, required: boolean): string | undefined {
  const value = process.env[name];
  if (value === undefined || value === "") {
    if (required) throw new OperatorError(`set ${name}=0x… (an address)`);
    return undefined;
  }
  if (!isAddress(value)) {
    throw new OperatorError(
      `${name}=${value} is not an address (20 bytes of hex; mixed case must match its EIP-55 checksum)`,
    );
  }
  return getAddress(value);
}

/** A comma-separated list of addresses from environment variable `name` (empty when unset). */
export function envAddresses(name: string): string[] {
  const value = process.env[name];
  if (value === undefined || value.trim() === "") return [];
  return value.split(",").map((item, i) => {
    const trimmed = item.trim();
    if (!isAddress(trimmed)) throw new OperatorError(`${name}: item ${i + 1} "${trimmed}" is not an address`);
    return getAddress(trimmed);
  });
}

/** A 32-byte hex value from environment variable `name`. */
export function envBytes32(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new OperatorError(`set ${name}=0x… (32 bytes of hex)`);
  if (!isHexString(value, 32))
    throw new OperatorError(`${name}=${value} is not 32 bytes of hex (0x followed by 64 hex digits)`);
  return value;
}

/** The records of a network's deployment, with an error that says how to get one. */
export async function deploymentOf(
  hre: HardhatRuntimeEnvironment,
  recordName: string,
  networkName: string,
): Promise<Record<ContractName, DeploymentRecord>> {
  const dir = path.join(hre.config.paths.root, "deployments", recordName);
  try {
    return await readRecords(dir);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const flag = networkName === "default" ? "" : ` --network ${networkName}`;
    throw new OperatorError(
      `no Switchyard deployment recorded for network "${recordName}" (${why}). Deploy with \`npx hardhat deploy${flag}\`.`,
    );
  }
}

/** Checks that the node the connection reaches is the chain the records were written for. */
export async function checkChain(
  connection: NetworkConnection,
  records: Record<ContractName, DeploymentRecord>,
): Promise<number> {
  const chainId = Number((await connection.ethers.provider.getNetwork()).chainId);
  const recorded = records.ChannelFactory.chainId;
  if (chainId !== recorded) {
    throw new OperatorError(
      `the records of "${records.ChannelFactory.network}" are for chain ${recorded}, but the node of this network is chain ${chainId}`,
    );
  }
  return chainId;
}

/** A read-only contract on the connection from a record's ABI. */
export function contractOf(connection: NetworkConnection, address: string, abi: unknown): Contract {
  return new Contract(address, abi as InterfaceAbi, connection.ethers.provider);
}

/** A timestamp (seconds) as an ISO date. */
export function isoTime(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString();
}
