/**
 * `npm run bench`: the SDK's off-chain costs, on one core. The measurements live in scripts/bench/*.ts:
 *
 * 1. signatures.ts: raw secp256k1 (2 signs + 2 recoveries per update) on the native and the JS backend, and
 *    keccak256 (WebAssembly and JS) on the sizes the protocol hashes.
 * 2. updates.ts: full off-chain updates (both sides hash, sign, verify, store), interleaved in rounds with the
 *    raw figures so that all see the same machine load; the SDK's own work per update is the difference.
 *    `STORE_BENCHES` below lists the stores and concurrencies measured (add SQLite / PostgreSQL there).
 * 3. fileStore.ts: the fsynced file store, the disk alone, and a full update at 100,000 active transfers.
 * 4. merkle.ts: root update + proof at 10, 1,000 and 100,000 active transfers.
 *
 * Run it with nothing else busy. It pins itself (all threads) to CPU 0 with `taskset` where available.
 * `SWITCHYARD_SECP256K1=js|native` chooses the backend of the store rows (default: native where it loads).
 */
import { cpus, loadavg } from "node:os";

import { cryptoReady, nativeSecp256k1, selectSecp256k1Backend } from "../src/crypto/index.js";
import { setHashingBackend } from "../src/protocol/hashes.js";
import { jsSecp256k1, secp256k1Backend, setSecp256k1Backend, type Secp256k1Backend } from "../src/protocol/secp256k1.js";
import { ZERO, add, per, pin, row, sub, type Cost } from "./bench/common.js";
import { atomicWrites, bigChannel, fileStore } from "./bench/fileStore.js";
import { printMerkle } from "./bench/merkle.js";
import { keccakCost, metered, rawSignatures } from "./bench/signatures.js";
import { memoryStore, updateBench, type BenchStore } from "./bench/updates.js";

/**
 * The stores measured at each concurrency (channel pairs updating at once), on the selected backend, after
 * the interleaved rounds. Another store joins with `{ store: () => myBenchStore(), concurrency: [1, 16, 256] }`.
 */
const STORE_BENCHES: Array<{ store: () => Promise<BenchStore>; concurrency: number[]; updatesPerChannel: (c: number) => number }> = [
  { store: async () => memoryStore, concurrency: [16, 256], updatesPerChannel: (c) => Math.max(4, Math.round(1_000 / c)) },
];

const ROUNDS = 10;
const WARMUP_UPDATES = Number(process.env.SWITCHYARD_BENCH_WARMUP ?? 5_000);
const PER_ROUND = 100;

/** The rows of STORE_BENCHES, on the active backend. */
async function concurrencyRows(): Promise<void> {
  for (const bench of STORE_BENCHES) {
    const store = await bench.store();
    try {
      for (const c of bench.concurrency) {
        const b = await updateBench(store, c);
        await b.run(2); // warm-up of this set of channels
        const cost = await b.run(bench.updatesPerChannel(c));
        console.log(row(`${store.name}, ${c} channels`, cost, "upd"));
      }
    } finally {
      await store.close();
    }
  }
}

