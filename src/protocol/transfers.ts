/**
 * Conditional transfers: the TypeScript twin of `Transfer` in `contracts/types/TransferTypes.sol`, its id and
 * merkle leaf exactly as `contracts/libraries/TransferHashing.sol` computes them, and `TransferSet`, the
 * active transfers of one channel in merkle-tree order.
 */
import { AbiCoder } from "ethers";

import { checksum } from "./address.js";
import { MalformedUpdateError } from "./errors.js";
import { keccakBinary, keccakBytes } from "./hashes.js";
import { bytesToHex, keccakHex, writeHex, writeUintWord } from "./hex.js";

import { IncrementalMerkleTree, normalizeHash, type TreePlan } from "./merkle.js";

/** A conditional transfer locked in a channel state. */
export interface Transfer {
  channel: string;
  resolver: string;
  asset: string;
  amount: bigint;
  initiator: string;
  responder: string;
  timeout: bigint;
  salt: string;
  data: string;
}

/** The ABI type of `Transfer`, field for field. */
export const TRANSFER_ABI_TYPE = "tuple(address,address,address,uint256,address,address,uint256,bytes32,bytes)";

const coder = AbiCoder.defaultAbiCoder();
const MAX_UINT256 = (1n << 256n) - 1n;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const BYTES = /^0x(?:[0-9a-fA-F]{2})*$/;
/** The head of `abi.encode(transfer)` is 10 words: the tuple's offset, then the 9 members (`data` as its offset). */
const HEAD_WORDS = 10;

function checkUint(value: bigint, what: string): void {
  // A string would hash as its digits read in hex ("10" like 0x10): refuse anything but a bigint.
  if (typeof value !== "bigint") throw new MalformedUpdateError(`transfer ${what} must be a bigint, got ${typeof value} ${String(value)}`);
  if (value < 0n || value > MAX_UINT256) throw new RangeError(`${what} is not a uint256: ${value}`);
}

function writeAddress(value: string, what: string, out: Uint8Array, word: number): void {
  if (!ADDRESS.test(value)) throw new TypeError(`${what} is not an address: ${value}`);
  writeHex(value, 2, 20, out, 32 * word + 12);
}

/**
 * `abi.encode(transfer)` as bytes, exactly as Solidity encodes the struct: written straight into one buffer
 * (ethers' AbiCoder is ≈ 10× slower; `encodeTransferWithAbiCoder` is the reference the tests compare with).
 * Layout: the tuple's offset (0x20), the 9 members (the `bytes` member as its offset 0x120 from the tuple's
 * start), then `data`'s length and its bytes padded to whole words.
 */
export function encodeTransferBytes(t: Transfer): Uint8Array {
  if (!BYTES32.test(t.salt)) throw new TypeError(`salt is not 32 bytes: ${t.salt}`);
  if (!BYTES.test(t.data)) throw new TypeError(`data is not hex bytes: ${t.data}`);
  checkUint(t.amount, "amount");
  checkUint(t.timeout, "timeout");
  const length = (t.data.length - 2) >> 1;
  const out = new Uint8Array(32 * (HEAD_WORDS + 1 + Math.ceil(length / 32)));
  out[31] = 0x20; // word 0: the tuple's offset
  writeAddress(t.channel, "channel", out, 1);
  writeAddress(t.resolver, "resolver", out, 2);
  writeAddress(t.asset, "asset", out, 3);
  writeUintWord(t.amount, out, 32 * 4);
  writeAddress(t.initiator, "initiator", out, 5);
  writeAddress(t.responder, "responder", out, 6);
  writeUintWord(t.timeout, out, 32 * 7);
  writeHex(t.salt, 2, 32, out, 32 * 8);
  writeUintWord(BigInt(32 * (HEAD_WORDS - 1)), out, 32 * 9); // data's offset from the tuple's start: 0x120
  writeUintWord(BigInt(length), out, 32 * HEAD_WORDS);
  writeHex(t.data, 2, length, out, 32 * (HEAD_WORDS + 1));
  return out;
}

/** `abi.encode(transfer)` as 0x hex (see encodeTransferBytes). */
export function encodeTransfer(t: Transfer): string {
  return bytesToHex(encodeTransferBytes(t));
}

/** `abi.encode(transfer)` through ethers' AbiCoder (the reference for encodeTransfer). */
export function encodeTransferWithAbiCoder(t: Transfer): string {
  return coder.encode(
    [TRANSFER_ABI_TYPE],
    [[t.channel, t.resolver, t.asset, t.amount, t.initiator, t.responder, t.timeout, t.salt, t.data]],
  );
}

/** `TransferHashing.transferId`: keccak256(abi.encode(transfer)). */
export function transferId(t: Transfer): string {
  return keccakBytes(encodeTransferBytes(t));
}

/** `TransferHashing.leaf`: keccak256 of the 32-byte id. */
export function transferLeaf(id: string): string {
  return keccakHex(normalizeHash(id));
}

