/**
 * The native secp256k1 backend: libsecp256k1 through the `secp256k1` npm package's N-API bindings, which ship
 * prebuilt for linux-x64 (glibc and musl), darwin-arm64 and win32-x64 inside the package.
 *
 * Node.js only (it loads a native addon with `require`): neither `src/protocol` nor a browser entry imports
 * this module. `src/crypto/index.ts` decides whether to install it.
 *
 * The bindings are loaded from `secp256k1/bindings.js`, not the package's main entry: the main entry silently
 * falls back to a JavaScript implementation (elliptic) when no binary loads, and this SDK falls back to its own
 * reference backend (ethers) instead, and says so.
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";

import { CryptoInputError } from "../protocol/errors.js";
import type { Secp256k1Backend } from "../protocol/secp256k1.js";

/** The part of the `secp256k1` package's API this backend uses. */
export interface Secp256k1Bindings {
  ecdsaSign(msg32: Uint8Array, seckey: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array;
  publicKeyCreate(seckey: Uint8Array, compressed: boolean): Uint8Array;
}

/**
 * The libsecp256k1 addon object itself (`new (require("node-gyp-build")(dir).Secp256k1)()`, what the package's
 * `lib/index.js` wraps): return codes instead of exceptions, outputs written into the buffers given.
 */
export interface Secp256k1Addon {
  ecdsaSign(out: { signature: Uint8Array; recid: number }, msg32: Uint8Array, seckey: Uint8Array, data: undefined, noncefn: undefined): number;
  ecdsaRecover(out: Uint8Array, sig: Uint8Array, recid: number, msg32: Uint8Array): number;
  publicKeyCreate(out: Uint8Array, seckey: Uint8Array): number;
}

/** The result of trying to load the native backend: the backend, or why it is unavailable. */
export type NativeLoad = { backend: Secp256k1Backend } | { error: string };

/** Loads a module id with CommonJS `require` (the addon loader is CommonJS). */
export type RequireFunction = (id: string) => unknown;

const requireHere = createRequire(import.meta.url);

function isBindings(value: unknown): value is Secp256k1Bindings {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.ecdsaSign === "function" && typeof v.ecdsaRecover === "function" && typeof v.publicKeyCreate === "function";
}

/** Wraps loaded bindings (the package's checked API) into the backend interface. */
export function nativeBackend(bindings: Secp256k1Bindings): Secp256k1Backend {
  return {
    name: "native",
    sign(digest, privateKey) {
      const { signature, recid } = bindings.ecdsaSign(digest, privateKey);
      return { signature, recoveryId: recid };
    },
    recover(digest, signature, recoveryId) {
      try {
        return bindings.ecdsaRecover(signature, recoveryId, digest, false);
      } catch {
        return null; // no point has this r, or the recovered point is infinity
      }
    },
    publicKey(privateKey) {
      return bindings.publicKeyCreate(privateKey, false);
    },
  };
}

/** The addon reads its arguments as raw buffers: anything but a Uint8Array of the right length must not reach it. */
function bytes(value: Uint8Array, length: number, what: "digest" | "signature" | "privateKey"): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new CryptoInputError(what, `expected ${length} bytes`);
  }
  return value;
}

/**
 * The backend over the addon object directly: the same libsecp256k1 calls as `nativeBackend`, without the
 * package's per-call argument checks and exception mapping (about a tenth of the time of a sign, reports/bench.md),
 * which `src/protocol/secp256k1.ts` already does before any backend sees an input. Only the checks that keep a
 * wrong type or length away from the C code stay here (a few comparisons).
 */
export function addonBackend(addon: Secp256k1Addon): Secp256k1Backend {
  return {
    name: "native",
    sign(digest, privateKey) {
      const out = { signature: new Uint8Array(64), recid: 0 };
      const code = addon.ecdsaSign(out, bytes(digest, 32, "digest"), bytes(privateKey, 32, "privateKey"), undefined, undefined);
      if (code !== 0) throw new CryptoInputError("privateKey", `libsecp256k1 refused to sign (code ${code})`);
      return { signature: out.signature, recoveryId: out.recid };
    },
    recover(digest, signature, recoveryId) {
      if (recoveryId !== 0 && recoveryId !== 1) throw new CryptoInputError("recoveryId", `${recoveryId}, expected 0 or 1`);
      const out = new Uint8Array(65);
      const code = addon.ecdsaRecover(out, bytes(signature, 64, "signature"), recoveryId, bytes(digest, 32, "digest"));
      return code === 0 ? out : null; // 1: r or s out of range; 2: no point has this r, or infinity recovered
    },
    publicKey(privateKey) {
      const out = new Uint8Array(65);
      const code = addon.publicKeyCreate(out, bytes(privateKey, 32, "privateKey"));
      if (code !== 0) throw new CryptoInputError("privateKey", `libsecp256k1 refused the key (code ${code})`);
      return out;
    },
  };
}

function isAddon(value: unknown): value is Secp256k1Addon {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.ecdsaSign === "function" && typeof v.ecdsaRecover === "function" && typeof v.publicKeyCreate === "function";
}

/**
 * The addon object of the installed `secp256k1` package, loaded the way its `bindings.js` loads it (its own
 * `node-gyp-build`, from its own folder), or undefined when any step fails.
 */
function loadAddon(): Secp256k1Addon | undefined {
  try {
    const manifest = requireHere.resolve("secp256k1/package.json");
    const fromPackage = createRequire(manifest);
    const build = fromPackage("node-gyp-build") as (dir: string) => { Secp256k1?: new () => unknown };
    const Addon = build(dirname(manifest)).Secp256k1;
    if (typeof Addon !== "function") return undefined;
    const addon: unknown = new Addon();
    return isAddon(addon) ? addon : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Loads libsecp256k1's bindings (`load` is for tests: it stands in for `require`). Never throws: when no
 * prebuilt binary fits this platform, the result says why. With the default loader the backend calls the addon
 * object directly (`addonBackend`), else (or where that object does not load) through the package's API.
 */
export function loadNativeSecp256k1(load: RequireFunction = requireHere): NativeLoad {
  let bindings: unknown;
  try {
    bindings = load("secp256k1/bindings.js");
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return { error: `libsecp256k1 bindings did not load (${message ?? "unknown error"})` };
  }
  if (!isBindings(bindings)) return { error: "the secp256k1 package does not have the expected API" };
  const addon = load === requireHere ? loadAddon() : undefined;
  return { backend: addon !== undefined ? addonBackend(addon) : nativeBackend(bindings) };
}
