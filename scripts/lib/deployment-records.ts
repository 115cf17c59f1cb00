/**
 * The flat deployment records `deployments/<network>/<Contract>.json` that other projects read (and the node's
 * `deployment.records` config), with the names and constants they share with the deployment (deployment.ts).
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";

import { type InterfaceAbi, type Provider, dataLength, id, isHexString, zeroPadValue } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type SwitchyardParameters, validateParameters } from "./parameters.js";

/** The CreateX factory Ignition's create2 strategy deploys through (v0.1.0, same address on every chain). */
export const CREATEX_ADDRESS = "0xba5Ed099633D3B313e4D5F7bdc1305d3c28ba5Ed";
/** The chain id of local development chains (the embedded Hardhat network and anvil by default). */
export const DEV_CHAIN_ID = 31337;

/** The contracts of one Switchyard deployment, in the order they are reported. */
export const CONTRACT_NAMES = [
  "ChannelFactory",
  "ChannelMastercopy",
  "HashlockResolver",
  "SignedTransferResolver",
] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];
export type DeploymentAddresses = Record<ContractName, string>;

/** A JSON value of a record's constructor arguments (bigints are written as decimal strings). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The flat record of one deployed contract: deployments/<network>/<contractName>.json. */
export interface DeploymentRecord {
  contractName: ContractName;
  address: string;
  abi: JsonValue[];
  constructorArgs: JsonValue[];
  /** The transaction that created the contract (for the mastercopy: the factory's deployment transaction). */
  transactionHash: string | null;
  blockNumber: number | null;
  chainId: number;
  network: string;
  /** The Ignition deployment id (its journal is ignition/deployments/<deploymentId>/ on non-embedded networks). */
  deploymentId: string;
}

/** A deployment problem found by the task itself (not by Hardhat or Ignition). */
export class DeploymentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeploymentError";
  }
}

export interface Artifact {
  abi: InterfaceAbi;
  bytecode: string;
}

/** A contract's artifact by name, typed for what this module needs. */
export async function readArtifact(hre: HardhatRuntimeEnvironment, name: ContractName): Promise<Artifact> {
  const artifact = await hre.artifacts.readArtifact(name);
  return { abi: artifact.abi as InterfaceAbi, bytecode: artifact.bytecode };
}

export interface RecordContext {
  network: string;
  chainId: number;
  deploymentId: string;
  addresses: DeploymentAddresses;
  params: SwitchyardParameters;
  fromBlock: number;
  previous: Partial<Record<ContractName, DeploymentRecord>> | undefined;
}

export async function buildRecords(
  hre: HardhatRuntimeEnvironment,
  provider: Provider,
  ctx: RecordContext,
): Promise<Record<ContractName, DeploymentRecord>> {
  const limitsJson = ctx.params.limits.map((l) => ({
    asset: l.asset,
    channelCapacity: l.channelCapacity.toString(),
    transferCap: l.transferCap.toString(),
  }));
  const constructorArgs: Record<ContractName, JsonValue[]> = {
    ChannelFactory: [limitsJson, ctx.params.minTimeout.toString(), ctx.params.maxTimeout.toString()],
    // ChannelMastercopy(address factory, AssetLimit[] limits, uint256 minTimeout, uint256 maxTimeout)
    ChannelMastercopy: [
      ctx.addresses.ChannelFactory,
      limitsJson,
      ctx.params.minTimeout.toString(),
      ctx.params.maxTimeout.toString(),
    ],
    HashlockResolver: [],
    SignedTransferResolver: [],
  };
  const creation = async (
    name: ContractName,
  ): Promise<{ transactionHash: string | null; blockNumber: number | null }> => {
    const creator: ContractName = name === "ChannelMastercopy" ? "ChannelFactory" : name;
    const prev = ctx.previous?.[name];
    if (
      prev !== undefined &&
      prev.address === ctx.addresses[name] &&
      prev.chainId === ctx.chainId &&
      prev.transactionHash !== null
    ) {
      return { transactionHash: prev.transactionHash, blockNumber: prev.blockNumber };
    }
    const found = await findCreation(provider, ctx.addresses[creator], ctx.fromBlock);
    // A contract that was already there (another parameter set's resolvers) was created before this run.
    if (found.transactionHash === null && ctx.fromBlock > 0)
      return await findCreation(provider, ctx.addresses[creator], 0);
    return found;
  };
  const result = {} as Record<ContractName, DeploymentRecord>;
  for (const name of CONTRACT_NAMES) {
    const artifact = await readArtifact(hre, name);
    const { transactionHash, blockNumber } = await creation(name);
    result[name] = {
      contractName: name,
      address: ctx.addresses[name],
      abi: artifact.abi as JsonValue[],
      constructorArgs: constructorArgs[name],
      transactionHash,
      blockNumber,
      chainId: ctx.chainId,
      network: ctx.network,
      deploymentId: ctx.deploymentId,
    };
  }
  return result;
}

