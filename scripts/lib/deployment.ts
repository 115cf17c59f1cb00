/**
 * Deploying Switchyard with Hardhat Ignition's create2 strategy, and the flat deployment records
 * `deployments/<network>/<Contract>.json` that other projects read.
 *
 * Addresses are deterministic: Ignition deploys each contract through the CreateX factory
 * (0xba5Ed099633D3B313e4D5F7bdc1305d3c28ba5Ed, the same on every chain) with the salt fixed in
 * hardhat.config.ts, so an address depends only on the salt and the init code (build + constructor
 * arguments), never on the chain or the sender. `predictAddresses` computes them before anything is sent.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";

import {
  AbiCoder,
  Contract,
  Interface,
  type InterfaceAbi,
  type Provider,
  concat,
  dataLength,
  dataSlice,
  getAddress,
  getCreate2Address,
  getCreateAddress,
  id,
  isHexString,
  keccak256,
  zeroPadValue,
} from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { NetworkConnection } from "hardhat/types/network";

import switchyardModule, { type ExistingContracts, buildSwitchyardModule } from "../../ignition/modules/Switchyard.js";
import {
  type AssetLimit,
  type SwitchyardParameters,
  factoryConstructorArgs,
  parametersFileOf,
  toIgnitionParameters,
  validateParameters,
} from "./parameters.js";

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

export interface DeployOptions {
  /** Where the flat records go: `<deploymentsDir>/<network>/`. Default: `<project root>/deployments`. */
  deploymentsDir?: string;
  /** The Ignition deployment id. Default: `chain-<chainId>`, Ignition's own default. */
  deploymentId?: string;
  /** Show Ignition's progress display. Default: false. */
  displayUi?: boolean;
  /** Where progress lines go. Default: console.log. */
  log?: (line: string) => void;
}

export interface DeploymentResult {
  network: string;
  chainId: number;
  deploymentId: string;
  addresses: DeploymentAddresses;
  /** False when every contract was already on chain, so nothing was sent. */
  sentTransactions: boolean;
  records: Record<ContractName, DeploymentRecord>;
  recordsDir: string;
}

interface Artifact {
  abi: InterfaceAbi;
  bytecode: string;
}

/** The create2 salt configured for Ignition in hardhat.config.ts (`ignition.strategyConfig.create2.salt`). */
export function configuredSalt(hre: HardhatRuntimeEnvironment): string {
  const salt = hre.config.ignition.strategyConfig?.create2?.salt;
  if (typeof salt !== "string" || !isHexString(salt, 32)) {
    throw new DeploymentError(
      "hardhat.config.ts has no 32-byte ignition.strategyConfig.create2.salt; deterministic deployment needs it",
    );
  }
  return salt;
}

/**
 * The salt CreateX really uses for `deployCreate2(salt, initCode)` from any sender, for a salt whose first
 * 20 bytes are neither zero nor the sender (CreateX's "pseudo-random" case): keccak256(abi.encode(salt)).
 * That makes the address independent of the chain and of the deployer.
 */
export function createXGuardedSalt(salt: string): string {
  if (!isHexString(salt, 32)) throw new DeploymentError(`create2 salt ${salt} is not 32 bytes of hex`);
  if (BigInt(dataSlice(salt, 0, 20)) === 0n) {
    throw new DeploymentError(
      `create2 salt ${salt} starts with 20 zero bytes: CreateX would tie the address to the chain id or refuse it; ` +
        `use a salt whose first 20 bytes are random (e.g. keccak256 of a label)`,
    );
  }
  return keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32"], [salt]));
}

/** The init code (creation bytecode + ABI-encoded constructor arguments) of a contract. */
export function initCode(artifact: Artifact, args: readonly unknown[]): string {
  return concat([artifact.bytecode, new Interface(artifact.abi).encodeDeploy(args)]);
}

/** The addresses a deployment with these parameters gets on every chain, computed without a node. */
export async function predictAddresses(
  hre: HardhatRuntimeEnvironment,
  params: SwitchyardParameters,
  salt = configuredSalt(hre),
): Promise<DeploymentAddresses> {
  const guarded = createXGuardedSalt(salt);
  const at = async (name: ContractName, args: readonly unknown[]) =>
    getCreate2Address(CREATEX_ADDRESS, guarded, keccak256(initCode(await readArtifact(hre, name), args)));
  const channelFactory = await at("ChannelFactory", factoryConstructorArgs(params));
  return {
    ChannelFactory: channelFactory,
    // The factory's constructor creates the mastercopy with CREATE as the factory's first creation (nonce 1).
    ChannelMastercopy: getCreateAddress({ from: channelFactory, nonce: 1 }),
    HashlockResolver: await at("HashlockResolver", []),
    SignedTransferResolver: await at("SignedTransferResolver", []),
  };
}

