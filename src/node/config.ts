/**
 * The node's config file (JSON), validated at start with zod: any bad field stops the node before it listens,
 * with a ConfigError naming the field. Secrets never come from the file: the node key is an encrypted v3
 * keystore whose password is in an environment variable, or a private key in an environment variable.
 * Amounts are decimal strings (or safe integers); relative paths are relative to the config file.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";

import { z } from "zod";

import { SwitchyardError } from "../protocol/errors.js";
import { address } from "../wire/schemas.js";
import { DEFAULT_WIRE_LIMITS } from "./options.js";

/** A config that cannot be used: `field` is its dotted path ("chain.rpcUrl", "collateral.0.max"). */
export class ConfigError extends SwitchyardError {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super("CONFIG", `${field}: ${reason}`);
  }
}

const MAX_UINT256 = (1n << 256n) - 1n;
/** An amount: a decimal string or a safe non-negative integer, as a bigint. */
const amount = z
  .union([
    z.string().regex(/^\d{1,78}$/, "expected a decimal string of digits"),
    z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  ])
  .transform((v) => BigInt(v))
  .refine((v) => v <= MAX_UINT256, "above uint256");
const ppm = amount.refine((v) => v <= 1_000_000n, "parts per million: at most 1000000");
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "expected an environment variable name (A-Z, 0-9, _)");

const SECRET_KEYS = ["privateKey", "password", "mnemonic", "seed", "secret"];

const keySource = z
  .record(z.string(), z.unknown())
  .superRefine((raw, ctx) => {
    for (const k of SECRET_KEYS) {
      if (k in raw) {
        ctx.addIssue({
          code: "custom",
          path: [k],
          message: "a secret is never read from the config file: use keystore + passwordEnv, or privateKeyEnv",
        });
      }
    }
  })
  .pipe(
    z
      .strictObject({
        keystore: z.string().min(1).optional(),
        passwordEnv: envName.optional(),
        privateKeyEnv: envName.optional(),
      })
      .superRefine((k, ctx) => {
        const viaKeystore = k.keystore !== undefined;
        const viaEnv = k.privateKeyEnv !== undefined;
        if (viaKeystore === viaEnv) {
          ctx.addIssue({ code: "custom", message: "give exactly one of keystore (with passwordEnv) or privateKeyEnv" });
        } else if (viaKeystore && k.passwordEnv === undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["passwordEnv"],
            message: "a keystore needs passwordEnv: the variable holding its password",
          });
        }
      }),
  );

const assetLimit = z.strictObject({ asset: address, channelCapacity: amount, transferCap: amount });
const deployment = z.union([
  z.strictObject({ records: z.string().min(1) }),
  z.strictObject({
    addresses: z.strictObject({
      ChannelFactory: address,
      ChannelMastercopy: address,
      HashlockResolver: address,
      SignedTransferResolver: address,
    }),
    limits: z.strictObject({ minTimeout: amount, maxTimeout: amount, assets: z.array(assetLimit).max(256) }),
  }),
]);

const collateral = z
  .strictObject({ asset: address, min: amount, target: amount, max: amount })
  .superRefine((c, ctx) => {
    if (c.min > c.target) ctx.addIssue({ code: "custom", path: ["target"], message: "target is below min" });
    if (c.target > c.max) ctx.addIssue({ code: "custom", path: ["max"], message: "max is below target" });
  });
const fee = z.strictObject({ flat: amount, ppm });

const positive = z.number().int().positive();
const wire = z
  .strictObject({
    maxMessageBytes: positive.max(16 * 1024 * 1024),
    maxDepth: positive.max(64),
    ratePerSecond: z.number().positive().max(100_000),
    burst: positive,
    maxInFlight: positive.max(1024),
    misbehaviourLimit: positive,
    misbehaviourDecayMs: positive,
    challengeTtlSeconds: positive.max(86_400),
    maxChallenges: positive.max(64),
    maxConnections: positive,
    maxPaymentsInFlight: z.number().int().min(0).max(1_000_000),
    drainTimeoutMs: positive.max(600_000),
  })
  .partial();

