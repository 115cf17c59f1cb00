/**
 * keccak256 (every digest, transfer id and merkle node) and sha256 (hashlocks) for the whole SDK.
 *
 * Two implementations give the same bytes:
 * - `js`: ethers' `keccak256` / `sha256` (@noble/hashes), available synchronously from the first call;
 * - `wasm`: hash-wasm (WebAssembly, runs in Node.js and browsers alike). On the 32–320 byte inputs the
 *   protocol hashes its keccak is about 10× faster than the JavaScript one (see reports/bench.md).
 *
 * WebAssembly can only be compiled asynchronously everywhere (browsers refuse large synchronous compiles on
 * the main thread), so the module starts on `js` and switches to `wasm` once `hashingReady()` has resolved.
 * `Channel.create` / `Channel.open` await it, and the Node entry starts it. The switch changes speed only:
 * `test/ts/protocol/hashes.test.ts` proves both give the same digests.
 */
import { getBytes, keccak256, sha256 } from "ethers";
import { createKeccak, createSHA256, type IHasher } from "hash-wasm";

/** Which hashing implementation is active. */
export type HashingBackendName = "wasm" | "js";

type Hash = (data: Uint8Array) => string;

interface Hashers {
  keccak: Hash;
  keccakBinary: (data: Uint8Array) => Uint8Array;
  sha256: Hash;
}

const js: Hashers = {
  keccak: (data) => keccak256(data),
  keccakBinary: (data) => getBytes(keccak256(data)),
  sha256: (data) => sha256(data),
};

let active: Hashers = js;
let activeName: HashingBackendName = "js";
let wasm: Hashers | undefined;
let loading: Promise<HashingBackendName> | undefined;
let wasmError: string | undefined;
let forcedJs = false;

function wrap(hasher: IHasher): Hash {
  // init/update/digest run synchronously on one shared instance: no other call can interleave with them.
  return (data) => "0x" + hasher.init().update(data).digest("hex");
}

/**
 * Loads the WebAssembly hashers (once) and makes them active, unless `js` was forced with
 * `setHashingBackend("js")`. Resolves to the active implementation's name; never rejects (where WebAssembly
 * is unavailable, `js` stays active).
 */
export function hashingReady(): Promise<HashingBackendName> {
  loading ??= Promise.all([createKeccak(256), createSHA256()]).then(
    ([k, s]) => {
      wasm = { keccak: wrap(k), keccakBinary: (data) => k.init().update(data).digest("binary"), sha256: wrap(s) };
      if (!forcedJs) {
        active = wasm;
        activeName = "wasm";
      }
      return activeName;
    },
    (error: unknown) => {
      wasmError = error instanceof Error ? error.message : String(error);
      return activeName;
    },
  );
  return loading;
}

/**
 * Forces an implementation: `js` at once; `wasm` once loaded (resolves when active). Throws a TypeError for
 * another name, and rejects when WebAssembly cannot be loaded here.
 */
export async function setHashingBackend(name: HashingBackendName): Promise<void> {
  if (name === "js") {
    forcedJs = true;
    active = js;
    activeName = "js";
    return;
  }
  if (name !== "wasm") throw new TypeError(`unknown hashing backend ${String(name)}`);
  forcedJs = false;
  await hashingReady();
  if (wasm === undefined) throw new Error(`the WebAssembly hashers did not load: ${wasmError ?? "unknown reason"}`);
  active = wasm;
  activeName = "wasm";
}

/** The active hashing implementation. */
export function hashingBackend(): HashingBackendName {
  return activeName;
}

/** keccak256 of `data`, as a lowercase 0x-prefixed hex string. */
export function keccakBytes(data: Uint8Array): string {
  return active.keccak(data);
}

/** keccak256 of `data`, as 32 bytes (a fresh array the caller owns). */
export function keccakBinary(data: Uint8Array): Uint8Array {
  return active.keccakBinary(data);
}

/** sha256 of `data`, as a lowercase 0x-prefixed hex string. */
export function sha256Bytes(data: Uint8Array): string {
  return active.sha256(data);
}
