/**
 * The Switchyard node service (`@switchyard/protocol/node`, Node.js only): what `switchyard node --config
 * node.json` runs (src/cli/main.ts), for an operator who embeds the node in a process of their own. Load and
 * validate a config with `loadConfig`, then `startNode(config, process.env, logger)`; docs/NODE.md describes
 * the config, the wire methods and the metrics.
 */
export { ConfigError, configSchema, loadConfig, parseConfig, type NodeConfig, type ResolvedConfig } from "./config.js";
export { loadDeployment, loadKey, startNode } from "./startup.js";
export { NodeService, WS_PATH } from "./service.js";
export {
  DEFAULT_WIRE_LIMITS,
  type AssetFee,
  type CollateralPolicy,
  type DeploymentInfo,
  type FeePolicy,
  type NodeServiceOptions,
  type WireLimits,
} from "./options.js";
export { CollateralCapacityError, CollateralPolicyError } from "./collateral.js";
export { RouteCollateralError } from "./collateralRpc.js";
export {
  IntentConflictError,
  TransactionError,
  TxFailedError,
  TxRevertedError,
  TxServiceStoppedError,
} from "./txTypes.js";
