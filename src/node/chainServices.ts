/**
 * The node's on-chain side, assembled: one TransactionService for the node's account, the watchers of every
 * channel in the node's store (their transactions through that service), and the collateral manager (its
 * deposits and withdrawals through it too), with their metrics. The service starts it once its store is open
 * (`startChainServices`) and stops it on SIGTERM (`stop()`: the watchers stop polling, the transaction
 * service stops driving — open transactions stay recorded and resume on the next start —, then the watchers'
 * poll in flight ends).
 */
import type { Provider, Signer } from "ethers";
import type { Logger } from "pino";

import type { SettledTransfer } from "../chain/settlements.js";
import type { SwitchyardStore } from "../stores/store.js";
import { CollateralManager } from "./collateral.js";
import { ConfigError, type ResolvedConfig } from "./config.js";
import type { NodeMetrics } from "./metrics.js";
import type { CollateralPolicy, DeploymentInfo } from "./options.js";
import { TransactionService, type TxFeePolicy } from "./transactions.js";
import { NodeWatchers } from "./watchers.js";

export interface ChainServicesOptions {
  store: SwitchyardStore;
  /** The node's key (alice in every channel); it signs the node's transactions. */
  signer: Signer;
  provider: Provider;
  chainId: bigint;
  deployment: DeploymentInfo;
  collateral: readonly CollateralPolicy[];
  fees?: TxFeePolicy;
  /** Milliseconds without a receipt before a fee bump (default 60,000). */
  stuckAfterMs?: number;
  /** Milliseconds between receipt polls (default 1,000). */
  receiptPollMs?: number;
  /** Milliseconds between watcher passes (default 4,000); 0 leaves polling off (call `watchers.tick()`). */
  watcherPollMs?: number;
  metrics?: NodeMetrics;
  logger?: Logger;
  /** Each transfer settlement the watchers see on chain (the routing Node's `learnPreimagesFor(node)`). */
  onTransferSettled?: (settled: SettledTransfer) => void | Promise<void>;
}

export interface ChainServices {
  transactions: TransactionService;
  watchers: NodeWatchers;
  collateral: CollateralManager;
  stop(): Promise<void>;
}

/** Refuses a collateral policy the deployment cannot hold (a `max` above the asset's channel capacity). */
export function checkCollateralPolicies(policies: readonly CollateralPolicy[], deployment: DeploymentInfo): void {
  policies.forEach((p, i) => {
    const limit = deployment.limits.assets.get(p.asset);
    if (limit === undefined)
      throw new ConfigError(`collateral.${i}.asset`, `${p.asset} is not an asset of the deployment`);
    if (p.max > limit.channelCapacity)
      throw new ConfigError(
        `collateral.${i}.max`,
        `${p.max} is above the deployment's channel capacity ${limit.channelCapacity}`,
      );
  });
}

/** The transaction and watcher settings of a validated config, as `startChainServices` takes them. */
export function chainPolicyOf(
  config: Pick<ResolvedConfig, "transactions" | "watcher">,
): Pick<ChainServicesOptions, "fees" | "stuckAfterMs" | "receiptPollMs" | "watcherPollMs"> {
  const t = config.transactions;
  return {
    fees: {
      bumpPercent: BigInt(t.bumpPercent),
      ...(t.maxFeePerGas !== undefined ? { maxFeePerGas: t.maxFeePerGas } : {}),
    },
    stuckAfterMs: t.stuckAfterSeconds * 1_000,
    receiptPollMs: t.receiptPollMs,
    watcherPollMs: config.watcher.pollSeconds * 1_000,
  };
}

export async function startChainServices(o: ChainServicesOptions): Promise<ChainServices> {
  checkCollateralPolicies(o.collateral, o.deployment);
  const m = o.metrics;
  const transactions = await TransactionService.start({
    store: o.store,
    signer: o.signer,
    provider: o.provider,
    chainId: o.chainId,
    ...(o.fees !== undefined ? { fees: o.fees } : {}),
    ...(o.stuckAfterMs !== undefined ? { stuckAfterMs: o.stuckAfterMs } : {}),
    ...(o.receiptPollMs !== undefined ? { pollIntervalMs: o.receiptPollMs } : {}),
    ...(o.logger !== undefined ? { logger: o.logger } : {}),
    onCounts: ({ pending, failed }) => {
      m?.chainTxPending.set(pending);
      m?.chainTxFailed.set(failed);
    },
  });
  const watchers = new NodeWatchers({
    provider: o.provider,
    transactions,
    store: o.store,
    ...(o.watcherPollMs !== undefined && o.watcherPollMs > 0 ? { pollIntervalMs: o.watcherPollMs } : {}),
    ...(o.onTransferSettled !== undefined ? { onTransferSettled: o.onTransferSettled } : {}),
    ...(o.logger !== undefined ? { logger: o.logger } : {}),
  });
  await watchers.watchAll();
  if (o.watcherPollMs !== 0) watchers.start();
  const factory = o.deployment.addresses.ChannelFactory;
  const collateral = new CollateralManager({
    transactions,
    provider: o.provider,
    node: await o.signer.getAddress(),
    policies: o.collateral,
    limits: o.deployment.limits,
    ...(factory !== undefined ? { factory } : {}),
    ...(o.logger !== undefined ? { logger: o.logger } : {}),
    onCollateral: (asset, total) => m?.collateral.set({ asset }, Number(total)),
  });
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      const watching = watchers.stop();
      await transactions.stop();
      await watching;
    })();
    return stopped;
  };
  return { transactions, watchers, collateral, stop };
}
