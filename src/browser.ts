/**
 * The Switchyard SDK for browsers, workers and wallets (`@switchyard/protocol/browser`, and what bundlers pick
 * for `@switchyard/protocol` through the "browser" export condition). Its module graph names no Node.js
 * built-in (test/ts/browser/entry.browser.test.ts bundles it with esbuild for the browser and fails on any):
 * the protocol, the channel, the stores' contract with the memory and IndexedDB stores, the chain helpers and
 * the watcher, the wire client, and the EIP-1193 wallet signer. The Node.js-only parts stay behind their
 * own subpaths: `./stores/file`, `./stores/sqlite`, `./stores/postgres`, `./crypto` (native secp256k1).
 *
 * Nothing here runs when it is imported (package.json says `"sideEffects": false`): secp256k1 is ethers'
 * JavaScript implementation, and the WebAssembly keccak loads on first use (`Channel.create` waits for it).
 */
export * from "./protocol/index.js";
export * from "./stores/store.js";
export * from "./stores/indexeddb/index.js";
export * from "./channel/channel.js";
export * from "./chain/index.js";
export * from "./signers/index.js";
export * from "./wire/index.js";
