/** The transfers root: one add or remove on the incremental tree, the root update and a proof. */
import { IncrementalMerkleTree } from "../../src/protocol/merkle.js";
import { TransferSet, transferId, transferLeaf, type Transfer } from "../../src/protocol/transfers.js";
import { mean, percentile, transfer } from "./common.js";

export interface MerkleTimes {
  build: number;
  /** Tree only (leaf known): add a leaf, update the root, build its proof. */
  add: number[];
  /** Tree only: remove a leaf (the last one moves into its place), update the root, build another's proof. */
  remove: number[];
  /** The same add through TransferSet, including hashing the transfer into its id and leaf. */
  addTransfer: number[];
}

/** Root update + proof at `size` active transfers, `ops` times each. */
export function merkleAt(size: number, ops: number): MerkleTimes {
  const transfers = Array.from({ length: size }, (_, i) => transfer(i));
  const t0 = performance.now();
  const set = TransferSet.from(transfers);
  const build = performance.now() - t0;
  const tree = IncrementalMerkleTree.fromLeaves(set.list().map((t) => t.leaf));
  const fresh = Array.from({ length: ops }, (_, k) => transfer(10_000_000 + k));
  const freshLeaves = fresh.map((t) => transferLeaf(transferId(t)));
  const times: MerkleTimes = { build, add: [], remove: [], addTransfer: [] };
  for (let k = 0; k < ops; k++) {
    const leaf = freshLeaves[k] as string;
    let s = performance.now();
    tree.add(leaf);
    tree.proof(leaf);
    times.add.push(performance.now() - s);
    const victim = tree.leafAt((k * 7919) % tree.size);
    s = performance.now();
    tree.remove(victim);
    tree.proof(tree.leafAt(k % tree.size));
    times.remove.push(performance.now() - s);
    tree.add(victim); // keep the size
    const t = fresh[k] as Transfer;
    s = performance.now();
    set.add(t);
    set.proof(set.get(transferId(t))?.id as string);
    times.addTransfer.push(performance.now() - s);
    set.remove(transferId(t));
  }
  return times;
}

/** Prints the merkle section. */
export function printMerkle(): void {
  console.log("\nTransfers root update + proof (incremental tree), mean (p99) per operation:");
  const us = (xs: number[]): string => `${(mean(xs) * 1000).toFixed(1)} µs (${(percentile(xs, 99) * 1000).toFixed(1)})`;
  for (const [size, ops] of [[10, 2_000], [1_000, 2_000], [100_000, 2_000]] as const) {
    const r = merkleAt(size, ops);
    console.log(
      `  ${size.toLocaleString("en").padStart(7)} active: add+root+proof ${us(r.add)}, remove+root+proof ${us(r.remove)}, ` +
        `with transfer hashing ${us(r.addTransfer)}; from-scratch build ${r.build.toFixed(0)} ms`,
    );
  }
}
