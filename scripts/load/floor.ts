/**
 * The signature floor of a routed payment, measured in the same run: the node signs 4 states and recovers 4
 * signatures per routed payment (the payer's create and resolve, the payee's create and resolve: it signs each
 * first and checks the client's countersignature). One sign and one recover are timed here with the active
 * secp256k1 backend, the same one the node process selects (src/crypto/index.ts `selectSecp256k1Backend`).
 */
import { performance } from "node:perf_hooks";

import { id, keccak256 } from "ethers";

import { secp256k1Backend, selectSecp256k1Backend } from "../../src/crypto/index.js";

export interface SignatureFloor {
  backend: string;
  signUs: number;
  recoverUs: number;
  /** 4 signs + 4 recoveries, in ms. */
  perPaymentMs: number;
}

function bytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
}

/** Times `rounds` signs and recoveries (after a warm-up) with the backend the node uses. */
export function measureSignatureFloor(rounds = 2_000): SignatureFloor {
  selectSecp256k1Backend();
  const backend = secp256k1Backend();
  const key = bytes(keccak256(id("switchyard load floor key")));
  const digests = Array.from({ length: 64 }, (_, i) => bytes(keccak256(id(`digest ${i}`))));
  const signed = digests.map((d) => backend.sign(d, key));
  for (let i = 0; i < 200; i++)
    backend.recover(digests[i % 64] as Uint8Array, signed[i % 64]!.signature, signed[i % 64]!.recoveryId);
  let t0 = performance.now();
  for (let i = 0; i < rounds; i++) backend.sign(digests[i % 64] as Uint8Array, key);
  const signUs = ((performance.now() - t0) * 1000) / rounds;
  t0 = performance.now();
  for (let i = 0; i < rounds; i++) {
    const s = signed[i % 64]!;
    backend.recover(digests[i % 64] as Uint8Array, s.signature, s.recoveryId);
  }
  const recoverUs = ((performance.now() - t0) * 1000) / rounds;
  return { backend: backend.name, signUs, recoverUs, perPaymentMs: (4 * (signUs + recoverUs)) / 1000 };
}
