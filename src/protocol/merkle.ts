/**
 * The transfers merkle tree, exactly as the contracts check it: OpenZeppelin `MerkleProof.verifyCalldata`
 * (each step hashes the sorted pair with keccak256), the root of no leaves is bytes32(0) and the root of one
 * leaf is that leaf (empty proof).
 *
 * Layout (part of the protocol: both parties must lay leaves out alike to agree on the root):
 * - Leaves sit at positions 0..n-1 in the order they were added.
 * - Level l+1 node i is `hashPair(level l node 2i, level l node 2i+1)`; when node 2i+1 does not exist the node
 *   2i is promoted unchanged (no duplication, no zero padding). The top level has one node: the root.
 * - Adding a leaf appends it at position n. Removing the leaf at position k moves the last leaf (n-1) into k
 *   and shrinks the tree by one.
 *
 * So the layout is a pure function of the sequence of adds and removes both parties applied, and one add or
 * remove recomputes at most two root paths: O(log n) hashes, never a rebuild.
 */
import { ZeroHash } from "ethers";

import { keccakHex } from "./hex.js";

/** bytes32(0): the root of a tree without leaves. */
export const EMPTY_ROOT = ZeroHash;

const HEX32 = /^0x[0-9a-f]{64}$/;

/** A 32-byte hash as a lowercase 0x-prefixed hex string; throws on anything else. */
export function normalizeHash(value: string): string {
  const lower = value.toLowerCase();
  if (!HEX32.test(lower)) throw new TypeError(`not a 32-byte hex value: ${value}`);
  return lower;
}

/** keccak256 of the sorted pair (a < b numerically) — OpenZeppelin's `Hashes.commutativeKeccak256`. */
export function hashPair(a: string, b: string): string {
  // Same-length lowercase hex strings compare like the numbers they encode.
  return a < b ? keccakHex(a + b.slice(2)) : keccakHex(b + a.slice(2));
}

/** OpenZeppelin `MerkleProof.processProof`: the root that `leaf` and `proof` lead to. */
export function processProof(leaf: string, proof: readonly string[]): string {
  let computed = normalizeHash(leaf);
  for (const sibling of proof) computed = hashPair(computed, normalizeHash(sibling));
  return computed;
}

/** OpenZeppelin `MerkleProof.verify`. */
export function verifyProof(proof: readonly string[], root: string, leaf: string): boolean {
  return processProof(leaf, proof) === normalizeHash(root);
}

/**
 * The root of `leaves` in this layout, computed from scratch (the reference the incremental tree is tested
 * against, and what a party uses to check a full list of transfers received from elsewhere).
 */
export function merkleRootOf(leaves: readonly string[]): string {
  if (leaves.length === 0) return EMPTY_ROOT;
  let level = leaves.map(normalizeHash);
  while (level.length > 1) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i] as string;
      const right = level[i + 1];
      next.push(right === undefined ? left : hashPair(left, right));
    }
    level = next;
  }
  return level[0] as string;
}

/** Number of nodes at `level` in a tree of `n` leaves: ceil(n / 2^level). */
function widthAt(n: number, level: number): number {
  return Math.ceil(n / 2 ** level);
}

/** A planned change: the nodes it rewrites, per level, and the tree size after it. */
export interface TreePlan {
  readonly size: number;
  readonly root: string;
  /** Rewritten nodes by level (index → hash). */
  readonly nodes: ReadonlyArray<ReadonlyMap<number, string>>;
  /** Leaf moves of a removal: the leaf that moved into the hole (undefined for an add). */
  readonly moved?: { readonly leaf: string; readonly from: number; readonly to: number };
  readonly added?: string;
  readonly removed?: string;
}

/**
 * An incremental merkle tree over unique leaves. Read methods never mutate; `planAdd`/`planRemove` compute
 * the root a change would give without applying it (the state machine uses them to stay pure), `apply`
 * commits a plan, `add`/`remove` do both.
 */
export class IncrementalMerkleTree {
  /** layers[0] are the leaves; layers[top] = [root]. */
  private readonly layers: string[][] = [];
  private readonly positions = new Map<string, number>();

  /** Builds a tree holding `leaves` in this order, in O(n) hashes. */
  static fromLeaves(leaves: readonly string[]): IncrementalMerkleTree {
    const tree = new IncrementalMerkleTree();
    if (leaves.length === 0) return tree;
    let level = leaves.map(normalizeHash);
    level.forEach((leaf, i) => {
      if (tree.positions.has(leaf)) throw new RangeError(`duplicate leaf ${leaf}`);
      tree.positions.set(leaf, i);
    });
    tree.layers.push(level);
    while (level.length > 1) {
      const next: string[] = [];
      for (let i = 0; i < level.length; i += 2) {
        const right = level[i + 1];
        next.push(right === undefined ? (level[i] as string) : hashPair(level[i] as string, right));
      }
      tree.layers.push(next);
      level = next;
    }
    return tree;
  }

  get size(): number {
    return this.layers[0]?.length ?? 0;
  }

  get root(): string {
    const top = this.layers[this.layers.length - 1];
    return top === undefined ? EMPTY_ROOT : (top[0] as string);
  }

  has(leaf: string): boolean {
    return this.positions.has(normalizeHash(leaf));
  }

