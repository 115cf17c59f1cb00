/**
 * Full off-chain updates: two parties in this process, each with its own store; an update is
 * propose → receive → complete, so both sides hash the state, sign it, verify the other's signature and
 * store it. `concurrency` channel pairs run side by side (each pair's updates in order, as a node serves many
 * channels at once).
 *
 * The place for store benchmarks: give `fullUpdatesWithStore` (or `updateBench`, to interleave rounds with
 * other measurements) a `BenchStore` — the memory store here; SQLite and PostgreSQL plug in the same way — and
 * a concurrency (1, 16, 256), then list it in `STORE_BENCHES` of scripts/bench.ts.
 */
import type { Channel } from "../../src/channel/channel.js";
import type { Party } from "../../src/protocol/types.js";
import { MemoryChannelStore, type ChannelStore } from "../../src/stores/store.js";
import { add, freshPairs, fundedPair, per, runSteps, startClock, workload, ZERO, type Cost } from "./common.js";

/** A store under test. Each party of each channel pair asks `open` for its store. */
export interface BenchStore {
  readonly name: string;
  /** The store `party` uses for channel pair `pair` (a store may serve every pair of a party). */
  open(party: Party, pair: number): Promise<ChannelStore>;
  /** Releases what `open` made (connections, servers, temporary files). */
  close(): Promise<void>;
}

/** A fresh MemoryChannelStore per party and pair. */
export const memoryStore: BenchStore = {
  name: "memory store",
  open: async () => new MemoryChannelStore(),
  close: async () => undefined,
};

/** Prepared channel pairs that run rounds of updates. */
export interface UpdateBench {
  readonly concurrency: number;
  /** Runs `updatesPerChannel` updates on every pair at once; the cost per update. */
  run(updatesPerChannel: number): Promise<Cost>;
}

/** Creates and funds `concurrency` channel pairs on `store`, ready to run rounds. */
export async function updateBench(store: BenchStore, concurrency: number): Promise<UpdateBench> {
  const pairs: Array<[Channel, Channel]> = [];
  const first = freshPairs(concurrency); // new channel addresses: no digest of an earlier bench repeats
  for (let k = 0; k < concurrency; k++) pairs.push(await fundedPair(await store.open("alice", k), await store.open("bob", k), first + k));
  let next = 0;
  return {
    concurrency,
    async run(updatesPerChannel) {
      // The details are built before the clock starts: only the SDK's (and the store's) work is timed.
      const steps = pairs.map((_, k) => workload(updatesPerChannel, next, first + k));
      next += updatesPerChannel;
      const stop = startClock();
      await Promise.all(pairs.map(([a, b], k) => runSteps(a, b, steps[k] ?? [])));
      return per(stop(), updatesPerChannel * concurrency);
    },
  };
}

/** Full update with `store` at `concurrency` channels: `rounds` rounds of `updatesPerChannel`; cost per update. */
export async function fullUpdatesWithStore(store: BenchStore, concurrency: number, updatesPerChannel: number, rounds = 1): Promise<Cost> {
  const bench = await updateBench(store, concurrency);
  let sum = ZERO;
  for (let r = 0; r < rounds; r++) sum = add(sum, await bench.run(updatesPerChannel));
  return per(sum, rounds);
}
