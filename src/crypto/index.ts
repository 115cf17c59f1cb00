/**
 * Choosing the secp256k1 backend in Node.js (`@switchyard/protocol/crypto`; the Node entry `src/index.ts`
 * calls `selectSecp256k1Backend()` when it loads).
 *
 * - `auto` (the default): the native backend (libsecp256k1) where its prebuilt binary loads, else the
 *   JavaScript one, with a one-line process warning (code `SWITCHYARD_SECP256K1_JS`);
 * - `native`: the native backend, or CryptoInputError where it cannot load;
 * - `js`: ethers v6 / @noble/curves, the reference.
 * The environment variable `SWITCHYARD_SECP256K1=auto|native|js` sets the default; an explicit argument wins.
 * Both backends give byte-identical signatures and the same recovered addresses (see docs/CRYPTO.md).
 */
import { CryptoInputError } from "../protocol/errors.js";
import { hashingReady, hashingBackend, type HashingBackendName } from "../protocol/hashes.js";
import {
  jsSecp256k1,
  secp256k1Backend,
  setSecp256k1Backend,
  type Secp256k1Backend,
  type Secp256k1BackendName,
} from "../protocol/secp256k1.js";
import { loadNativeSecp256k1, type NativeLoad } from "./native.js";

export { addonBackend, loadNativeSecp256k1, nativeBackend, type NativeLoad, type Secp256k1Addon, type RequireFunction, type Secp256k1Bindings } from "./native.js";

/** What `selectSecp256k1Backend` accepts. */
export type Secp256k1Choice = Secp256k1BackendName | "auto";

/** The environment variable that sets the default choice. */
export const SECP256K1_ENV = "SWITCHYARD_SECP256K1";

let nativeLoad: NativeLoad | undefined;
let warned = false;

/**
 * The native backend of this process, loaded once (the one `selectSecp256k1Backend` installs): callers that want
 * it by name (the bench) share its object, so the hot call sites see one backend, as in a node.
 */
export function nativeSecp256k1(): NativeLoad {
  nativeLoad ??= loadNativeSecp256k1();
  return nativeLoad;
}

const native = nativeSecp256k1;

function parseChoice(value: string, source: string): Secp256k1Choice {
  if (value === "auto" || value === "native" || value === "js") return value;
  throw new CryptoInputError("backend", `${source} is ${JSON.stringify(value)}; expected auto, native or js`);
}

/**
 * Installs the secp256k1 backend `choice` (default: `$SWITCHYARD_SECP256K1`, else `auto`) and returns its
 * name. `load` replaces the native loader (tests use it to simulate a platform without a prebuilt binary).
 */
export function selectSecp256k1Backend(choice?: Secp256k1Choice, load: () => NativeLoad = native): Secp256k1BackendName {
  const env = process.env[SECP256K1_ENV];
  const wanted = choice !== undefined ? parseChoice(choice, "the choice") : env ? parseChoice(env, SECP256K1_ENV) : "auto";
  if (wanted === "js") {
    setSecp256k1Backend(jsSecp256k1);
    return "js";
  }
  const loaded = load();
  if ("backend" in loaded) {
    setSecp256k1Backend(loaded.backend);
    return "native";
  }
  if (wanted === "native") throw new CryptoInputError("backend", `native secp256k1 was required but ${loaded.error}`);
  setSecp256k1Backend(jsSecp256k1);
  if (!warned) {
    warned = true;
    process.emitWarning(`Switchyard uses the JavaScript secp256k1 backend: ${loaded.error}`, { code: "SWITCHYARD_SECP256K1_JS" });
  }
  return "js";
}

/** The active backends, as `npm run bench` prints them. */
export interface CryptoBackends {
  secp256k1: string;
  keccak: HashingBackendName;
}

/** The active secp256k1 and keccak backends. */
export function cryptoBackends(): CryptoBackends {
  return { secp256k1: secp256k1Backend().name, keccak: hashingBackend() };
}

/** Waits for the WebAssembly keccak, then returns the active backends. */
export async function cryptoReady(): Promise<CryptoBackends> {
  await hashingReady();
  return cryptoBackends();
}

export {
  jsSecp256k1,
  secp256k1Backend,
  setSecp256k1Backend,
  hashingReady,
  hashingBackend,
  type Secp256k1Backend,
  type Secp256k1BackendName,
  type HashingBackendName,
};
