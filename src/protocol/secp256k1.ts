/**
 * secp256k1 signing and recovery of every digest the SDK signs or checks, behind one small backend interface.
 *
 * - The `js` backend (this module) is ethers v6's SigningKey, i.e. @noble/curves: pure JavaScript, browser-safe,
 *   and the reference the other backends must match byte for byte.
 * - The `native` backend (libsecp256k1 through the `secp256k1` package) lives in the Node-only module
 *   `src/crypto/native.ts`, which this module never imports; the Node entry (`src/index.ts`) installs it with
 *   `setSecp256k1Backend` when it loads.
 *
 * Every input is checked here, before a backend sees it, so both backends reject bad input alike with
 * `CryptoInputError`: a digest that is not 32 bytes, a private key outside [1, n − 1], a signature that is not
 * 65 bytes, a recovery id (v) other than 27 or 28, r or s zero or ≥ n, a high s (OpenZeppelin ECDSA refuses the
 * malleable twin), a signature from which no key recovers, or one that recovers to the zero address.
 * Signatures are deterministic (RFC 6979) and low-s, serialized as r ‖ s ‖ v with v 27 or 28, as ethers does.
 */
import { SigningKey, hexlify } from "ethers";

import { checksum } from "./address.js";
import { CryptoInputError } from "./errors.js";
import { bytesToHex, hexToBytes } from "./hex.js";
import { keccakBytes } from "./hashes.js";

/** Names of the built-in backends (another backend may use its own name). */
export type Secp256k1BackendName = "native" | "js";

/** What a backend implements. Inputs are already validated (lengths, ranges, low s) by this module. */
export interface Secp256k1Backend {
  readonly name: string;
  /** RFC 6979 deterministic ECDSA with a low s: the 64-byte r ‖ s and the recovery id (0 or 1). */
  sign(digest: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recoveryId: number };
  /** The 65-byte uncompressed public key (0x04 ‖ x ‖ y) that signed, or null when no key recovers. */
  recover(digest: Uint8Array, signature: Uint8Array, recoveryId: number): Uint8Array | null;
  /** The 65-byte uncompressed public key of a valid private key. */
  publicKey(privateKey: Uint8Array): Uint8Array;
}

/** The secp256k1 group order n, big-endian. */
const N = hexToBytes("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
/** ⌊n / 2⌋, big-endian: the largest s OpenZeppelin ECDSA accepts. */
const HALF_N = hexToBytes("0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");
const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/** ethers v6 (@noble/curves): the pure-JavaScript reference backend. */
export const jsSecp256k1: Secp256k1Backend = {
  name: "js",
  sign(digest, privateKey) {
    const sig = new SigningKey(privateKey).sign(digest);
    const out = new Uint8Array(64);
    out.set(hexToBytes(sig.r), 0);
    out.set(hexToBytes(sig.s), 32);
    return { signature: out, recoveryId: sig.yParity };
  },
  recover(digest, signature, recoveryId) {
    try {
      const r = hexlify(signature.subarray(0, 32));
      const s = hexlify(signature.subarray(32, 64));
      return hexToBytes(SigningKey.recoverPublicKey(digest, { r, s, v: 27 + recoveryId }));
    } catch {
      return null;
    }
  },
  publicKey(privateKey) {
    return hexToBytes(new SigningKey(privateKey).publicKey);
  },
};

let active: Secp256k1Backend = jsSecp256k1;

/** Makes `backend` the one every later signing and recovery uses. */
export function setSecp256k1Backend(backend: Secp256k1Backend): void {
  active = backend;
}

/** The active backend (its `name` says which: "native" or "js"). */
export function secp256k1Backend(): Secp256k1Backend {
  return active;
}

/** −1, 0 or 1 as the 32 bytes of `a` at `offset` compare with `b` (big-endian). */
function compare32(a: Uint8Array, offset: number, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const x = a[offset + i] as number;
    const y = b[i] as number;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function isZero32(a: Uint8Array, offset: number): boolean {
  for (let i = 0; i < 32; i++) if (a[offset + i] !== 0) return false;
  return true;
}

function bytesOf(input: "digest" | "signature" | "privateKey", value: string | Uint8Array): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value !== "string") throw new CryptoInputError(input, `not hex or bytes: ${String(value)}`);
  try {
    return hexToBytes(value);
  } catch {
    throw new CryptoInputError(input, "not 0x-prefixed hex");
  }
}

