/**
 * The deployment parameters of Switchyard: reading `ignition/parameters/<network>.json` and checking every
 * value against the rules the contracts enforce (contracts/config/DeploymentConfig.sol), so that a bad file
 * is refused with a message naming the field before any transaction is sent.
 */
import { existsSync } from "node:fs";
import path from "node:path";

import { readDeploymentParameters } from "@nomicfoundation/hardhat-ignition/helpers";
import type { DeploymentParameters } from "@nomicfoundation/ignition-core";
import { ZeroAddress, formatUnits, getAddress, isAddress } from "ethers";

import { SWITCHYARD_MODULE_ID } from "../../ignition/modules/Switchyard.js";

/** How many assets one deployment can cap (DeploymentConfig.MAX_CAPPED_ASSETS). */
export const MAX_CAPPED_ASSETS = 4;
/** The largest maxTimeout the contracts accept (type(uint32).max). */
export const MAX_TIMEOUT_BOUND = 2n ** 32n - 1n;
/** The channel ledger keeps amounts in 112-bit counters (ChannelStorage.Ledger). */
export const MAX_LEDGER_AMOUNT = 2n ** 112n - 1n;

/** One capped asset, as the ChannelFactory constructor takes it. */
export interface AssetLimit {
  /** The token address, or the zero address for native currency. */
  asset: string;
  /** The most a channel may hold of the asset after a deposit that passes through the contracts. */
  channelCapacity: bigint;
  /** The largest conditional transfer of the asset the SDK will sign. */
  transferCap: bigint;
}

/** The validated parameters of the Switchyard Ignition module. */
export interface SwitchyardParameters {
  limits: AssetLimit[];
  minTimeout: bigint;
  maxTimeout: bigint;
}

/** A parameters file is missing, malformed or out of range. The message names the file and the field. */
export class ParameterError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = "ParameterError";
  }
}

/** The reviewed parameters file of a network: ignition/parameters/<network>.json under `root`. */
export function parametersFileOf(root: string, network: string): string {
  return path.join(root, "ignition", "parameters", `${network}.json`);
}

/**
 * Reads and validates a parameters file. Amounts may be written as JSON numbers (safe integers only) or as
 * Ignition's bigint strings ("10000000000000000000n").
 */
export async function loadParameters(
  file: string,
  options: { explicit?: boolean } = {},
): Promise<SwitchyardParameters> {
  if (!existsSync(file)) {
    if (options.explicit === true) {
      throw new ParameterError("file", `the parameters file ${file} given with --parameters does not exist`);
    }
    throw new ParameterError(
      "file",
      `no deployment parameters file ${file}: every network needs a reviewed file ` +
        `ignition/parameters/<network>.json (copy ignition/parameters/sepolia.json and review each limit)`,
    );
  }
  let raw: unknown;
  try {
    raw = await readDeploymentParameters(file);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new ParameterError("file", `cannot parse ${file}: ${why}`);
  }
  return validateParameters(raw, file);
}

/**
 * Checks a parameters object (the parsed file: `{ "Switchyard": { limits, minTimeout, maxTimeout } }`) and
 * returns it typed and normalized (checksummed addresses, bigints). Throws a ParameterError naming the field.
 */
export function validateParameters(raw: unknown, source = "parameters"): SwitchyardParameters {
  const fail: (field: string, why: string) => never = (field, why) => {
    throw new ParameterError(field, `${source}: ${field} ${why}`);
  };
  if (!isRecord(raw)) fail("(root)", 'must be an object with a "Switchyard" key');
  const root = raw as Record<string, unknown>;
  for (const key of Object.keys(root)) {
    if (key !== SWITCHYARD_MODULE_ID)
      fail(key, `is not a module of this deployment (expected only "${SWITCHYARD_MODULE_ID}")`);
  }
  const moduleParams = root[SWITCHYARD_MODULE_ID];
  if (!isRecord(moduleParams)) fail(SWITCHYARD_MODULE_ID, "is missing or not an object");
  const params = moduleParams as Record<string, unknown>;
  const known = new Set(["limits", "minTimeout", "maxTimeout"]);
  for (const key of Object.keys(params)) {
    if (!known.has(key))
      fail(`${SWITCHYARD_MODULE_ID}.${key}`, "is not a parameter (expected limits, minTimeout, maxTimeout)");
  }

  const limitsField = `${SWITCHYARD_MODULE_ID}.limits`;
  const rawLimits = params.limits;
  if (!Array.isArray(rawLimits)) fail(limitsField, "is missing or not an array");
  const list = rawLimits as unknown[];
  if (list.length > MAX_CAPPED_ASSETS) {
    fail(limitsField, `has ${list.length} assets; a deployment can cap at most ${MAX_CAPPED_ASSETS}`);
  }
  const limits: AssetLimit[] = [];
  const seen = new Map<string, number>();
  list.forEach((entry, i) => {
    const field = `${limitsField}[${i}]`;
    if (!isRecord(entry)) fail(field, "must be an object { asset, channelCapacity, transferCap }");
    const limit = entry as Record<string, unknown>;
    for (const key of Object.keys(limit)) {
      if (!["asset", "channelCapacity", "transferCap"].includes(key)) {
        fail(`${field}.${key}`, "is not a field (expected asset, channelCapacity, transferCap)");
      }
    }
    const asset = toAddress(limit.asset, `${field}.asset`, fail);
    const previous = seen.get(asset);
    if (previous !== undefined) fail(`${field}.asset`, `${asset} is already capped by ${limitsField}[${previous}]`);
    seen.set(asset, i);
    const channelCapacity = toUint(limit.channelCapacity, `${field}.channelCapacity`, fail);
    const transferCap = toUint(limit.transferCap, `${field}.transferCap`, fail);
    if (channelCapacity === 0n) fail(`${field}.channelCapacity`, "is zero; a capped asset needs a non-zero capacity");
    if (transferCap === 0n) fail(`${field}.transferCap`, "is zero; a capped asset needs a non-zero transfer cap");
    if (transferCap > channelCapacity) {
      fail(`${field}.transferCap`, `(${transferCap}) exceeds ${field}.channelCapacity (${channelCapacity})`);
    }
    if (channelCapacity > MAX_LEDGER_AMOUNT) {
      fail(`${field}.channelCapacity`, `(${channelCapacity}) does not fit the channel ledger's 112-bit counters`);
    }
    limits.push({ asset, channelCapacity, transferCap });
  });

  const minField = `${SWITCHYARD_MODULE_ID}.minTimeout`;
  const maxField = `${SWITCHYARD_MODULE_ID}.maxTimeout`;
  const minTimeout = toUint(params.minTimeout, minField, fail);
  const maxTimeout = toUint(params.maxTimeout, maxField, fail);
  if (minTimeout === 0n) fail(minField, "is zero; the shortest dispute phase must be at least one second");
  if (maxTimeout < minTimeout)
    fail(maxField, `(${maxTimeout} s) is below ${minField} (${minTimeout} s): the bounds are inverted`);
  if (maxTimeout > MAX_TIMEOUT_BOUND) fail(maxField, `(${maxTimeout} s) must be below 2^32 seconds`);

  return { limits, minTimeout, maxTimeout };
}

