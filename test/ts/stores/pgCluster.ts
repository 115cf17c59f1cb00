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
 * The server for a suite, or why it is skipped; throws instead of skipping when `requirePg` (so that a CI run
 * cannot pass without the real-server tests).
 */
export async function openForSuite(requirePg: boolean): Promise<{ server: PgServer } | { skip: string }> {
  const opened = await openPgServer();
  if ("server" in opened) return opened;
  if (requirePg) throw new Error(`SWITCHYARD_REQUIRE_PG=1, but the real-PostgreSQL run cannot run: ${opened.why}`);
  return { skip: opened.why };
}

/**
 * Hooks the real server into the current `describe` (call it with the suite's `this`). Each test then makes its
 * own database with `pg.server.createDatabase()`.
 */
export function useRealPostgres(suite: Mocha.Suite): RealPostgres {
  const pg = {} as RealPostgres;
  suite.beforeAll(async function () {
    this.timeout(180_000);
    const opened = await openForSuite(REQUIRE_PG);
    if ("skip" in opened) {
      console.log(`      real-PostgreSQL run SKIPPED: ${opened.skip}`);
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
