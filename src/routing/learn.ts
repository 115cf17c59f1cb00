/**
 * Wires a node's watchers to its payment table: a downstream lock the payee settled on chain carries the
 * preimage in its `defundTransfer` call, and the node claims upstream with it (docs/PROTOCOL.md §12 rule 5).
 *
 *   new Watcher({ ..., onTransferSettled: learnPreimagesFor(node) })
 */
import type { SettledTransfer } from "../chain/settlements.js";
import { decodeHashlockResolution, hashlockLock } from "../protocol/resolvers.js";
import type { Node } from "./node.js";

/** The preimage a settlement revealed: hashlock evidence that paid the responder, else undefined. */
export function revealedPreimage(settled: SettledTransfer): string | undefined {
  const evidence = settled.resolverData;
  if (evidence === undefined || evidence === "0x" || settled.toResponder === 0n) return undefined;
  try {
    return decodeHashlockResolution(evidence);
  } catch {
    return undefined; // not hashlock evidence (another resolver's)
  }
}

/** A Watcher `onTransferSettled` hook handing every preimage revealed on chain to `node.learnPreimage`. */
export function learnPreimagesFor(node: Pick<Node, "learnPreimage">): (settled: SettledTransfer) => Promise<void> {
  return async (settled) => {
    const preimage = revealedPreimage(settled);
    if (preimage !== undefined) await node.learnPreimage(hashlockLock(preimage), preimage);
  };
}