export const configSchema = z.strictObject({
  name: z.string().min(1).max(64).default("Switchyard node"),
  listen: z
    .strictObject({
      host: z.string().min(1).default("127.0.0.1"),
      port: z.number().int().min(0).max(65_535).default(7545),
    })
    .default({ host: "127.0.0.1", port: 7545 }),
  chain: z.strictObject({
    rpcUrl: z.url({ protocol: /^(https?|wss?)$/, error: "expected an http(s):// or ws(s):// URL" }),
    chainId: z.number().int().positive(),
  }),
  deployment,
  key: keySource,
  store: z
    .string()
    .min(1)
    .default("sqlite:switchyard.sqlite")
    .refine(
      (s) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /^postgres(ql)?:\/\//.test(s),
      "expected a SQLite path (or sqlite:<path>) or a postgres:// URL",
    ),
  channelTimeout: amount.default(86_400n),
  /** Several node processes on one PostgreSQL store (docs/NODE.md "Running N processes"). */
  cluster: z
    .strictObject({
      enabled: z.boolean().default(true),
      id: z
        .string()
        .regex(/^[A-Za-z0-9_.-]{1,64}$/, "letters, digits, _ . - (at most 64)")
        .optional(),
      leaseMs: z.number().int().min(500).max(60_000).optional(),
      leaderPollMs: z.number().int().min(100).max(60_000).optional(),
      relayTimeoutMs: z.number().int().min(100).max(120_000).optional(),
    })
    .optional(),
  collateral: z.array(collateral).max(256).default([]),
  transactions: z
    .strictObject({
      bumpPercent: z.number().int().min(10, "nodes refuse a replacement below a 10% fee rise").max(1_000).default(15),
      maxFeePerGas: amount.optional(),
      stuckAfterSeconds: positive.max(86_400).default(60),
      receiptPollMs: positive.max(60_000).default(1_000),
    })
    .default({ bumpPercent: 15, stuckAfterSeconds: 60, receiptPollMs: 1_000 }),
  watcher: z.strictObject({ pollSeconds: positive.max(3_600).default(4) }).default({ pollSeconds: 4 }),
  fees: z
    .strictObject({
      default: fee.default({ flat: 0n, ppm: 0n }),
      assets: z
        .array(fee.extend({ asset: address }))
        .max(256)
        .default([]),
    })
    .default({ default: { flat: 0n, ppm: 0n }, assets: [] }),
  wire: wire.default({}),
  /** Peer nodes (docs/NODE.md "Peering"): the higher address of a pair dials the lower one's `url`. */
  peers: z
    .array(
      z.strictObject({
        address,
        url: z.url({ protocol: /^wss?$/, error: "expected a ws:// or wss:// URL (the peer's /v1)" }).optional(),
      }),
    )
    .max(64)
    .default([]),
  /** The payer's node's retry of a payment across nodes (docs/NODE.md "Peering", PROTOCOL.md §17.6). */
  routeRetry: z
    .strictObject({
      /** Routes tried per payment, the first included (1: no retry). */
      maxAttempts: z.number().int().min(1).max(16).default(3),
      /** Seconds from the node's acceptance of the payer's lock after which no further route is tried. */
      withinSeconds: positive.max(3_600).default(30),
    })
    .default({ maxAttempts: 3, withinSeconds: 30 }),
  log: z
    .strictObject({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info") })
    .default({ level: "info" }),
});

export type NodeConfig = z.output<typeof configSchema>;

/** A validated config with its paths made absolute and its store URL classified. */
export interface ResolvedConfig extends Omit<NodeConfig, "store" | "wire"> {
  file: string;
  store: { kind: "sqlite" | "postgres"; url: string };
  wire: typeof DEFAULT_WIRE_LIMITS;
}

/** Validates a parsed config; throws ConfigError naming the first bad field. */
export function parseConfig(raw: unknown, file: string): ResolvedConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue === undefined || issue.path.length === 0 ? "(config)" : issue.path.map(String).join(".");
    throw new ConfigError(field, issue?.message ?? "invalid");
  }
  const c = result.data;
  const dir = path.dirname(file);
  const abs = (p: string): string => path.resolve(dir, p);
  const store = /^postgres(ql)?:\/\//.test(c.store)
    ? { kind: "postgres" as const, url: c.store }
    : { kind: "sqlite" as const, url: abs(c.store.replace(/^sqlite:/, "")) };
  const deploymentResolved = "records" in c.deployment ? { records: abs(c.deployment.records) } : c.deployment;
  const key = c.key.keystore !== undefined ? { ...c.key, keystore: abs(c.key.keystore) } : c.key;
  const byAsset = new Set<string>();
  c.collateral.forEach((entry, i) => {
    if (byAsset.has(entry.asset)) throw new ConfigError(`collateral.${i}.asset`, `${entry.asset} is listed twice`);
    byAsset.add(entry.asset);
  });
  const peers = new Set<string>();
  c.peers.forEach((entry, i) => {
    if (peers.has(entry.address)) throw new ConfigError(`peers.${i}.address`, `${entry.address} is listed twice`);
    peers.add(entry.address);
  });
  if (c.cluster?.enabled === true && store.kind !== "postgres")
    throw new ConfigError("cluster.enabled", "several node processes share a PostgreSQL store: give a postgres:// store");
  if (c.cluster?.enabled === true && c.peers.length > 0)
    throw new ConfigError("cluster.enabled", "a cluster of node processes does not peer with other nodes (yet): no peers");
  return { ...c, file, store, deployment: deploymentResolved, key, wire: { ...DEFAULT_WIRE_LIMITS, ...c.wire } };
}

/** The environment variable that sets `wire.maxPaymentsInFlight` over the config file (docs/NODE.md "Overload"). */
export const MAX_PAYMENTS_IN_FLIGHT_ENV = "SWITCHYARD_MAX_PAYMENTS_IN_FLIGHT";

/**
 * The bound on payments in flight from the command line (`--max-payments-in-flight`), else the environment
 * (SWITCHYARD_MAX_PAYMENTS_IN_FLIGHT), else the config file's `wire.maxPaymentsInFlight`: a whole number from 0
 * (no bound) to 1,000,000, or a ConfigError naming where the bad value came from.
 */
export function withAdmissionOverride(config: ResolvedConfig, flag: string | undefined, env: NodeJS.ProcessEnv): ResolvedConfig {
  const [field, text] = flag !== undefined ? ["--max-payments-in-flight", flag] : [MAX_PAYMENTS_IN_FLIGHT_ENV, env[MAX_PAYMENTS_IN_FLIGHT_ENV]];
  if (text === undefined || text === "") return config;
  const value = /^\d{1,7}$/.test(text) ? Number(text) : NaN;
  if (!(value <= 1_000_000)) throw new ConfigError(field, `expected a whole number from 0 (no bound) to 1000000, not "${text.slice(0, 32)}"`);
  return { ...config, wire: { ...config.wire, maxPaymentsInFlight: value } };
}

/** Reads and validates the config file. */
export async function loadConfig(file: string): Promise<ResolvedConfig> {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, "utf8");
  } catch (error) {
    throw new ConfigError("--config", `cannot read ${absolute}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError("(config)", `${absolute} is not valid JSON: ${(error as Error).message}`);
  }
  return parseConfig(raw, absolute);
}
