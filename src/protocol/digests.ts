/**
 * Fast EIP-712 digests of what channel parties sign. The types and the domain are those of `typedData.ts` (the
 * single definition): this module compiles them once into hashers instead of walking the type graph on every
 * call as ethers' TypedDataEncoder does (≈ 10× faster). `test/ts/sdk/digests.test.ts` proves the results
 * equal typedData.ts's functions (and hence ChannelHashing.sol) for random values.
 */
import { TypedDataEncoder, keccak256, toUtf8Bytes, type TypedDataField } from "ethers";

import { keccakBinary, keccakBytes } from "./hashes.js";
import { bytesToHex, hexToBytes, writeHex, writeUintWord } from "./hex.js";
import {
  CHANNEL_STATE_TYPES,
  FINAL_STATE_TYPES,
  WITHDRAW_TYPES,
  channelDomain,
  type ChannelState,
  type FinalState,
  type WithdrawCommitment,
} from "./typedData.js";

const MAX_UINT256 = (1n << 256n) - 1n;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const BYTES = /^0x(?:[0-9a-fA-F]{2})*$/;

/** Writes one field's value as its 32-byte EIP-712 `encodeData` word into `out` at `offset` (all zero before). */
type WordEncoder = (value: unknown, out: Uint8Array, offset: number) => void;

/** A struct hasher compiled from a types record: hashStruct(value) → 0x-prefixed hash. */
export type StructHasher = (value: Record<string, unknown>) => string;

/** The same, as 32 bytes. */
type BinaryHasher = (value: Record<string, unknown>) => Uint8Array;

function uintWord(value: unknown, out: Uint8Array, offset: number): void {
  if (typeof value !== "bigint" || value < 0n || value > MAX_UINT256) throw new TypeError(`not a uint256: ${String(value)}`);
  writeUintWord(value, out, offset);
}

function addressWord(value: unknown, out: Uint8Array, offset: number): void {
  if (typeof value !== "string" || !ADDRESS.test(value)) throw new TypeError(`not an address: ${String(value)}`);
  writeHex(value, 2, 20, out, offset + 12);
}

function bytes32Word(value: unknown, out: Uint8Array, offset: number): void {
  if (typeof value !== "string" || !BYTES32.test(value)) throw new TypeError(`not a bytes32: ${String(value)}`);
  writeHex(value, 2, 32, out, offset);
}

function bytesWord(value: unknown, out: Uint8Array, offset: number): void {
  if (typeof value !== "string" || !BYTES.test(value)) throw new TypeError(`not hex bytes: ${String(value)}`);
  out.set(keccakBinary(hexToBytes(value)), offset);
}

function stringWord(value: unknown, out: Uint8Array, offset: number): void {
  if (typeof value !== "string") throw new TypeError(`not a string: ${String(value)}`);
  out.set(keccakBinary(toUtf8Bytes(value)), offset);
}

/** Compiles the hasher of `primaryType` in `types` (supports the field types the protocol uses). */
export function compileStructHasher(types: Record<string, TypedDataField[]>, primaryType: string): StructHasher {
  const hasher = compileBinaryHasher(types, primaryType);
  return (value) => bytesToHex(hasher(value));
}

