/**
 * The pure protocol: typed data, digests, merkle trees, transfers, resolvers' terms, policies, signing, the
 * state machine, records and errors. No I/O and no Node.js built-ins: safe in browsers and workers.
 */
export * from "./errors.js";
export * from "./address.js";
export * from "./channelAddress.js";
export * from "./typedData.js";
export * from "./digests.js";
export * from "./types.js";
export * from "./merkle.js";
export * from "./transfers.js";
export * from "./resolvers.js";
export * from "./policies.js";
export * from "./hashes.js";
export * from "./secp256k1.js";
export * from "./signing.js";
export * from "./stateMachine.js";
export * from "./reopen.js";
export * from "./record.js";
