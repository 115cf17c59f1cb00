/**
 * Hex ↔ bytes and keccak256 over hex, without ethers' generic BytesLike handling (a measurable share of every
 * digest and merkle step). keccak itself is `keccak.ts` (WebAssembly once loaded). Browser-safe.
 */
import { keccakBytes } from "./hashes.js";

const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  NIBBLE[65 + i] = 10 + i;
  NIBBLE[97 + i] = 10 + i;
}

/** The bytes of a 0x-prefixed, even-length hex string; throws TypeError on anything else. */
export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || hex.charCodeAt(0) !== 48 || (hex.charCodeAt(1) | 32) !== 120) {
    throw new TypeError(`not 0x-prefixed even-length hex: ${hex.slice(0, 20)}`);
  }
  const out = new Uint8Array((hex.length - 2) >> 1);
  for (let i = 0, j = 2; i < out.length; i++, j += 2) {
    const hi = NIBBLE[hex.charCodeAt(j)] ?? -1;
    const lo = NIBBLE[hex.charCodeAt(j + 1)] ?? -1;
    if ((hi | lo) < 0) throw new TypeError(`not hex: ${hex.slice(0, 20)}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/**
 * Writes the `count` bytes that the hex digits of `hex` starting at index `from` encode into `out` at `offset`;
 * throws TypeError on a non-hex digit. The caller has checked the length.
 */
export function writeHex(hex: string, from: number, count: number, out: Uint8Array, offset: number): void {
  for (let i = 0, j = from; i < count; i++, j += 2) {
    const hi = NIBBLE[hex.charCodeAt(j)] ?? -1;
    const lo = NIBBLE[hex.charCodeAt(j + 1)] ?? -1;
    if ((hi | lo) < 0) throw new TypeError(`not hex: ${hex.slice(0, 20)}`);
    out[offset + i] = (hi << 4) | lo;
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Writes `value` (0 ≤ value < 2^256: the caller has checked) as a big-endian 32-byte word into `out` at
 * `offset`, whose bytes are all zero before.
 */
export function writeUintWord(value: bigint, out: Uint8Array, offset: number): void {
  if (value <= MAX_SAFE) {
    let n = Number(value);
    for (let i = offset + 31; n > 0; i--) {
      out[i] = n % 256;
      n = Math.floor(n / 256);
    }
    return;
  }
  const hex = value.toString(16);
  const padded = hex.length % 2 === 0 ? hex : "0" + hex;
  writeHex(padded, 0, padded.length >> 1, out, offset + 32 - (padded.length >> 1));
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lowercase 0x-prefixed hex of `bytes`. */
export function bytesToHex(bytes: Uint8Array): string {
  let out = "0x";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i] as number] as string;
  return out;
}

/** keccak256 of the bytes a 0x-prefixed hex string encodes (lowercase 0x-prefixed result). */
export function keccakHex(hex: string): string {
  return keccakBytes(hexToBytes(hex));
}
