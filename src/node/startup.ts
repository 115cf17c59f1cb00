/**
 * From a validated config to a running service: the node key (keystore + password from the environment, or a
 * private key from the environment), the deployment (records or inline addresses and limits), the chain
 * (it must answer with the configured chain id before the node listens), then NodeService.start, then the chain
 * services (transactions, watchers, collateral: src/node/chainServices.ts) attached to it.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";

import { JsonRpcProvider, Wallet, getAddress, type BaseWallet } from "ethers";
import type { Logger } from "pino";
import { z } from "zod";

import { lockReader } from "../chain/settlements.js";
import type { AssetLimit, DeploymentLimits } from "../protocol/types.js";
import { learnPreimagesFor } from "../routing/learn.js";
import { chainPolicyOf, checkCollateralPolicies, startChainServices } from "./chainServices.js";
import { ConfigError, type ResolvedConfig } from "./config.js";
import type { DeploymentInfo, NodeServiceOptions } from "./options.js";
import { NodeService } from "./service.js";
import { Cluster } from "./cluster/index.js";
import { openNodeStore } from "./store.js";
import { dials } from "./peers/roles.js";
import { chainClock } from "./chainClock.js";
import type { SwitchyardStore } from "../stores/store.js";

const CONTRACTS = ["ChannelFactory", "ChannelMastercopy", "HashlockResolver", "SignedTransferResolver"] as const;

/** The node's key from the sources the config names. */
export async function loadKey(key: ResolvedConfig["key"], env: NodeJS.ProcessEnv): Promise<BaseWallet> {
  if (key.privateKeyEnv !== undefined) {
    const value = env[key.privateKeyEnv];
    if (value === undefined || value === "")
      throw new ConfigError("key.privateKeyEnv", `the environment variable ${key.privateKeyEnv} is not set`);
    if (!/^0x[0-9a-fA-F]{64}$/.test(value))
      throw new ConfigError("key.privateKeyEnv", `${key.privateKeyEnv} does not hold a 32-byte hex private key`);
    try {
      return new Wallet(value);
    } catch {
      throw new ConfigError("key.privateKeyEnv", `${key.privateKeyEnv} is not a valid secp256k1 private key`);
    }
  }
  const file = key.keystore as string;
  const passwordEnv = key.passwordEnv as string;
  const password = env[passwordEnv];
  if (password === undefined)
    throw new ConfigError("key.passwordEnv", `the environment variable ${passwordEnv} is not set`);
  let json: string;
  try {
    json = await readFile(file, "utf8");
  } catch (error) {
    throw new ConfigError("key.keystore", `cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    const wallet = await Wallet.fromEncryptedJson(json, password);
    return wallet instanceof Wallet ? wallet : new Wallet(wallet.privateKey);
  } catch (error) {
    throw new ConfigError(
      "key.keystore",
      `cannot decrypt ${file} with the password in ${passwordEnv}: ${(error as Error).message}`,
    );
  }
}

const recordSchema = z.object({
  contractName: z.string(),
  address: z.string(),
  chainId: z.number(),
  constructorArgs: z.array(z.unknown()),
});
const factoryArgs = z.tuple([
  z.array(z.object({ asset: z.string(), channelCapacity: z.string(), transferCap: z.string() })),
  z.string(),
  z.string(),
]);

/** The deployment's addresses and limits: from deployments/<network>/*.json, or inline. */
export async function loadDeployment(config: ResolvedConfig): Promise<DeploymentInfo> {
  const d = config.deployment;
  if (!("records" in d)) {
    return {
      addresses: { ...d.addresses },
      limits: limitsOf(d.limits.minTimeout, d.limits.maxTimeout, d.limits.assets),
    };
  }
  const addresses: Record<string, string> = {};
  let limits: DeploymentLimits | undefined;
  for (const name of CONTRACTS) {
    const file = path.join(d.records, `${name}.json`);
    const field = "deployment.records";
    let record: z.output<typeof recordSchema>;
    try {
      record = recordSchema.parse(JSON.parse(await readFile(file, "utf8")));
    } catch (error) {
      throw new ConfigError(field, `${file} is not a deployment record: ${(error as Error).message.split("\n")[0]}`);
    }
    if (record.contractName !== name)
      throw new ConfigError(field, `${file} records ${record.contractName}, not ${name}`);
    if (record.chainId !== config.chain.chainId) {
      throw new ConfigError(
        field,
        `${file} is a deployment on chain ${record.chainId}, the config's chain.chainId is ${config.chain.chainId}`,
      );
    }
    addresses[name] = getAddress(record.address);
    if (name === "ChannelFactory") {
      const args = factoryArgs.safeParse(record.constructorArgs);
      if (!args.success)
        throw new ConfigError(field, `${file}: constructorArgs are not (limits, minTimeout, maxTimeout)`);
      const [assets, minTimeout, maxTimeout] = args.data;
      limits = limitsOf(
        BigInt(minTimeout),
        BigInt(maxTimeout),
        assets.map((a) => ({
          asset: getAddress(a.asset),
          channelCapacity: BigInt(a.channelCapacity),
          transferCap: BigInt(a.transferCap),
        })),
      );
    }
  }
  return { addresses, limits: limits as DeploymentLimits };
}

function limitsOf(
  minTimeout: bigint,
  maxTimeout: bigint,
  assets: ReadonlyArray<{ asset: string } & AssetLimit>,
): DeploymentLimits {
  return {
    minTimeout,
    maxTimeout,
    assets: new Map(assets.map((a) => [a.asset, { channelCapacity: a.channelCapacity, transferCap: a.transferCap }])),
  };
}