async function main(): Promise<void> {
  const pinned = pin();
  const selected = selectSecp256k1Backend();
  const backends = await cryptoReady();
  const loaded = nativeSecp256k1(); // the very backend object selected above (one backend per process, as in a node)
  const native: Secp256k1Backend | undefined = "backend" in loaded ? loaded.backend : undefined;
  const active = secp256k1Backend();
  console.log(`Switchyard SDK bench — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${pinned}`);
  console.log(`backends: secp256k1 ${backends.secp256k1} (selected: ${selected}${native === undefined ? `; native unavailable: ${"error" in loaded ? loaded.error : ""}` : ""}), keccak ${backends.keccak}`);
  console.log(`load average at start: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);

  console.log("\nkeccak256, µs per hash (CPU):");
  for (const size of [32, 64, 224, 320]) {
    await setHashingBackend("js");
    const js = keccakCost(size, 20_000);
    await setHashingBackend("wasm");
    const wasm = keccakCost(size, 20_000);
    console.log(`  ${String(size).padStart(3)} bytes: js (@noble/hashes via ethers) ${js.toFixed(2)}   wasm (hash-wasm) ${wasm.toFixed(2)}   ×${(js / wasm).toFixed(1)}`);
  }
  await setHashingBackend(backends.keccak);

  const withBackend = async <T>(backend: Secp256k1Backend, run: () => Promise<T>): Promise<T> => {
    setSecp256k1Backend(backend);
    try {
      return await run();
    } finally {
      setSecp256k1Backend(active);
    }
  };

  // Warm-up (JIT), then the measured runs. The hot path reaches its steady state (every function optimized)
  // only after a few thousand updates on this machine (reports/bench.md); a node runs for days, so the steady
  // state is what is measured. SWITCHYARD_BENCH_WARMUP sets the count. The native rows run first, before the
  // process has seen another backend or store: a node runs one of each, and switching them makes the hot call
  // sites polymorphic (slower) for the rest of the process.
  const file = await fileStore();
  try {
    const warm = await updateBench(memoryStore, 1);
    await warm.run(WARMUP_UPDATES);
    const avg = (c: Cost): Cost => per(c, ROUNDS);
    const own = (full: Cost, raw: Cost): string => {
      const d = sub(full, raw);
      return `${(d.cpu * 1000).toFixed(0)} µs CPU (${((d.cpu / full.cpu) * 100).toFixed(0)}% of the update)`;
    };
    console.log(`\nFull off-chain updates (both sides hash, sign, verify, store), 1 channel: ${ROUNDS} interleaved rounds`);

    // Interleaved rounds, so that the raw figures and the full updates see the same machine load.
    if (native !== undefined) {
      rawSignatures(native, 300);
      const memNative = await withBackend(native, () => updateBench(memoryStore, 1));
      let rawNative = ZERO;
      let full = ZERO;
      for (let r = 0; r < ROUNDS; r++) {
        rawNative = add(rawNative, rawSignatures(native, PER_ROUND));
        full = add(full, await withBackend(native, () => memNative.run(PER_ROUND)));
      }
      console.log(row("raw native: 2 signs + 2 recoveries", avg(rawNative), "groups"));
      console.log(row("full update, memory store, native", avg(full), "upd"));
      console.log(`  SDK's own work per update (all but the raw signature operations), native: ${own(avg(full), avg(rawNative))}`);
      const floor = 1000 / avg(rawNative).cpu;
      console.log(
        `  signature floor: ${floor.toFixed(0)} updates/s of CPU if the SDK did nothing but its 4 signature operations; ` +
          `the full update reaches ${((100 * (1000 / avg(full).cpu)) / floor).toFixed(0)}% of it (goal: 2,000 updates/s)`,
      );

      console.log(`\nFull updates at concurrency (channel pairs updating at once), native backend:`);
      await withBackend(native, () => concurrencyRows());

      // The same updates with the native calls metered: what the signature operations cost inside an update
      // (more than in the tight loop of the raw row: the SDK's work between them takes the caches), and the rest.
      const meter = metered(native);
      let total = ZERO;
      let inside = 0;
      for (let r = 0; r < ROUNDS; r++) {
        meter.reset();
        total = add(total, await withBackend(meter, () => memNative.run(PER_ROUND)));
        inside += meter.cpu / PER_ROUND;
        // Every update checks both signatures anew (its channel and digests are new: freshPairs in common.ts).
        if (meter.recoveries < 2 * PER_ROUND) throw new Error(`${meter.recoveries} recoveries in ${PER_ROUND} full updates (expected ${2 * PER_ROUND})`);
      }
      const metered1 = avg(total);
      const sig = inside / ROUNDS;
      console.log(
        `  inside a full update (native, metered): signature operations ${(sig * 1000).toFixed(0)} µs CPU, ` +
          `the SDK's own work ${((metered1.cpu - sig) * 1000).toFixed(0)} µs CPU (${(((metered1.cpu - sig) / metered1.cpu) * 100).toFixed(0)}%) of ${(metered1.cpu * 1000).toFixed(0)} µs`,
      );
    } else {
      console.log(`\nFull updates at concurrency (channel pairs updating at once), ${active.name} backend:`);
      await concurrencyRows();
    }

    // The JS backend and the file store, interleaved likewise.
    rawSignatures(jsSecp256k1, 30);
    await withBackend(jsSecp256k1, () => warm.run(30));
    const memJs = await withBackend(jsSecp256k1, () => updateBench(memoryStore, 1));
    const onFile = await updateBench(file, 1);
    const sum = { rawJs: ZERO, memJs: ZERO, file: ZERO, disk: ZERO };
    for (let r = 0; r < ROUNDS; r++) {
      sum.rawJs = add(sum.rawJs, rawSignatures(jsSecp256k1, PER_ROUND / 4));
      sum.memJs = add(sum.memJs, await withBackend(jsSecp256k1, () => memJs.run(PER_ROUND / 4)));
      sum.file = add(sum.file, await onFile.run(PER_ROUND / 2));
      sum.disk = add(sum.disk, await atomicWrites(file.dir, 3 * 10, 1_200));
    }
    const disk3: Cost = per(sum.disk, ROUNDS / 3); // three writes
    console.log("");
    console.log(row("raw JS (ethers): 2 signs + 2 recoveries", avg(sum.rawJs), "groups"));
    console.log(row("full update, memory store, JS", avg(sum.memJs), "upd"));
    console.log(row(`full update, file store (fsync), ${active.name}`, avg(sum.file), "upd"));
    console.log(row("disk alone: 3 atomic writes", disk3, "sets"));
    console.log(`  SDK's own work per update (all but the raw signature operations), JS:     ${own(avg(sum.memJs), avg(sum.rawJs))}`);

    printMerkle();

    const SIZE = 100_000;
    const BIG = 200;
    const big = await bigChannel(file.dir, SIZE, BIG);
    console.log(`\nFull update at ${SIZE.toLocaleString("en")} active transfers (file store, ${BIG} updates): wall ${big.update.wall.toFixed(3)} ms, cpu ${big.update.cpu.toFixed(3)} ms per update`);
    console.log(`  (writing that record whole, as a checkpoint does once per ${SIZE.toLocaleString("en")} entries: ${big.seedMs.toFixed(0)} ms)`);
    console.log(`load average at end: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  } finally {
    await file.close();
  }
}

await main();
