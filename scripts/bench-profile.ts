/**
 * `npm run bench:profile`: where a full update's CPU goes (scripts/bench/profile.ts), on the backends
 * `npm run bench` uses, pinned to CPU 0 where `taskset` exists.
 */
import { loadavg } from "node:os";

import { cryptoReady, selectSecp256k1Backend } from "../src/crypto/index.js";
import { pin } from "./bench/common.js";
import { profileUpdates } from "./bench/profile.js";

const pinned = pin();
selectSecp256k1Backend();
const backends = await cryptoReady();
console.log(
  `Switchyard update profile — node ${process.version}, ${pinned}, secp256k1 ${backends.secp256k1}, keccak ${backends.keccak}`,
);
console.log(
  `load average at start: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
const count = Number(process.env.SWITCHYARD_PROFILE_UPDATES ?? 4_000);
const { cpuMs, rows, top } = await profileUpdates(count);
console.log(
  `\n${count} full updates (memory store, one channel): ${(cpuMs * 1000).toFixed(0)} µs of CPU per update unprofiled`,
);
console.log("| part | share | µs per update |\n| --- | ---: | ---: |");
for (const r of rows) console.log(`| ${r.part} | ${(r.share * 100).toFixed(1)}% | ${r.microseconds.toFixed(0)} |`);
console.log(
  "\nthe functions with the most samples (innermost frame):\n| function | share | µs per update |\n| --- | ---: | ---: |",
);
for (const r of top) console.log(`| ${r.part} | ${(r.share * 100).toFixed(1)}% | ${r.microseconds.toFixed(0)} |`);
console.log(
  `load average at end: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