const CONTRACT_CREATION_TOPICS = [id("ContractCreation(address,bytes32)"), id("ContractCreation(address)")];

/** The transaction in which CreateX created `address` (null if the node cannot search that far back). */
async function findCreation(
  provider: Provider,
  address: string,
  fromBlock: number,
): Promise<{ transactionHash: string | null; blockNumber: number | null }> {
  try {
    const logs = await provider.getLogs({
      address: CREATEX_ADDRESS,
      fromBlock,
      toBlock: "latest",
      topics: [CONTRACT_CREATION_TOPICS, zeroPadValue(address, 32)],
    });
    const log = logs[0];
    if (log === undefined) return { transactionHash: null, blockNumber: null };
    return { transactionHash: log.transactionHash, blockNumber: log.blockNumber };
  } catch {
    return { transactionHash: null, blockNumber: null };
  }
}

/** Writes one JSON file per contract. */
export async function writeRecords(dir: string, records: Record<ContractName, DeploymentRecord>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const name of CONTRACT_NAMES) {
    await writeFile(path.join(dir, `${name}.json`), `${JSON.stringify(records[name], null, 2)}\n`);
  }
}

/**
 * Reads the records of a network from `dir` (deployments/<network>). Throws a DeploymentError naming what is
 * missing when the network has no complete deployment there.
 */
export async function readRecords(dir: string): Promise<Record<ContractName, DeploymentRecord>> {
  if (!existsSync(dir)) throw new DeploymentError(`no deployment records in ${dir}`);
  const files = new Set(await readdir(dir));
  const result = {} as Record<ContractName, DeploymentRecord>;
  for (const name of CONTRACT_NAMES) {
    const file = `${name}.json`;
    if (!files.has(file)) throw new DeploymentError(`the deployment in ${dir} has no ${file}`);
    const parsed: unknown = JSON.parse(await readFile(path.join(dir, file), "utf8"));
    result[name] = checkRecord(parsed, path.join(dir, file), name);
  }
  return result;
}

/** The parameters a ChannelFactory record's constructor args describe (validated like a parameters file). */
export function parametersFromRecord(record: DeploymentRecord, source: string): SwitchyardParameters {
  const [limits, minTimeout, maxTimeout] = record.constructorArgs;
  const big = (value: JsonValue | undefined): unknown =>
    typeof value === "string" && /^\d+$/.test(value) ? BigInt(value) : value;
  const rawLimits = Array.isArray(limits)
    ? limits.map((l) =>
        typeof l === "object" && l !== null && !Array.isArray(l)
          ? { asset: l.asset, channelCapacity: big(l.channelCapacity), transferCap: big(l.transferCap) }
          : l,
      )
    : limits;
  return validateParameters(
    { Switchyard: { limits: rawLimits, minTimeout: big(minTimeout), maxTimeout: big(maxTimeout) } },
    source,
  );
}

function checkRecord(value: unknown, file: string, name: ContractName): DeploymentRecord {
  const bad = (why: string): never => {
    throw new DeploymentError(`${file}: ${why}`);
  };
  if (typeof value !== "object" || value === null) return bad("not a JSON object");
  const r = value as Record<string, unknown>;
  if (r.contractName !== name) bad(`contractName is ${String(r.contractName)}, expected ${name}`);
  if (typeof r.address !== "string" || !isHexString(r.address) || dataLength(r.address) !== 20)
    bad("address is not an address");
  if (!Array.isArray(r.abi)) bad("abi is not an array");
  if (!Array.isArray(r.constructorArgs)) bad("constructorArgs is not an array");
  if (typeof r.chainId !== "number") bad("chainId is not a number");
  if (typeof r.network !== "string") bad("network is not a string");
  return value as DeploymentRecord;
}
