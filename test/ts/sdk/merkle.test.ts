import { expect } from "chai";
import { network } from "hardhat";
import { ZeroHash, id, keccak256 } from "ethers";

import {
  EMPTY_ROOT,
  IncrementalMerkleTree,
  hashPair,
  merkleRootOf,
  processProof,
  verifyProof,
} from "../../../src/protocol/merkle.js";
import { TransferSet, transferId, transferLeaf, type Transfer } from "../../../src/protocol/transfers.js";
import { hashlockTransfer, prng } from "./helpers.js";
import { hashingReady } from "../../../src/protocol/hashes.js";

// Every digest below is proven on the WebAssembly hashers the SDK switches to (src/protocol/hashes.ts).
if ((await hashingReady()) !== "wasm") throw new Error("the WebAssembly hashers did not load");

const { ethers } = await network.create();

const leafOf = (i: number): string => transferLeaf(keccak256(id(`transfer ${i}`)));

/** The struct argument of the harness (ethers takes the named fields). */
const tuple = (t: Transfer): Transfer => t;

/** The number of nodes a plan rewrites. */
function touched(plan: { nodes: ReadonlyArray<ReadonlyMap<number, string>> }): number {
  return plan.nodes.reduce((sum, level) => sum + level.size, 0);
}

describe("SDK merkle tree (src/merkle.ts)", () => {
  it("gives bytes32(0) for no leaf and the leaf itself (empty proof) for one", () => {
    const tree = new IncrementalMerkleTree();
    expect(tree.root).to.equal(EMPTY_ROOT).and.equal(ZeroHash);
    expect(merkleRootOf([])).to.equal(ZeroHash);
    const leaf = leafOf(1);
    tree.add(leaf);
    expect(tree.root).to.equal(leaf);
    expect(tree.proof(leaf)).to.deep.equal([]);
    tree.remove(leaf);
    expect(tree.root).to.equal(ZeroHash);
  });

  it("hashes sorted pairs, so a pair's order does not matter", () => {
    const [a, b] = [leafOf(1), leafOf(2)];
    expect(hashPair(a, b)).to.equal(hashPair(b, a));
    const [lo, hi] = BigInt(a) < BigInt(b) ? [a, b] : [b, a];
    expect(hashPair(a, b)).to.equal(keccak256(lo + hi.slice(2)));
  });

  it("matches the from-scratch root after every add, at every size up to 600 and at 4,097", () => {
    const tree = new IncrementalMerkleTree();
    const leaves: string[] = [];
    for (let i = 0; i < 600; i++) {
      leaves.push(leafOf(i));
      tree.add(leafOf(i));
      expect(tree.root, `size ${i + 1}`).to.equal(merkleRootOf(leaves));
    }
    for (let i = 600; i < 4097; i++) tree.add(leafOf(i));
    expect(tree.root).to.equal(merkleRootOf(tree.leaves()));
    expect(tree.root).to.equal(IncrementalMerkleTree.fromLeaves(tree.leaves()).root);
  });

  it("matches the from-scratch root and a swap-remove model through 3,000 random adds and removes", () => {
    const random = prng(7);
    const tree = new IncrementalMerkleTree();
    const model: string[] = []; // positional model: append, and move the last leaf into a removed one's place
    let next = 0;
    for (let step = 0; step < 3_000; step++) {
      if (model.length === 0 || random() < 0.55) {
        const leaf = leafOf(next++);
        tree.add(leaf);
        model.push(leaf);
      } else {
        const k = Math.floor(random() * model.length);
        const leaf = model[k] as string;
        tree.remove(leaf);
        const last = model.pop() as string;
        if (k < model.length) model[k] = last;
      }
      expect(tree.leaves()).to.deep.equal(model);
      expect(tree.root, `step ${step}`).to.equal(merkleRootOf(model));
      if (step % 97 === 0) for (const leaf of model) expect(verifyProof(tree.proof(leaf), tree.root, leaf)).to.equal(true);
    }
  });

  it("updates O(log n) nodes per add or remove, never rebuilding", () => {
    const tree = IncrementalMerkleTree.fromLeaves(Array.from({ length: 5_000 }, (_, i) => leafOf(i)));
    for (const n of [5_000, 4_999, 4_097, 4_096, 1_025]) {
      while (tree.size > n) tree.remove(tree.leafAt(Math.floor(tree.size / 3)));
      const bound = 2 * (Math.ceil(Math.log2(n + 1)) + 1);
      expect(touched(tree.planAdd(leafOf(100_000 + n)))).to.be.at.most(bound);
      expect(touched(tree.planRemove(tree.leafAt(7)))).to.be.at.most(bound);
    }
  });

  it("plans without changing the tree", () => {
    const tree = IncrementalMerkleTree.fromLeaves([1, 2, 3, 4, 5].map(leafOf));
    const before = { root: tree.root, leaves: tree.leaves() };
    const add = tree.planAdd(leafOf(6));
    const remove = tree.planRemove(leafOf(2));
    expect({ root: tree.root, leaves: tree.leaves() }).to.deep.equal(before);
    expect(add.root).to.equal(merkleRootOf([...before.leaves, leafOf(6)]));
    expect(remove.root).to.equal(merkleRootOf([1, 5, 3, 4].map(leafOf)));
  });

  it("refuses a duplicate leaf and the removal of an absent one", () => {
    const tree = IncrementalMerkleTree.fromLeaves([leafOf(1)]);
    expect(() => tree.add(leafOf(1))).to.throw(RangeError);
    expect(() => tree.remove(leafOf(2))).to.throw(RangeError);
    expect(() => IncrementalMerkleTree.fromLeaves([leafOf(1), leafOf(1)])).to.throw(RangeError);
  });

  it("computes transfer ids and leaves as TransferHashing does", async () => {
    const harness = await ethers.deployContract("MerkleHarness");
    for (const t of [hashlockTransfer(1), hashlockTransfer(2, "bob", 12345n)]) {
      const idHex = transferId(t);
      expect(await harness.transferId(tuple(t))).to.equal(idHex);
      expect(await harness.leaf(idHex)).to.equal(transferLeaf(idHex));
    }
  });

  for (const size of [1, 2, 3, 7, 64, 257, 1000]) {
    it(`produces proofs OpenZeppelin MerkleProof accepts on chain at ${size} transfer(s), and rejects forged ones`, async () => {
      const harness = await ethers.deployContract("MerkleHarness");
      const transfers = Array.from({ length: size }, (_, i) => hashlockTransfer(i, i % 2 === 0 ? "alice" : "bob"));
      const set = TransferSet.from([]);
      for (const t of transfers) set.add(t);
      // Remove a few and add them back, so positions have moved as they do in a live channel.
      const random = prng(size);
      for (let k = 0; k < Math.min(5, size); k++) {
        const victim = set.list()[Math.floor(random() * set.size)];
        if (victim === undefined) continue;
        set.remove(victim.id);
        set.add(victim.transfer);
      }
      expect(set.root).to.equal(merkleRootOf(set.list().map((t) => t.leaf)));
      const items = set.list();
      const proofs = items.map((t) => set.proof(t.id));
      const ids = items.map((t) => t.id);
      for (let from = 0; from < ids.length; from += 250) {
        const to = Math.min(ids.length, from + 250);
        expect(await harness.countValid(proofs.slice(from, to), set.root, ids.slice(from, to))).to.equal(BigInt(to - from));
      }
      // Full Transfer structs, as disputeTransfer receives them, for a sample.
      for (const k of [0, Math.floor(size / 2), size - 1]) {
        const item = items[k];
        if (item === undefined) continue;
        expect(await harness.verifyTransfer(set.proof(item.id), set.root, tuple(item.transfer))).to.equal(true);
        expect(processProof(item.leaf, set.proof(item.id))).to.equal(set.root);
      }
      // Forgeries: a transfer that is not in the tree, a tampered amount, a tampered sibling, a stale root.
      const outsider = hashlockTransfer(size + 10_000);
      const first = items[0] as (typeof items)[number];
      const firstProof = set.proof(first.id);
      expect(await harness.verifyTransfer(firstProof, set.root, tuple(outsider))).to.equal(false);
      expect(await harness.verifyTransfer(firstProof, set.root, tuple({ ...first.transfer, amount: first.transfer.amount + 1n }))).to.equal(false);
      if (firstProof.length > 0) {
        const forged = [...firstProof];
        forged[0] = keccak256(forged[0] as string);
        expect(await harness.verifyTransfer(forged, set.root, tuple(first.transfer))).to.equal(false);
      }
      const oldRoot = set.root;
      set.remove(first.id);
      if (set.size > 0) {
        expect(await harness.verifyTransfer(firstProof, set.root, tuple(first.transfer))).to.equal(false);
        const other = set.list()[0] as (typeof items)[number];
        expect(await harness.verifyTransfer(set.proof(other.id), set.root, tuple(other.transfer))).to.equal(true);
      }
      expect(await harness.verifyTransfer(firstProof, oldRoot, tuple(first.transfer))).to.equal(true);
    });
  }
});