/** A copy of `t` with checksummed addresses and lowercase hex, so equal transfers compare equal. */
export function normalizeTransfer(t: Transfer): Transfer {
  return {
    channel: checksum(t.channel),
    resolver: checksum(t.resolver),
    asset: checksum(t.asset),
    amount: t.amount,
    initiator: checksum(t.initiator),
    responder: checksum(t.responder),
    timeout: t.timeout,
    salt: normalizeHash(t.salt),
    data: t.data.toLowerCase(),
  };
}

/** An active transfer with its id and leaf. */
export interface ActiveTransfer {
  readonly id: string;
  readonly leaf: string;
  readonly transfer: Transfer;
}

/** What adding or removing one transfer would do to a set, computed without changing it. */
export interface TransferPlan {
  readonly root: string;
  readonly tree: TreePlan;
  readonly added?: ActiveTransfer;
  readonly removed?: ActiveTransfer;
}

/** Read-only view of a channel's active transfers, as the pure state machine sees them. */
export interface TransferSetView {
  readonly size: number;
  readonly root: string;
  get(id: string): ActiveTransfer | undefined;
  /** Sum of the amounts locked in `asset` (checksummed address). */
  lockedIn(asset: string): bigint;
  planAdd(transfer: Transfer): TransferPlan;
  /** planAdd for a transfer already hashed by `activeTransfer`. */
  planAddActive(item: ActiveTransfer): TransferPlan;
  planRemove(id: string): TransferPlan;
}

/**
 * The active transfers of one channel, in merkle-tree order (see `merkle.ts` for the layout), with the
 * amount locked per asset. Add and remove cost O(log n).
 */
export class TransferSet implements TransferSetView {
  private readonly tree: IncrementalMerkleTree;
  private readonly byId = new Map<string, ActiveTransfer>();
  private readonly byLeaf = new Map<string, ActiveTransfer>();
  private readonly locked = new Map<string, bigint>();

  private constructor(tree: IncrementalMerkleTree, items: readonly ActiveTransfer[]) {
    this.tree = tree;
    for (const item of items) this.index(item);
  }

  /** A set holding `transfers` in this (tree) order. */
  static from(transfers: readonly Transfer[]): TransferSet {
    const items = transfers.map(activeTransfer);
    const tree = IncrementalMerkleTree.fromLeaves(items.map((item) => item.leaf));
    return new TransferSet(tree, items);
  }

  get size(): number {
    return this.tree.size;
  }

  get root(): string {
    return this.tree.root;
  }

  get(id: string): ActiveTransfer | undefined {
    return this.byId.get(id.toLowerCase());
  }

  lockedIn(asset: string): bigint {
    return this.locked.get(asset) ?? 0n;
  }

  /** The transfers in tree order. */
  list(): ActiveTransfer[] {
    return this.tree.leaves().map((leaf) => this.byLeaf.get(leaf) as ActiveTransfer);
  }

  /** The merkle proof of transfer `id` against `root`. */
  proof(id: string): string[] {
    const item = this.get(id);
    if (item === undefined) throw new RangeError(`transfer ${id} is not active`);
    return this.tree.proof(item.leaf);
  }

  planAdd(transfer: Transfer): TransferPlan {
    return this.planAddActive(activeTransfer(transfer));
  }

  planAddActive(added: ActiveTransfer): TransferPlan {
    const tree = this.tree.planAdd(added.leaf);
    return { root: tree.root, tree, added };
  }

  planRemove(id: string): TransferPlan {
    const removed = this.get(id);
    if (removed === undefined) throw new RangeError(`transfer ${id} is not active`);
    const tree = this.tree.planRemove(removed.leaf);
    return { root: tree.root, tree, removed };
  }

  /** Commits a plan made on this set in its current state. */
  apply(plan: TransferPlan): void {
    this.tree.apply(plan.tree);
    if (plan.added !== undefined) this.index(plan.added);
    if (plan.removed !== undefined) {
      const r = plan.removed;
      this.byId.delete(r.id);
      this.byLeaf.delete(r.leaf);
      const asset = r.transfer.asset;
      const left = this.lockedIn(asset) - r.transfer.amount;
      if (left === 0n) this.locked.delete(asset);
      else this.locked.set(asset, left);
    }
  }

  add(transfer: Transfer): string {
    this.apply(this.planAdd(transfer));
    return this.root;
  }

  remove(id: string): string {
    this.apply(this.planRemove(id));
    return this.root;
  }

  private index(item: ActiveTransfer): void {
    this.byId.set(item.id, item);
    this.byLeaf.set(item.leaf, item);
    const asset = item.transfer.asset;
    this.locked.set(asset, this.lockedIn(asset) + item.transfer.amount);
  }
}

/** A transfer, normalized, with its id and leaf. */
export function activeTransfer(transfer: Transfer): ActiveTransfer {
  const t = normalizeTransfer(transfer);
  const id = keccakBinary(encodeTransferBytes(t));
  return { id: bytesToHex(id), leaf: keccakBytes(id), transfer: t }; // the leaf is transferLeaf(id), from the bytes
}
