/**
 * The Switchyard SDK's public surface.
 */
export * from "./protocol/errors.js";
export * from "./protocol/typedData.js";
export * from "./protocol/digests.js";
export * from "./protocol/types.js";
export * from "./protocol/merkle.js";
export * from "./protocol/transfers.js";
export * from "./protocol/resolvers.js";
export * from "./protocol/policies.js";
export * from "./protocol/signing.js";
export * from "./protocol/stateMachine.js";
export * from "./protocol/record.js";
export * from "./stores/store.js";
export * from "./stores/file.js";
export * from "./channel/channel.js";
export * from "./chain/abi.js";
export * from "./chain/reader.js";
export * from "./chain/commitments.js";
export * from "./chain/watcher.js";
export * from "./routing/node.js";
