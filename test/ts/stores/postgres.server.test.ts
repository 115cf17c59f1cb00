/**
 * The conformance suite (conformance.ts) on a real PostgreSQL server through `pg`: SWITCHYARD_PG_URL when set,
 * else a throwaway cluster this run starts and removes (pgCluster.ts). Without a server the run is skipped
 * with a plain message, or fails when SWITCHYARD_REQUIRE_PG=1 (CI). A location is a schema of one database made
 * for this run; breaking the connection makes the database refuse connections and terminates the store's
 * sessions (pg_terminate_backend), until the test ends.
 */
import pg from "pg";

import { PostgresStore } from "../../../src/stores/postgres/index.js";
import { describeConformance } from "./conformance.js";
import { useRealPostgres } from "./pgCluster.js";

describe("PostgresStore on a real PostgreSQL server", function () {
  this.timeout(300_000);
  const server = useRealPostgres(this);
  let url: string | undefined;
  let next = 0;
  /** Each store's sessions carry its location as application_name, so a test can cut exactly those. */
  const locations = new WeakMap<object, string>();

  const database = async (): Promise<string> => {
    url ??= await server.server.createDatabase("switchyard_conformance");
    return url;
  };
  /** Runs one statement on this run's database (or, with `maintenance`, on the server's maintenance database). */
  const sql = async (text: string, params: unknown[] = [], maintenance = false): Promise<void> => {
    const client = new pg.Client({ connectionString: maintenance ? server.server.url : await database() });
    await client.connect();
    try {
      await client.query(text, params);
    } finally {
      await client.end();
    }
  };
  const databaseName = async (): Promise<string> => new URL(await database()).pathname.slice(1);
  let refused = false;

  describeConformance({
    name: "PostgreSQL on a real server",
    fresh: async () => {
      await database();
      return `s${process.pid}_${next++}`;
    },
    open: async (location, options) => {
      const store = await PostgresStore.open({
        url: await database(),
        schema: location,
        poolConfig: { application_name: `switchyard_${location}` },
        ...options,
      });
      locations.set(store, location);
      return store;
    },
    plant: async (location, kind) => {
      if (kind === "garbage") return false; // a database server holds no stray bytes under a schema name
      if (kind === "foreign") {
        await sql(`CREATE SCHEMA ${location}`);
        await sql(`CREATE TABLE ${location}.users (id int PRIMARY KEY, name text)`);
        return true;
      }
      await (await PostgresStore.open({ url: await database(), schema: location })).close();
      await sql(`UPDATE ${location}.sy_meta SET value = $1 WHERE key = 'schema_version'`, ["2000"]);
      return true;
    },
    // The store reconnects by itself when only its session dies; a lost connection is one that cannot come
    // back: the database stops taking connections, then the store's sessions are terminated.
    breakConnection: async (store) => {
      const location = locations.get(store);
      if (location === undefined) throw new Error("breakConnection: not a store this harness opened");
      refused = true;
      await sql(`ALTER DATABASE ${await databaseName()} WITH ALLOW_CONNECTIONS false`, [], true);
      await sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        [`switchyard_${location}`],
        true,
      );
    },
    afterEach: async () => {
      if (!refused) return;
      refused = false;
      await sql(`ALTER DATABASE ${await databaseName()} WITH ALLOW_CONNECTIONS true`, [], true);
    },
  });
});
