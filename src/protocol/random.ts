/**
 * Random 32-byte words (preimages, transfer salts) from the platform's CSPRNG (Web Crypto's getRandomValues:
 * Node.js 22 and every browser), drawn in batches: one getRandomValues call fills a pool of 32 words, each word
 * is handed out once and zeroed in the pool as it goes. A call per word (ethers' randomBytes) was ~1.5% of the
 * load generator's client CPU. Browser-safe; no Node.js built-in.
 */
import { bytesToHex } from "./hex.js";

const WORD = 32;
const POOL_BYTES = 32 * WORD;
const pool = new Uint8Array(POOL_BYTES);
let next = POOL_BYTES;

/** 32 fresh random bytes as lowercase 0x hex. */
export function randomWord(): string {
  if (next + WORD > POOL_BYTES) {
    globalThis.crypto.getRandomValues(pool);
    next = 0;
  }
  const word = pool.subarray(next, next + WORD);
  const hex = bytesToHex(word);
  word.fill(0); // no copy of a handed-out word stays behind
  next += WORD;
  return hex;
}