  /** The position of `leaf`, or undefined. */
  indexOf(leaf: string): number | undefined {
    return this.positions.get(normalizeHash(leaf));
  }

  /** The leaf at `position`. */
  leafAt(position: number): string {
    const leaf = this.layers[0]?.[position];
    if (leaf === undefined) throw new RangeError(`no leaf at position ${position}`);
    return leaf;
  }

  /** The leaves in tree order (a copy). */
  leaves(): string[] {
    return [...(this.layers[0] ?? [])];
  }

  /** The proof of `leaf` for `MerkleProof.verifyCalldata(proof, root, leaf)`. O(log n). */
  proof(leaf: string): string[] {
    let index = this.positions.get(normalizeHash(leaf));
    if (index === undefined) throw new RangeError(`leaf ${leaf} is not in the tree`);
    const proof: string[] = [];
    for (let level = 0; level < this.layers.length - 1; level++) {
      const layer = this.layers[level] as string[];
      const sibling = layer[index ^ 1];
      if (sibling !== undefined) proof.push(sibling);
      index >>= 1;
    }
    return proof;
  }

  /** What adding `leaf` would do (nothing is changed). */
  planAdd(leaf: string): TreePlan {
    const normalized = normalizeHash(leaf);
    if (this.positions.has(normalized)) throw new RangeError(`leaf ${normalized} is already in the tree`);
    const n = this.size;
    const changes = new Map<number, string>([[n, normalized]]);
    return { ...this.plan(n + 1, changes), added: normalized };
  }

  /** What removing `leaf` would do (nothing is changed). */
  planRemove(leaf: string): TreePlan {
    const normalized = normalizeHash(leaf);
    const hole = this.positions.get(normalized);
    if (hole === undefined) throw new RangeError(`leaf ${normalized} is not in the tree`);
    const last = this.size - 1;
    if (hole === last) return { ...this.plan(last, new Map([[last, ""]])), removed: normalized };
    const lastLeaf = this.leafAt(last);
    const changes = new Map<number, string>([
      [hole, lastLeaf],
      [last, ""],
    ]);
    return { ...this.plan(last, changes), removed: normalized, moved: { leaf: lastLeaf, from: last, to: hole } };
  }

  /** Commits a plan made on this tree in its current state. */
  apply(plan: TreePlan): void {
    if (plan.removed !== undefined) {
      if (this.positions.get(plan.removed) === undefined) throw new RangeError("stale plan");
      this.positions.delete(plan.removed);
      if (plan.moved !== undefined) this.positions.set(plan.moved.leaf, plan.moved.to);
    }
    if (plan.added !== undefined) {
      if (this.positions.has(plan.added) || plan.size !== this.size + 1) throw new RangeError("stale plan");
      this.positions.set(plan.added, this.size);
    }
    const n = plan.size;
    plan.nodes.forEach((changes, level) => {
      let layer = this.layers[level];
      if (layer === undefined) {
        layer = [];
        this.layers[level] = layer;
      }
      for (const [index, hash] of changes) if (index < widthAt(n, level)) layer[index] = hash;
    });
    // Shrink every layer to its width, and drop levels above the new top.
    const levels = n === 0 ? 0 : Math.ceil(Math.log2(n)) + 1;
    this.layers.length = levels;
    for (let level = 0; level < levels; level++) (this.layers[level] as string[]).length = widthAt(n, level);
  }

  add(leaf: string): string {
    this.apply(this.planAdd(leaf));
    return this.root;
  }

  remove(leaf: string): string {
    this.apply(this.planRemove(leaf));
    return this.root;
  }

  /**
   * Recomputes the nodes above the changed leaves for a tree of `n` leaves. `leafChanges` maps positions to
   * their new leaf ("" for a position that disappears). Touches O(log n) nodes.
   */
  /** A node as a plan in progress sees it: its change in `nodes` if any ("" for gone), else the tree's. */
  private nodeAt(nodes: readonly Map<number, string>[], level: number, index: number): string | undefined {
    const changed = nodes[level]?.get(index);
    if (changed !== undefined) return changed === "" ? undefined : changed;
    return this.layers[level]?.[index];
  }

  private plan(n: number, leafChanges: Map<number, string>): TreePlan {
    const nodes: Map<number, string>[] = [leafChanges];
    if (n === 0) return { size: 0, root: EMPTY_ROOT, nodes };
    let dirty = new Set(leafChanges.keys());
    let level = 0;
    while (widthAt(n, level) > 1) {
      const width = widthAt(n, level + 1);
      const next = new Map<number, string>();
      const parents = new Set<number>();
      for (const index of dirty) parents.add(index >> 1);
      for (const parent of parents) {
        if (parent >= width) continue;
        const left = this.nodeAt(nodes, level, 2 * parent) as string;
        const right = 2 * parent + 1 < widthAt(n, level) ? this.nodeAt(nodes, level, 2 * parent + 1) : undefined;
        next.set(parent, right === undefined ? left : hashPair(left, right));
      }
      nodes.push(next);
      dirty = parents;
      level++;
    }
    const root = this.nodeAt(nodes, level, 0);
    if (root === undefined) throw new Error("merkle plan lost its root");
    return { size: n, root, nodes };
  }
}
