/**
 * The Switchyard SDK's public surface.
 */
export * from "./errors.js";
export * from "./typedData.js";
export * from "./digests.js";
export * from "./types.js";
export * from "./merkle.js";
export * from "./transfers.js";
export * from "./resolvers.js";
export * from "./policies.js";
export * from "./signing.js";
export * from "./stateMachine.js";
export * from "./record.js";
export * from "./store.js";
export * from "./fileStore.js";
export * from "./channel.js";
export * from "./abi.js";
export * from "./chain.js";
export * from "./commitments.js";
export * from "./watcher.js";
export * from "./node.js";