function digestBytes(digest: string | Uint8Array): Uint8Array {
  const bytes = bytesOf("digest", digest);
  if (bytes.length !== 32) throw new CryptoInputError("digest", `length ${bytes.length}, expected 32`);
  return bytes;
}

/** The bytes of a valid private key (32 bytes, 0 < key < n), or CryptoInputError. */
export function privateKeyBytes(privateKey: string | Uint8Array): Uint8Array {
  const bytes = bytesOf("privateKey", privateKey);
  if (bytes.length !== 32) throw new CryptoInputError("privateKey", `length ${bytes.length}, expected 32`);
  if (isZero32(bytes, 0) || compare32(bytes, 0, N) >= 0) throw new CryptoInputError("privateKey", "not in [1, n − 1]");
  return bytes;
}

function toHex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

/**
 * Addresses of public keys seen lately, by the first four bytes of x; an entry is used only when the whole key
 * is equal, and the address is a function of the key alone (keccak256 of x ‖ y), so a hit gives the address
 * hashing would. The parties of a channel recover the same few keys on every update: this saves a keccak256
 * and a checksum per recovery. Bounded like the checksum cache.
 */
const knownKeys = new Map<number, { key: Uint8Array; address: string }>();
const MAX_KNOWN_KEYS = 65_536;

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 65; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The checksummed address of a 65-byte uncompressed public key. */
export function publicKeyAddress(publicKey: Uint8Array): string {
  if (publicKey.length !== 65 || publicKey[0] !== 4) throw new CryptoInputError("backend", "not an uncompressed public key");
  const tag = ((publicKey[1] as number) << 24) | ((publicKey[2] as number) << 16) | ((publicKey[3] as number) << 8) | (publicKey[4] as number);
  const known = knownKeys.get(tag);
  if (known !== undefined && sameKey(known.key, publicKey)) return known.address;
  const address = checksum("0x" + keccakBytes(publicKey.subarray(1)).slice(26));
  if (knownKeys.size >= MAX_KNOWN_KEYS) knownKeys.clear();
  knownKeys.set(tag, { key: publicKey.slice(), address }); // a copy: the caller keeps its array
  return address;
}

/** The checksummed address of a private key. */
export function privateKeyAddress(privateKey: string | Uint8Array): string {
  return publicKeyAddress(active.publicKey(privateKeyBytes(privateKey)));
}

/**
 * Signs a 32-byte digest: RFC 6979, low s, 65 bytes r ‖ s ‖ v (v 27/28) as 0x hex, byte-identical to ethers'
 * `SigningKey.sign(digest).serialized` on either backend.
 */
export function signDigest(privateKey: string | Uint8Array, digest: string | Uint8Array): string {
  const key = privateKeyBytes(privateKey);
  const { signature, recoveryId } = active.sign(digestBytes(digest), key);
  if (signature.length !== 64 || (recoveryId !== 0 && recoveryId !== 1)) {
    throw new CryptoInputError("backend", `backend ${active.name} returned a malformed signature`);
  }
  const out = new Uint8Array(65);
  out.set(signature, 0);
  out[64] = 27 + recoveryId;
  return toHex(out);
}

/**
 * The checksummed address that signed `digest`, under OpenZeppelin ECDSA's rules (see the module comment);
 * throws CryptoInputError naming the rejected input otherwise.
 */
export function recoverDigestSigner(digest: string | Uint8Array, signature: string | Uint8Array): string {
  const d = digestBytes(digest);
  const sig = bytesOf("signature", signature);
  if (sig.length !== 65) throw new CryptoInputError("signature", `length ${sig.length}, expected 65`);
  const v = sig[64] as number;
  if (v !== 27 && v !== 28) throw new CryptoInputError("recoveryId", `v = ${v}, expected 27 or 28`);
  if (isZero32(sig, 0) || compare32(sig, 0, N) >= 0) throw new CryptoInputError("signature", "r out of range");
  if (isZero32(sig, 32) || compare32(sig, 32, HALF_N) > 0) {
    throw new CryptoInputError("signature", "s is zero or in the upper half (malleable)");
  }
  const publicKey = active.recover(d, sig.subarray(0, 64), v - 27);
  if (publicKey === null) throw new CryptoInputError("signature", "no public key recovers");
  const signer = publicKeyAddress(publicKey);
  if (signer === ZERO_ADDRESS) throw new CryptoInputError("signature", "recovers to the zero address");
  return signer;
}
