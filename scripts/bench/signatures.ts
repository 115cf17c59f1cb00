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
