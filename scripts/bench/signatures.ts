/**
 * Raw costs without the SDK: the signature operations of one update (2 signs + 2 recoveries) on a backend,
 * and keccak256 on the input sizes the protocol hashes.
 */
import { keccak256 } from "ethers";

import { hexToBytes } from "../../src/protocol/hex.js";
import { keccakBytes } from "../../src/protocol/hashes.js";
import { privateKeyBytes, type Secp256k1Backend } from "../../src/protocol/secp256k1.js";
import { alice, bob, per, startClock, type Cost } from "./common.js";

const aliceKey = privateKeyBytes(alice.privateKey);
const bobKey = privateKeyBytes(bob.privateKey);
let counter = 0;

/**
 * `count` × (2 signs + 2 recoveries) straight on `backend` (no validation, no address hashing), over
 * distinct digests made before the clock starts; the cost per group of four.
 */
export function rawSignatures(backend: Secp256k1Backend, count: number): Cost {
  const digests = Array.from({ length: count }, () => hexToBytes(keccak256(new Uint8Array([counter & 255, (counter++ >> 8) & 255, 7]))));
  const stop = startClock();
  for (const digest of digests) {
    const sa = backend.sign(digest, aliceKey);
    const sb = backend.sign(digest, bobKey);
    if (backend.recover(digest, sa.signature, sa.recoveryId) === null || backend.recover(digest, sb.signature, sb.recoveryId) === null) {
      throw new Error("recover");
    }
  }
  return per(stop(), count);
}

/** µs per keccak256 of `size` bytes with the active implementation. */
export function keccakCost(size: number, count: number): number {
  const data = new Uint8Array(size).map((_, i) => i);
  const stop = startClock();
  for (let i = 0; i < count; i++) {
    data[0] = i & 255;
    keccakBytes(data);
  }
  return (stop().cpu * 1000) / count;
}

/** A backend that counts the CPU time spent inside `inner`'s sign and recover calls (for the in-context split). */
export interface MeteredBackend extends Secp256k1Backend {
  /** CPU ms spent in sign/recover since the last `reset`. */
  readonly cpu: number;
  /** Recoveries since the last `reset` (two per full update: one on each side). */
  readonly recoveries: number;
  reset(): void;
}

export function metered(inner: Secp256k1Backend): MeteredBackend {
  let cpu = 0;
  let recoveries = 0;
  const time = <T>(run: () => T): T => {
    const start = process.cpuUsage();
    try {
      return run();
    } finally {
      const used = process.cpuUsage(start);
      cpu += (used.user + used.system) / 1000;
    }
  };
  return {
    name: inner.name,
    get cpu() {
      return cpu;
    },
    get recoveries() {
      return recoveries;
    },
    reset() {
      cpu = 0;
      recoveries = 0;
    },
    sign: (digest, key) => time(() => inner.sign(digest, key)),
    recover: (digest, signature, recoveryId) => {
      recoveries++;
      return time(() => inner.recover(digest, signature, recoveryId));
    },
    publicKey: (key) => inner.publicKey(key),
  };
}

/** A backend that counts `inner`'s recoveries (a check that a measured run made every one it should). */
export interface CountedBackend extends Secp256k1Backend {
  readonly recoveries: number;
}

export function counted(inner: Secp256k1Backend): CountedBackend {
  let recoveries = 0;
  return {
    name: inner.name,
    get recoveries() {
      return recoveries;
    },
    sign: (digest, key) => inner.sign(digest, key),
    recover: (digest, signature, recoveryId) => {
      recoveries++;
      return inner.recover(digest, signature, recoveryId);
    },
    publicKey: (key) => inner.publicKey(key),
  };
}
