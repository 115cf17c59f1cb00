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
import { rm } from "node:fs/promises";
import path from "node:path";

import {
  AbiCoder,
  Contract,
  Interface,
  type Provider,
  concat,
  dataSlice,
  getAddress,
  getCreate2Address,
  getCreateAddress,
  isHexString,
  keccak256,
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
} from "./parameters.js";

import {
  type Artifact,
  CONTRACT_NAMES,
  CREATEX_ADDRESS,
  type ContractName,
  DEV_CHAIN_ID,
  type DeploymentAddresses,
  DeploymentError,
  type DeploymentRecord,
  buildRecords,
  readArtifact,
  readRecords,
  writeRecords,
} from "./deployment-records.js";

export {
  CONTRACT_NAMES,
  CREATEX_ADDRESS,
  DEV_CHAIN_ID,
  DeploymentError,
  parametersFromRecord,
  readArtifact,
  readRecords,
  type ContractName,
  type DeploymentAddresses,
  type DeploymentRecord,
  type JsonValue,
} from "./deployment-records.js";

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
