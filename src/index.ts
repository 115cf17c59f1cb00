/**
 * The Switchyard SDK's public surface (the Node.js entry).
 *
 * Loading it selects the secp256k1 backend (`src/crypto`): libsecp256k1 where its prebuilt binary loads,
 * else ethers' JavaScript one with a one-line warning; `SWITCHYARD_SECP256K1=native|js` forces either. It
 * also starts loading the WebAssembly keccak (`Channel.create` / `Channel.open` wait for it).
 */
import { selectSecp256k1Backend } from "./crypto/index.js";
import { hashingReady } from "./protocol/hashes.js";

export * from "./protocol/errors.js";
export * from "./protocol/typedData.js";
export * from "./protocol/digests.js";
export * from "./protocol/types.js";
export * from "./protocol/merkle.js";
export * from "./protocol/transfers.js";
export * from "./protocol/resolvers.js";
export * from "./protocol/policies.js";
export * from "./protocol/hashes.js";
export * from "./protocol/secp256k1.js";
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
export * from "./chain/settlements.js";
export * from "./routing/node.js";
export * from "./signers/index.js";
export * from "./routing/learn.js";
export * from "./routing/network/index.js";
export {
  selectSecp256k1Backend,
  cryptoBackends,
  cryptoReady,
  loadNativeSecp256k1,
  nativeBackend,
  SECP256K1_ENV,
  type CryptoBackends,
  type NativeLoad,
  type RequireFunction,
  type Secp256k1Bindings,
  type Secp256k1Choice,
} from "./crypto/index.js";

selectSecp256k1Backend();
void hashingReady();
