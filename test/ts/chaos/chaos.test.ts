/**
 * The short chaos run of `npm test` (scripts/chaos/run.ts; the long one is `npm run chaos`, docs/NODE.md
 * "Faults"): three client processes paying each other through the node process under a few node SIGKILLs, one
 * client SIGKILLed mid-payment and restarted from its store, one PostgreSQL restart under the node and one
 * connection cut by the proxy; then every process stopped and every end check asserted on the stores and the
 * chain, and every channel closed cooperatively with its payouts checked on chain. `SWITCHYARD_CHAOS_SEED` runs another
 * schedule (`npm run test:chaos` runs only this file).
 */
import { expect } from "chai";

import { findPgBinaries } from "../../../scripts/lib/pg-cluster.js";
import { runChaos } from "../../../scripts/chaos/run.js";
import { REQUIRE_PG } from "../stores/pgCluster.js";

/** The schedule's seed: SWITCHYARD_CHAOS_SEED (a whole number 0 … 2^32-1) or the default one. */
function seedOf(text: string | undefined): number {
  if (text === undefined || text === "") return 20_261_202;
  const seed = Number(text);
  if (!/^(0|[1-9]\d*)$/.test(text) || !Number.isSafeInteger(seed) || seed > 2 ** 32 - 1)
    throw new Error(`SWITCHYARD_CHAOS_SEED ${text}: not a whole number 0 … 2^32-1`);
  return seed;
}

describe("chaos, short run (node, client, PostgreSQL and connection faults)", function () {
  this.timeout(600_000);

  it("test_chaos_faultsUnderLoad_everyEndCheckPassesOnTheStoresAndTheChain", async function () {
    const pg = findPgBinaries();
    // The PostgreSQL restart needs a server this test controls (a throwaway cluster of the machine's binaries, not
    // SWITCHYARD_PG_URL's). CI has the binaries and sets SWITCHYARD_REQUIRE_PG=1: there a missing server fails.
    if ("why" in pg && REQUIRE_PG) expect.fail(`SWITCHYARD_REQUIRE_PG=1, but the chaos run's PostgreSQL restart cannot run: ${pg.why}`);
    if ("why" in pg) console.log(`      (no PostgreSQL restart: ${pg.why}; the node runs on SQLite)`);
    const store = "why" in pg ? "sqlite" : "pg";
    const seed = seedOf(process.env.SWITCHYARD_CHAOS_SEED);
    console.log(`      (seed ${seed}; replay with SWITCHYARD_CHAOS_SEED=${seed})`);
    const result = await runChaos({
      store,
      seed,
      clients: 3,
      durationSeconds: 25,
      nodeKills: 2,
      clientKills: 1,
      pgRestarts: store === "pg" ? 1 : 0,
      connectionCuts: 1,
      concurrency: 2,
      verbose: false,
    });
    for (const c of result.checks) expect(c.passed, `${c.name}: ${c.detail}`).to.equal(true);
    expect(result.checks.map((c) => c.name)).to.have.length(7);
    const kinds = (kind: string): typeof result.faults => result.faults.filter((f) => f.kind === kind);
    expect(kinds("node SIGKILL")).to.have.length(2);
    expect(kinds("client SIGKILL").filter((f) => f.hit), "a client killed between pay() and its answer").to.have.length(1);
    expect(kinds("connection cut").filter((f) => f.hit), "a connection cut mid-exchange").to.have.length(1);
    expect(kinds("PostgreSQL restart")).to.have.length(store === "pg" ? 1 : 0);
    const o = result.payments.outcomes;
    expect(o.completed, "payments completed under the faults").to.be.greaterThan(0);
    expect(o.completed + o.refunded + o.neverLocked).to.equal(result.payments.attempted);
    expect(result.passed).to.equal(true);
  });
});