/**
 * Deploys Switchyard on `connection` with already validated parameters (see parameters.ts), or does nothing
 * if the deployment is already on chain, then writes the flat records. Every contract's address is checked
 * against the prediction and the factory's on-chain configuration against the parameters.
 */
export async function deploySwitchyard(
  hre: HardhatRuntimeEnvironment,
  connection: NetworkConnection,
  params: SwitchyardParameters,
  options: DeployOptions = {},
): Promise<DeploymentResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const network = recordNetworkName(connection.networkName, connection.networkConfig.type);
  const provider = connection.ethers.provider;
  const salt = configuredSalt(hre);
  const predicted = await predictAddresses(hre, params, salt);
  const chainId = Number((await provider.getNetwork()).chainId);
  const deploymentId = options.deploymentId ?? `chain-${chainId}`;
  const embedded = connection.networkConfig.type === "edr-simulated";
  const journalDir = path.join(hre.config.paths.ignition, "deployments", deploymentId);

  const present = await codePresence(provider, predicted);
  const allPresent = CONTRACT_NAMES.every((name) => present[name]);
  const nonePresent = CONTRACT_NAMES.every((name) => !present[name]);
  let sentTransactions = false;
  let fromBlock = 0;

  if (allPresent) {
    log(`Switchyard is already deployed on ${network} (chain ${chainId}) at these addresses; nothing to send.`);
  } else {
    if (!embedded && existsSync(journalDir) && nonePresent && chainId === DEV_CHAIN_ID) {
      // A journal of a previous local node (anvil or `hardhat node` restarted): its chain is gone.
      log(
        `Removing the stale Ignition journal ${path.relative(hre.config.paths.root, journalDir)} of a previous local node.`,
      );
      await rm(journalDir, { recursive: true, force: true });
    }
    // Without a journal, contracts already at their address (the shared resolvers of another parameter set,
    // or anyone's deployment of the same code) are used where they are; with one, Ignition resumes it.
    const existing: ExistingContracts = {};
    if (!nonePresent && (embedded || !existsSync(journalDir))) {
      for (const name of ["ChannelFactory", "HashlockResolver", "SignedTransferResolver"] as const) {
        if (present[name]) {
          existing[name] = predicted[name];
          log(`${name} is already at ${predicted[name]}: using it.`);
        }
      }
    }
    fromBlock = await provider.getBlockNumber();
    log(
      `Deploying Switchyard to ${network} (chain ${chainId}) with Ignition's create2 strategy, deployment id ${deploymentId}…`,
    );
    const module = Object.keys(existing).length === 0 ? switchyardModule : buildSwitchyardModule(existing);
    let deployed;
    try {
      deployed = await connection.ignition.deploy(module, {
        parameters: toIgnitionParameters(params),
        strategy: "create2",
        deploymentId,
        displayUi: options.displayUi ?? false,
      });
    } catch (error) {
      throw explainIgnitionError(error, deploymentId, path.relative(hre.config.paths.root, journalDir));
    }
    const actual: DeploymentAddresses = {
      ChannelFactory: await deployed.channelFactory.getAddress(),
      ChannelMastercopy: await deployed.channelMastercopy.getAddress(),
      HashlockResolver: await deployed.hashlockResolver.getAddress(),
      SignedTransferResolver: await deployed.signedTransferResolver.getAddress(),
    };
    for (const name of CONTRACT_NAMES) {
      if (getAddress(actual[name]) !== predicted[name]) {
        throw new DeploymentError(
          `${name} was deployed at ${actual[name]}, not at the predicted ${predicted[name]}: the create2 ` +
            `salt handling differs from CreateX's (see createXGuardedSalt)`,
        );
      }
    }
    sentTransactions = true;
  }

  await checkOnChain(hre, provider, predicted, params, network);

  const recordsDir = path.join(options.deploymentsDir ?? path.join(hre.config.paths.root, "deployments"), network);
  const records = await buildRecords(hre, provider, {
    network,
    chainId,
    deploymentId,
    addresses: predicted,
    params,
    fromBlock: sentTransactions ? fromBlock : 0,
    previous: await readRecords(recordsDir).catch(() => undefined),
  });
  await writeRecords(recordsDir, records);
  return { network, chainId, deploymentId, addresses: predicted, sentTransactions, records, recordsDir };
}

/**
 * The name a network's records and parameters go by. Hardhat 3 calls its embedded network "default"; this
 * project calls it "hardhat" (ignition/parameters/hardhat.json, deployments/hardhat/), as users know it.
 */
export function recordNetworkName(networkName: string, type: string): string {
  return networkName === "default" && type === "edr-simulated" ? "hardhat" : networkName;
}

/**
 * The reviewed parameters file of a network: ignition/parameters/<name>.json; an embedded (simulated)
 * network without its own file uses hardhat.json.
 */
