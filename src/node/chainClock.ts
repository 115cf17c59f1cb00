/**
 * The routing clock of a node: unix seconds that follow the chain's time forward. Lock expiries are enforced on
 * chain against block timestamps, so the routing Node (when it may refund upstream, when it must dispute to claim
 * on chain) reads them against the chain: the system clock, plus how far the latest block's timestamp was ahead
 * of it when last sampled (never behind the system clock: a chain that mines no block for a while lags).
 */
import type { Provider } from "ethers";

export interface ChainClock {
  /** Unix seconds: max(system, latest block's timestamp carried forward). */
  now(): bigint;
  /** Samples the chain once (also done every `everyMs` once started). */
  sample(): Promise<void>;
  start(): void;
  stop(): void;
}

/** How often a node samples the chain's latest block for its clock (ms). */
export const CHAIN_CLOCK_SAMPLE_MS = 1_000;

export function chainClock(provider: Pick<Provider, "getBlock">, everyMs = CHAIN_CLOCK_SAMPLE_MS): ChainClock {
  let ahead = 0n;
  let timer: NodeJS.Timeout | undefined;
  const system = (): bigint => BigInt(Math.floor(Date.now() / 1000));
  const clock: ChainClock = {
    now: () => system() + ahead,
    sample: async () => {
      try {
        const block = await provider.getBlock("latest");
        if (block === null) return;
        const lead = BigInt(block.timestamp) - system();
        ahead = lead > 0n ? lead : 0n;
      } catch {
        // keep the last sample: a chain that does not answer does not move the clock back
      }
    },
    start: () => {
      timer ??= setInterval(() => void clock.sample(), everyMs);
      timer.unref();
    },
    stop: () => {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
  return clock;
}
