/**
 * The store benchmark (scripts/bench/stores.ts): the second half of `npm run bench`, or alone as
 * `npm run bench:stores`. Pins this process (all threads) to CPU 0 where `taskset` exists; the PostgreSQL rows use
 * SWITCHYARD_PG_URL, or a throwaway cluster started here (scripts/lib/pg-cluster.ts; its server processes are
 * not pinned), or are left out with the reason printed.
 */
import { cpus, loadavg } from "node:os";

import { cryptoReady, selectSecp256k1Backend } from "../src/crypto/index.js";
import { pin } from "./bench/common.js";
import { benchStores, storeBenchTable } from "./bench/stores.js";
import { openPgServer, type PgServer } from "./lib/pg-cluster.js";

async function main(): Promise<void> {
  const pinned = pin();
  console.log(
    `Switchyard store bench: node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${pinned}`,
  );
  console.log(
    `load average at start: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
  // The same backends as `npm run bench` (native libsecp256k1 where it loads, WebAssembly keccak).
  selectSecp256k1Backend();
  const backends = await cryptoReady();
  console.log(`backends: secp256k1 ${backends.secp256k1}, keccak ${backends.keccak}`);
  let server: PgServer | undefined;
  let postgresUrl: string | undefined;
  try {
    const opened = await openPgServer();
    if ("why" in opened) console.log(`PostgreSQL rows left out: ${opened.why}`);
    else {
      server = opened.server;
      postgresUrl = await server.createDatabase("switchyard_bench");
      console.log(`PostgreSQL: ${await server.describe()}`);
    }
    const rows = await benchStores({
      ...(postgresUrl === undefined ? {} : { postgresUrl }),
      log: (line) => console.log(line),
    });
    console.log("");
    console.log(storeBenchTable(rows));
  } finally {
    await server?.stop();
  }
  console.log(
    `load average at end: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
}

await main();