/** Asks the chain for its id with a time limit; the id, or an Error saying why not. */
async function chainIdOf(provider: JsonRpcProvider, timeoutMs: number): Promise<bigint | Error> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      provider.send("eth_chainId", []).then((v: unknown) => BigInt(v as string)),
      new Promise<Error>(
        (resolve) => (timer = setTimeout(() => resolve(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)),
      ),
    ]);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  } finally {
    clearTimeout(timer);
  }
}

/** Builds everything from the config and starts listening. Throws ConfigError (before listening) on a bad config. */
export async function startNode(config: ResolvedConfig, env: NodeJS.ProcessEnv, logger: Logger): Promise<NodeService> {
  const wallet = await loadKey(config.key, env);
  const deployment = await loadDeployment(config);
  checkCollateralPolicies(config.collateral, deployment);
  const chainId = BigInt(config.chain.chainId);
  if (config.channelTimeout < deployment.limits.minTimeout || config.channelTimeout > deployment.limits.maxTimeout) {
    throw new ConfigError(
      "channelTimeout",
      `${config.channelTimeout} is outside the deployment's [${deployment.limits.minTimeout}, ${deployment.limits.maxTimeout}]`,
    );
  }
  checkPeers(config.peers, wallet.address);
  // No response cache (ethers' default keeps answers 250 ms): the collateral manager reads a channel's code and
  // deposits right after its own transaction is mined, and must see them.
  const provider = new JsonRpcProvider(config.chain.rpcUrl, chainId, {
    staticNetwork: true,
    batchMaxCount: 1,
    cacheTimeout: -1,
  });
  const id = await chainIdOf(provider, 5_000);
  if (id instanceof Error)
    throw new ConfigError("chain.rpcUrl", `${config.chain.rpcUrl} does not answer eth_chainId: ${id.message}`);
  if (id !== chainId)
    throw new ConfigError(
      "chain.chainId",
      `the chain at ${config.chain.rpcUrl} has id ${id}, the config says ${chainId}`,
    );
  let store: SwitchyardStore;
  const clustered = config.cluster?.enabled === true;
  try {
    store = await openNodeStore(config.store, clustered);
  } catch (error) {
    provider.destroy();
    throw new ConfigError("store", `cannot open ${config.store.kind} store: ${(error as Error).message}`);
  }
  let cluster: Cluster | undefined;
  if (clustered) {
    const { enabled: _enabled, ...settings } = config.cluster ?? {};
    try {
      cluster = await Cluster.start({ ...settings, url: config.store.url, logger });
    } catch (error) {
      provider.destroy();
      await store.close().catch(() => undefined);
      throw new ConfigError("cluster", (error as Error).message);
    }
  }
  const clock = chainClock(provider);
  await clock.sample();
  clock.start();
  let lastCheck = 0;
  let lastResult = true;
  const options: NodeServiceOptions = {
    name: config.name,
    host: config.listen.host,
    port: config.listen.port,
    chainId,
    wallet,
    deployment,
    fees: {
      default: config.fees.default,
      assets: new Map(config.fees.assets.map((f) => [f.asset, { flat: f.flat, ppm: f.ppm }])),
    },
    collateral: config.collateral,
    channelTimeout: config.channelTimeout,
    store: config.store,
    openedStore: store,
    wire: config.wire,
    peers: config.peers,
    chain: provider,
    locks: lockReader(provider),
    routingClock: clock.now,
    provider,
    ...(cluster !== undefined ? { cluster } : {}),
    chainReady: async () => {
      if (Date.now() - lastCheck > 2_000) {
        lastCheck = Date.now();
        lastResult = (await chainIdOf(provider, 2_000)) === chainId;
      }
      return lastResult;
    },
    logger,
  };
  let service: NodeService;
  try {
    service = await NodeService.start(options);
  } catch (error) {
    provider.destroy();
    await store.close().catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
      throw new ConfigError("listen", `cannot listen on ${config.listen.host}:${config.listen.port}: ${code}`);
    }
    throw error;
  }
  service.attach({ stop: async () => clock.stop() });
  const chainServices = async (): Promise<void> =>
    service.attachChainServices(
      await startChainServices({
        store: service.nodeStore,
        signer: wallet.connect(provider),
        provider,
        chainId,
        deployment,
        collateral: config.collateral,
        ...chainPolicyOf(config),
        metrics: service.metrics,
        logger,
        ...(service.router !== undefined ? { onTransferSettled: learnPreimagesFor(service.router.node) } : {}),
      }),
    );
  if (cluster !== undefined) {
    // Chain work (one key, one nonce sequence) runs in the leader only; a leader that loses its session stops.
    cluster.leader.start(chainServices, (error) => {
      logger.fatal({ err: error }, "cluster: the leader's database session broke; stopping");
      process.exit(1);
    });
    return service;
  }
  try {
    await chainServices();
  } catch (error) {
    await service.drain().catch(() => undefined);
    provider.destroy();
    throw error;
  }
  return service;
}

/** Refuses a peer that is this node, or one this node dials (its address is lower) without a `url`. */
export function checkPeers(peers: ResolvedConfig["peers"], self: string): void {
  peers.forEach((p, i) => {
    if (p.address === self) throw new ConfigError(`peers.${i}.address`, "is this node's own address");
    if (dials(self, p.address) && p.url === undefined) {
      throw new ConfigError(
        `peers.${i}.url`,
        `this node (${self}) has the higher address, so it dials ${p.address}: give the peer's ws:// URL`,
      );
    }
  });
}
