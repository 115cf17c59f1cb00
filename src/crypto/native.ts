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

import type { Secp256k1Backend } from "../protocol/secp256k1.js";

/** The part of the `secp256k1` package's API this backend uses. */
export interface Secp256k1Bindings {
  ecdsaSign(msg32: Uint8Array, seckey: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array;
  publicKeyCreate(seckey: Uint8Array, compressed: boolean): Uint8Array;
}

/** The result of trying to load the native backend: the backend, or why it is unavailable. */
export type NativeLoad = { backend: Secp256k1Backend } | { error: string };

/** Loads a module id with CommonJS `require` (the addon loader is CommonJS). */
export type RequireFunction = (id: string) => unknown;

const requireHere: RequireFunction = createRequire(import.meta.url);

function isBindings(value: unknown): value is Secp256k1Bindings {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.ecdsaSign === "function" && typeof v.ecdsaRecover === "function" && typeof v.publicKeyCreate === "function";
}

/** Wraps loaded bindings into the backend interface. */
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

/**
 * Loads libsecp256k1's bindings (`load` is for tests: it stands in for `require`). Never throws: when no
 * prebuilt binary fits this platform, the result says why.
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
  return { backend: nativeBackend(bindings) };
}
