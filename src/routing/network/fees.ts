/** Fee arithmetic of routes across nodes (docs/PROTOCOL.md §17). Pure, browser-safe. */
import type { FeeSchedule } from "./types.js";

/** Parts per million: the denominator of `FeeSchedule.ppm`. */
export const PPM = 1_000_000n;

/** What a node with schedule `fee` charges to send `amountOut` on: `flat + floor(amountOut * ppm / 1e6)`. */
export function forwardingFee(fee: FeeSchedule, amountOut: bigint): bigint {
  return fee.flat + (amountOut * fee.ppm) / PPM;
}

/** A node's `fees` as `/v1/info` serves them (NodeInfo.fees) or its config holds them: a default and per-asset rows. */
export interface NodeFees {
  default: FeeSchedule;
  assets: ReadonlyArray<FeeSchedule & { asset: string }> | ReadonlyMap<string, FeeSchedule>;
}

/** The schedule `fees` applies to `asset` (its row, else the default): how a payer's node prices a node from its info. */
export function nodeFeeOf(fees: NodeFees, asset: string): FeeSchedule {
  const want = asset.toLowerCase();
  if (fees.assets instanceof Map) {
    for (const [a, f] of fees.assets) if (a.toLowerCase() === want) return { flat: f.flat, ppm: f.ppm };
  } else {
    for (const row of fees.assets as ReadonlyArray<FeeSchedule & { asset: string }>) {
      if (row.asset.toLowerCase() === want) return { flat: row.flat, ppm: row.ppm };
    }
  }
  return { flat: fees.default.flat, ppm: fees.default.ppm };
}
