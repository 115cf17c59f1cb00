/**
 * The Switchyard client (`@switchyard/protocol/client`): `SwitchyardClient.connect({ node, signer, store })`,
 * then one awaited call per action. Browser-safe (no Node.js built-ins).
 */
export * from "./types.js";
export { SwitchyardClient } from "./client.js";
export { backoffDelay } from "./connection.js";
