/** Chain access: the channel ABI, on-chain reads, commitment calldata and the dispute watcher. */
export * from "./abi.js";
export * from "./reader.js";
export * from "./commitments.js";
export * from "./watcher.js";
export * from "./settlements.js";
export * from "./closePayouts.js";