function compileBinaryHasher(types: Record<string, TypedDataField[]>, primaryType: string): BinaryHasher {
  const encoder = TypedDataEncoder.from(types);
  const compiled = new Map<string, BinaryHasher>();
  const compile = (name: string): BinaryHasher => {
    const done = compiled.get(name);
    if (done !== undefined) return done;
    const fields = types[name];
    if (fields === undefined) throw new TypeError(`unknown type ${name}`);
    const typeHash = hexToBytes(keccak256(toUtf8Bytes(encoder.encodeType(name))));
    const names = fields.map((f) => f.name);
    const encoders = fields.map((f) => fieldEncoder(f.type));
    // One buffer per struct type, reused by every call: hashing is synchronous and a type never contains
    // itself here, so no call can reach this buffer while another one fills it. keccak copies its input.
    const data = new Uint8Array(32 * (1 + encoders.length));
    data.set(typeHash, 0);
    const hasher: BinaryHasher = (value) => {
      data.fill(0, 32);
      for (let i = 0; i < encoders.length; i++) (encoders[i] as WordEncoder)(value[names[i] as string], data, 32 * (i + 1));
      return keccakBinary(data);
    };
    compiled.set(name, hasher);
    return hasher;
  };
  const fieldEncoder = (type: string): WordEncoder => {
    if (type.endsWith("[]")) {
      const inner = type.slice(0, -2);
      const element = types[inner] === undefined ? fieldEncoder(inner) : structWord(inner);
      let buffer = new Uint8Array(32 * 4); // grown as needed; reused like a struct's buffer
      return (value, out, offset) => {
        if (!Array.isArray(value)) throw new TypeError(`not an array: ${String(value)}`);
        if (buffer.length < 32 * value.length) buffer = new Uint8Array(32 * value.length);
        const data = buffer.subarray(0, 32 * value.length);
        data.fill(0);
        for (let i = 0; i < value.length; i++) element(value[i], data, 32 * i);
        out.set(keccakBinary(data), offset);
      };
    }
    if (types[type] !== undefined) return structWord(type);
    if (type === "uint256") return uintWord;
    if (type === "address") return addressWord;
    if (type === "bytes32") return bytes32Word;
    if (type === "bytes") return bytesWord;
    if (type === "string") return stringWord;
    throw new TypeError(`unsupported EIP-712 field type ${type}`);
  };
  const structWord = (name: string): WordEncoder => {
    let hasher: BinaryHasher | undefined;
    return (value, out, offset) => {
      hasher ??= compile(name);
      if (typeof value !== "object" || value === null) throw new TypeError(`not a ${name}: ${String(value)}`);
      out.set(hasher(value as Record<string, unknown>), offset);
    };
  };
  return compile(primaryType);
}

const hashChannelState = compileBinaryHasher(CHANNEL_STATE_TYPES, "ChannelState");
const hashFinalState = compileBinaryHasher(FINAL_STATE_TYPES, "FinalState");
const hashWithdraw = compileBinaryHasher(WITHDRAW_TYPES, "WithdrawCommitment");

const separators = new Map<string, { hex: string; bytes: Uint8Array }>();
const MAX_CACHED_SEPARATORS = 65_536;

/** The last separator looked up, by its arguments as given (a channel signs many digests in a row). */
let last: { chainId: bigint; channel: string; separator: { hex: string; bytes: Uint8Array } } | undefined;

function separatorOf(chainId: bigint, channel: string): { hex: string; bytes: Uint8Array } {
  if (last !== undefined && last.chainId === chainId && last.channel === channel) return last.separator;
  const separator = lookupSeparator(chainId, channel);
  last = { chainId, channel, separator };
  return separator;
}

function lookupSeparator(chainId: bigint, channel: string): { hex: string; bytes: Uint8Array } {
  const key = `${chainId}:${channel.toLowerCase()}`;
  let separator = separators.get(key);
  if (separator === undefined) {
    const hex = TypedDataEncoder.hashDomain(channelDomain(chainId, channel));
    separator = { hex, bytes: hexToBytes(hex) };
    if (separators.size >= MAX_CACHED_SEPARATORS) separators.clear();
    separators.set(key, separator);
  }
  return separator;
}

/** The domain separator of `channel` on `chainId` (cached). */
export function domainSeparator(chainId: bigint, channel: string): string {
  return separatorOf(chainId, channel).hex;
}

/** `0x1901 ‖ domainSeparator ‖ structHash`, reused by every (synchronous) digest. */
const digestInput = new Uint8Array(66);
digestInput[0] = 0x19;
digestInput[1] = 0x01;

function digest(chainId: bigint, channel: string, structHash: Uint8Array): string {
  digestInput.set(separatorOf(chainId, channel).bytes, 2);
  digestInput.set(structHash, 34);
  return keccakBytes(digestInput);
}

/** Same value as typedData.ts `channelStateDigest`. */
export function stateDigest(chainId: bigint, channel: string, state: ChannelState): string {
  return digest(chainId, channel, hashChannelState(state as unknown as Record<string, unknown>));
}

/** Same value as typedData.ts `hashChannelStateStruct` (the struct hash the contract stores of a disputed state). */
export function stateStructHash(state: ChannelState): string {
  return bytesToHex(hashChannelState(state as unknown as Record<string, unknown>));
}

/** Same value as typedData.ts `finalStateDigest`. */
export function finalDigest(chainId: bigint, channel: string, state: FinalState): string {
  return digest(chainId, channel, hashFinalState(state as unknown as Record<string, unknown>));
}

/** Same value as typedData.ts `withdrawDigest`. */
export function withdrawCommitmentDigest(chainId: bigint, channel: string, w: WithdrawCommitment): string {
  return digest(chainId, channel, hashWithdraw(w as unknown as Record<string, unknown>));
}
