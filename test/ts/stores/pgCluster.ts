/**
 * The real-PostgreSQL fixture of the store tests (not a test file): `useRealPostgres(this)` in a `describe`
 * opens the server of scripts/lib/pg-cluster.ts before its tests (SWITCHYARD_PG_URL, else a throwaway cluster)
 * and stops it after them, even when they fail.
 *
 * Without a server it says so plainly and skips the suite, unless SWITCHYARD_REQUIRE_PG=1 (CI sets it): then the
 * suite fails, so a CI run can never pass without the real-server tests.
 */
import { openPgServer, type PgCluster, type PgServer } from "../../../scripts/lib/pg-cluster.js";

/** Filled in by the `before` hook; read it only inside tests. */
export interface RealPostgres {
  server: PgServer;
  /** The throwaway cluster, when the server is one (tests that crash the server need it). */
  cluster: PgCluster | undefined;
}

export const REQUIRE_PG = process.env.SWITCHYARD_REQUIRE_PG === "1";

/** Why a suite that needs a throwaway cluster cannot crash the server, or undefined when it can. */
export function cannotCrash(pg: RealPostgres): string | undefined {
  return pg.cluster === undefined ? `the server is ${pg.server.origin}, which a test must not restart` : undefined;
}

/**
 * Hooks the real server into the current `describe` (call it with the suite's `this`). Each test then makes its
 * own database with `pg.server.createDatabase()`.
 */
export function useRealPostgres(suite: Mocha.Suite): RealPostgres {
  const pg = {} as RealPostgres;
  suite.beforeAll(async function () {
    this.timeout(180_000);
    const opened = await openPgServer();
    if ("why" in opened) {
      if (REQUIRE_PG) throw new Error(`SWITCHYARD_REQUIRE_PG=1, but the real-PostgreSQL run cannot run: ${opened.why}`);
      console.log(`      real-PostgreSQL run SKIPPED: ${opened.why}`);
      this.skip();
    }
    pg.server = opened.server;
    pg.cluster = opened.server.origin === "throwaway cluster" ? (opened.server as PgCluster) : undefined;
    console.log(`      real PostgreSQL: ${await pg.server.describe()}`);
  });
  suite.afterAll(async function () {
    this.timeout(60_000);
    await pg.server?.stop();
  });
  return pg;
}
