/**
 * Crash safety of the database stores (issue 11, item 5), on SQLite and on a real PostgreSQL server:
 * - a writer process (crashChild.ts: both parties of 4 channels updating concurrently, so their writes share
 *   group commits) is SIGKILLed 50 times on the same stores: 40 times by its own hook at a commit point (BEGIN
 *   done, a unit written inside the transaction, all units written before COMMIT, COMMIT sent, COMMIT returned
 *   but nothing acknowledged yet; half of them only inside a group commit of 2 or more units) and 10 times by
 *   the parent at a random moment. After every kill the stores are reopened: every signature that left a party
 *   is held, no nonce was ever signed with two contents, and the channels open and carry on;
 * - the PostgreSQL server itself is stopped with `pg_ctl stop -m immediate` (its processes quit at once, no
 *   checkpoint) in the middle of a load and started again: every write in flight fails with a typed
 *   StoreUnavailableError (none hangs, none is acknowledged), and once the server is back nothing acknowledged
 *   is lost and the channels carry on.
 *
 * A SIGKILL loses what the process had not handed to the kernel (or to the server); it does not model a power
 * cut, which a test cannot produce. `npm run test:crash` runs a longer campaign (SWITCHYARD_CRASH_KILLS).
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";

import { expect } from "chai";

import { StoreUnavailableError } from "../../../src/protocol/errors.js";
import type { CommitPoint } from "../../../src/stores/store.js";
import { tempDir } from "../sdk/helpers.js";
import { bundleChild, campaign, Ledger, verifyStores, type CampaignResult } from "./crashHarness.js";
import { openSides, recover, updateOnce, type Sent, type StoreLocation } from "./crashStores.js";
import { cannotCrash, useRealPostgres } from "./pgCluster.js";

const KILLS = Math.max(50, Number(process.env.SWITCHYARD_CRASH_KILLS ?? "50"));
const TIMER_KILLS = Math.ceil(KILLS / 5);
const CHANNELS = 4;
const POINTS: readonly CommitPoint[] = ["begin", "unit-written", "before-commit", "commit-sent", "committed"];

/** `promise`, or a failure naming `what` once `ms` have passed. */
async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function expectCampaign(result: CampaignResult): void {
  expect(result.kills).to.equal(KILLS);
  for (const point of POINTS) expect(result.byPoint[point] ?? 0, `kills at ${point}`).to.be.greaterThan(0);
  expect(result.inGroupCommit, "kills inside a group commit of 2+ units").to.be.greaterThan(10);
  expect(result.progress, "the channels made progress across the runs").to.be.greaterThan(BigInt(KILLS));
  expect(result.signatures).to.be.greaterThan(KILLS * 2);
}

describe("store crash safety on databases (SIGKILL mid-transaction and mid-group-commit; server restart)", function () {
  this.timeout(900_000);
  let bundle: string;

  before(async function () {
    this.timeout(120_000);
    bundle = await bundleChild();
  });
  after(async () => {
    if (bundle !== undefined) await rm(bundle, { force: true });
  });

  it(`test_sqliteStore_holdsEveryAcknowledgedUpdate_across${KILLS}Kills`, async () => {
    const dir = await tempDir("crash-sqlite");
    const plan = {
      alice: { backend: "sqlite", path: join(dir, "alice.db") } as StoreLocation,
      bob: { backend: "sqlite", path: join(dir, "bob.db") } as StoreLocation,
      channels: CHANNELS,
    };
    const result = await campaign(bundle, plan, { kills: KILLS, points: POINTS, seed: 11, timerKills: TIMER_KILLS });
    console.log(`      sqlite: ${JSON.stringify({ ...result, progress: String(result.progress) })}`);
    expectCampaign(result);
  });

  describe("on a real PostgreSQL server", function () {
    const pg = useRealPostgres(this);

    it(`test_postgresStore_holdsEveryAcknowledgedUpdate_across${KILLS}Kills`, async () => {
      const url = await pg.server.createDatabase("switchyard_crash");
      const plan = {
        alice: { backend: "postgres", url, schema: "alice" } as StoreLocation,
        bob: { backend: "postgres", url, schema: "bob" } as StoreLocation,
        channels: CHANNELS,
      };
      const result = await campaign(bundle, plan, { kills: KILLS, points: POINTS, seed: 12, timerKills: TIMER_KILLS });
      console.log(`      postgres: ${JSON.stringify({ ...result, progress: String(result.progress) })}`);
      expectCampaign(result);
    });

    it("test_postgresStore_serverRestartedMidLoad_failsWritesWithTypedError_andLosesNothingAcknowledged", async function () {
      const why = cannotCrash(pg);
      if (why !== undefined) {
        console.log(`      server restart SKIPPED: ${why}`);
        this.skip();
      }
      const cluster = pg.cluster as NonNullable<typeof pg.cluster>;
      const url = await pg.server.createDatabase("switchyard_restart");
      const plan = {
        alice: { backend: "postgres", url, schema: "alice" } as StoreLocation,
        bob: { backend: "postgres", url, schema: "bob" } as StoreLocation,
        channels: CHANNELS,
      };
      const ledger = new Ledger();
      const acknowledged: Sent[] = [];
      const onSent = (s: Sent): void => void acknowledged.push(s);
      let sides = await openSides(plan);
      const failures: unknown[] = [];
      // Each channel updates until a write fails; the server is stopped once 60 signatures have left.
      const loops = sides.map(async (side, index) => {
        for (;;) {
          try {
            await updateOnce(index, side, onSent);
          } catch (error) {
            failures.push(error);
            return;
          }
        }
      });
      while (acknowledged.length < 60) await new Promise((resolve) => setTimeout(resolve, 20));
      await cluster.halt("immediate");
      await Promise.all(loops);
      expect(failures).to.have.length(CHANNELS);
      for (const failure of failures) expect(failure, String(failure)).to.be.instanceOf(StoreUnavailableError);
      await cluster.start();
      // Closing a store whose server went away must end (with or without an error), not wait forever.
      for (const store of new Set(sides.flatMap((s) => [s.alice.store, s.bob.store]))) {
        await within(
          20_000,
          store.close().catch(() => undefined),
          "PostgresStore.close() after the server restart",
        );
      }
      ledger.add(acknowledged, "before the restart");
      const before = await verifyStores(plan, ledger, "after the restart");
      // The channels carry on: finish what the stop interrupted, then 3 more updates each.
      sides = await openSides(plan);
      const after: Sent[] = [];
      await Promise.all(
        sides.map(async (side, index) => {
          await recover(index, side, (s) => void after.push(s));
          for (let k = 0; k < 3; k++) await updateOnce(index, side, (s) => void after.push(s));
        }),
      );
      for (const store of new Set(sides.flatMap((s) => [s.alice.store, s.bob.store]))) await store.close();
      ledger.add(after, "after the restart");
      expect(await verifyStores(plan, ledger, "at the end")).to.be.greaterThan(before + BigInt(2 * CHANNELS));
    });
  });
});