export function parametersFileFor(hre: HardhatRuntimeEnvironment, networkName: string): string {
  const config = hre.config.networks[networkName];
  const type = config?.type ?? "http";
  const name = recordNetworkName(networkName, type);
  const own = parametersFileOf(hre.config.paths.root, name);
  if (!existsSync(own) && type === "edr-simulated") return parametersFileOf(hre.config.paths.root, "hardhat");
  return own;
}

/** Whether each contract of a deployment has code at its predicted address (for `deploy --dry-run`). */
export async function deploymentPresence(
  provider: Provider,
  addresses: DeploymentAddresses,
): Promise<Record<ContractName, boolean>> {
  return codePresence(provider, addresses);
}

/**
 * Ignition's HHE10120 when its journal for this deployment id holds another parameter set (reconciliation
 * failed), turned into a DeploymentError that says what to do; any other error is returned unchanged.
 */
export function explainIgnitionError(error: unknown, deploymentId: string, journalDir: string): unknown {
  const number = (error as { number?: unknown } | null)?.number;
  const message = error instanceof Error ? error.message : "";
  if (number !== 10120 || !/reconciliation/i.test(message)) return error;
  return new DeploymentError(
    `Ignition's journal ${journalDir} (deployment id ${deploymentId}) holds a deployment with other parameters ` +
      `or code, so it cannot be resumed with these. To deploy this parameter set next to it, pass a new id: ` +
      `npx hardhat deploy --deployment-id <id>. (Ignition said: ${message.replace(/\s+/g, " ").trim()})`,
  );
}

/** Whether each address has code. */
async function codePresence(
  provider: Provider,
  addresses: DeploymentAddresses,
): Promise<Record<ContractName, boolean>> {
  const entries = await Promise.all(
    CONTRACT_NAMES.map(async (name) => [name, (await provider.getCode(addresses[name])) !== "0x"] as const),
  );
  return Object.fromEntries(entries) as Record<ContractName, boolean>;
}

/** Checks that every contract has code and the factory holds exactly these parameters and this mastercopy. */
async function checkOnChain(
  hre: HardhatRuntimeEnvironment,
  provider: Provider,
  addresses: DeploymentAddresses,
  params: SwitchyardParameters,
  network: string,
): Promise<void> {
  const present = await codePresence(provider, addresses);
  for (const name of CONTRACT_NAMES) {
    if (!present[name])
      throw new DeploymentError(`${name} has no code at ${addresses[name]} on ${network} after deploying`);
  }
  const factory = new Contract(addresses.ChannelFactory, (await readArtifact(hre, "ChannelFactory")).abi, provider);
  const mastercopy = getAddress(String(await factory.getFunction("mastercopy")()));
  if (mastercopy !== addresses.ChannelMastercopy) {
    throw new DeploymentError(`ChannelFactory.mastercopy() is ${mastercopy}, expected ${addresses.ChannelMastercopy}`);
  }
  const onChain = await readFactoryConfig(factory);
  const same =
    onChain.minTimeout === params.minTimeout &&
    onChain.maxTimeout === params.maxTimeout &&
    onChain.limits.length === params.limits.length &&
    onChain.limits.every((l, i) => {
      const p = params.limits[i];
      return (
        p !== undefined &&
        l.asset === p.asset &&
        l.channelCapacity === p.channelCapacity &&
        l.transferCap === p.transferCap
      );
    });
  if (!same)
    throw new DeploymentError(
      `the ChannelFactory at ${addresses.ChannelFactory} does not hold the reviewed parameters`,
    );
}

/** The limits and timeout bounds a ChannelFactory (or mastercopy) holds. */
export async function readFactoryConfig(factory: Contract): Promise<SwitchyardParameters> {
  const rawLimits: unknown = await factory.getFunction("cappedAssets")();
  const limits: AssetLimit[] = [];
  for (const entry of rawLimits as Iterable<readonly [string, bigint, bigint]>) {
    limits.push({ asset: getAddress(entry[0]), channelCapacity: BigInt(entry[1]), transferCap: BigInt(entry[2]) });
  }
  const minTimeout = BigInt(String(await factory.getFunction("minTimeout")()));
  const maxTimeout = BigInt(String(await factory.getFunction("maxTimeout")()));
  return { limits, minTimeout, maxTimeout };
}

/** A contract's artifact by name, typed for what this module needs. */
export async function readArtifact(hre: HardhatRuntimeEnvironment, name: ContractName): Promise<Artifact> {
  const artifact = await hre.artifacts.readArtifact(name);
  return { abi: artifact.abi as InterfaceAbi, bytecode: artifact.bytecode };
}

interface RecordContext {
  network: string;
  chainId: number;
  deploymentId: string;
  addresses: DeploymentAddresses;
  params: SwitchyardParameters;
  fromBlock: number;
  previous: Partial<Record<ContractName, DeploymentRecord>> | undefined;
}

async function buildRecords(
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
async function writeRecords(dir: string, records: Record<ContractName, DeploymentRecord>): Promise<void> {
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
