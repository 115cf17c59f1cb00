/** Fee arithmetic of routes across nodes (docs/PROTOCOL.md §17). Pure, browser-safe. */
import type { FeeSchedule } from "./types.js";

/** Parts per million: the denominator of `FeeSchedule.ppm`. */
export const PPM = 1_000_000n;

/** What a node with schedule `fee` charges to send `amountOut` on: `flat + floor(amountOut * ppm / 1e6)`. */
export function forwardingFee(fee: FeeSchedule, amountOut: bigint): bigint {
  return fee.flat + (amountOut * fee.ppm) / PPM;
}