/** The arguments of the ChannelFactory constructor for these parameters. */
export function factoryConstructorArgs(params: SwitchyardParameters): [AssetLimit[], bigint, bigint] {
  return [params.limits.map((l) => ({ ...l })), params.minTimeout, params.maxTimeout];
}

/** The parameters in the form Ignition takes them (`{ Switchyard: {...} }`). */
export function toIgnitionParameters(params: SwitchyardParameters): DeploymentParameters {
  const limits = params.limits.map((l) => ({
    asset: l.asset,
    channelCapacity: l.channelCapacity,
    transferCap: l.transferCap,
  }));
  return { [SWITCHYARD_MODULE_ID]: { limits, minTimeout: params.minTimeout, maxTimeout: params.maxTimeout } };
}

/** A human reading of an amount of an asset (ETH and the well-known 6-decimal stablecoins get units). */
export function describeAmount(asset: string, amount: bigint): string {
  if (amount === 2n ** 256n - 1n) return "unlimited";
  if (asset === ZeroAddress) return `${formatUnits(amount, 18)} ETH`;
  const decimals = KNOWN_TOKENS[asset];
  if (decimals !== undefined) return `${formatUnits(amount, decimals.decimals)} ${decimals.symbol}`;
  return `${amount} (base units)`;
}

/** A human reading of a number of seconds. */
export function describeSeconds(seconds: bigint): string {
  const units: [bigint, string][] = [
    [86_400n, "d"],
    [3_600n, "h"],
    [60n, "min"],
  ];
  for (const [size, unit] of units) {
    if (seconds >= size && seconds % size === 0n) return `${seconds / size} ${unit} (${seconds} s)`;
  }
  return `${seconds} s`;
}

/** Tokens whose units the operator scripts print by name. */
const KNOWN_TOKENS: Record<string, { symbol: string; decimals: number }> = {
  "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48": { symbol: "USDC", decimals: 6 },
  "0xdAC17F958D2ee523a2206206994597C13D831ec7": { symbol: "USDT", decimals: 6 },
  "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238": { symbol: "USDC (Sepolia)", decimals: 6 },
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function toAddress(value: unknown, field: string, fail: (field: string, why: string) => never): string {
  if (typeof value !== "string")
    return fail(field, "must be an address string (0x… 20 bytes; the zero address for ETH)");
  if (!isAddress(value)) {
    return fail(
      field,
      `"${value}" is not a valid address (20 bytes of hex; mixed case must be a correct EIP-55 checksum)`,
    );
  }
  return getAddress(value);
}

function toUint(value: unknown, field: string, fail: (field: string, why: string) => never): bigint {
  let result: bigint;
  if (typeof value === "bigint") {
    result = value;
  } else if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) {
      return fail(
        field,
        `(${value}) must be an integer below 2^53; write larger amounts as a string like "10000000000000000000n"`,
      );
    }
    result = BigInt(value);
  } else if (typeof value === "string" && /^[0-9]+$/.test(value)) {
    // A decimal string without Ignition's "n" suffix is refused (Ignition would pass it on as a string), but a
    // zero is let through so that the caller reports what is really wrong with it: a zero cap or timeout.
    if (BigInt(value) !== 0n) return fail(field, `("${value}") needs Ignition's "n" suffix: write "${value}n"`);
    result = 0n;
  } else if (value === undefined) {
    return fail(field, "is missing");
  } else {
    return fail(
      field,
      `must be an integer (a JSON number, or a string like "1000n" for large amounts), got ${JSON.stringify(value)}`,
    );
  }
  if (result < 0n) return fail(field, `(${result}) must not be negative`);
  if (result >= 2n ** 256n) return fail(field, `(${result}) does not fit a uint256`);
  return result;
}
