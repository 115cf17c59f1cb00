/**
 * The warm-up of a load run: every channel gets the node's collateral before anything is measured, so no measured
 * payment waits for the chain. A ring of payments (client i pays client i+1) makes the node deposit just in time
 * into each payee's channel (src/node/collateral.ts: below the amount it forwards, it deposits up to its target).
 *
 * The ring alone leaves a gap: a ring payment forwarded out of what its payee had already paid the node needs no
 * deposit. Client 0 is paid last (by client n-1), after its own payment to client 1 completed, which left its amount
 * and fee with the node in client 0's channel; the node forwards from that and keeps only the fee there. The next
 * payment to client 0 then waited for an on-chain deposit (about 80 ms: the slowest "first payment" of the fresh
 * clients, whose first payee is client 0). So each channel whose node balance is still below the run's largest
 * payment is paid that largest payment once more, by its ring predecessor: more than the node holds there, so it
 * deposits now.
 */
import { ZeroAddress } from "ethers";

import type { LoadClient } from "./clients.js";
import { inBatches } from "./clients.js";
import { MAX_AMOUNT, Recorder, pay } from "./runner.js";

/** The ring's payment (wei). */
const RING_AMOUNT = 1_000_000_000n;

export interface WarmUp {
  recorder: Recorder;
  /** Channels the ring left below the run's largest payment, paid once more. */
  toppedUp: number;
  /** The smallest node balance (ETH, wei) over the clients' channels afterwards: at least MAX_AMOUNT. */
  minCollateral: bigint;
}

/** The node's free balance in `c`'s channel (its inbound capacity), in ETH. */
export function inboundOf(c: LoadClient): bigint {
  return c.client.balances()[ZeroAddress]?.node ?? 0n;
}

/** Runs the ring (`concurrency` payments at a time) and the top-up of what it left uncovered. */
export async function warmUp(ring: readonly LoadClient[], concurrency: number): Promise<WarmUp> {
  const recorder = new Recorder();
  const n = ring.length;
  await inBatches(ring, concurrency, (c, i) => pay(c, ring[(i + 1) % n] as LoadClient, RING_AMOUNT, recorder));
  const uncovered = ring.filter((c) => inboundOf(c) < MAX_AMOUNT);
  await inBatches(uncovered, concurrency, (c) => pay(ring[(ring.indexOf(c) + n - 1) % n] as LoadClient, c, MAX_AMOUNT, recorder));
  const minCollateral = ring.reduce((m, c) => (inboundOf(c) < m ? inboundOf(c) : m), inboundOf(ring[0] as LoadClient));
  return { recorder, toppedUp: uncovered.length, minCollateral };
}
