/**
 * The conformance suite (conformance.ts) on PostgreSQL in WebAssembly (PGlite, in-process): the PostgreSQL
 * code of the store, tested on every machine. A location is a schema of one PGlite instance; breaking the
 * connection closes the instance (the next tests get a fresh clone of a pristine template).
 */
import { PGlite } from "@electric-sql/pglite";

import { PostgresStore, type PgliteLike } from "../../../src/stores/postgres/index.js";
import { describeConformance } from "./conformance.js";

describe("PostgresStore on PGlite", function () {
  this.timeout(300_000);
  let template: PGlite | undefined;
  let current: PgliteLike | undefined;
  let generation = 0;
  let next = 0;
  const instance = async (): Promise<PgliteLike> => {
    template ??= await PGlite.create();
    current ??= await template.clone();
    return current;
  };

  before(async () => {
    await instance();
  });

  after(async () => {
    await current?.close().catch(() => undefined);
    await template?.close();
  });

  describeConformance({
    name: "PostgreSQL on PGlite",
    fresh: async () => {
      await instance();
      return `g${generation}_s${next++}`;
    },
    open: async (location, options) => PostgresStore.openPglite(await instance(), { schema: location, ...options }),
    plant: async (location, kind) => {
      const db = await instance();
      if (kind === "foreign") {
        await db.query(`CREATE SCHEMA ${location}`);
        await db.query(`CREATE TABLE ${location}.users (id int PRIMARY KEY, name text)`);
        return true;
      }
      await (await PostgresStore.openPglite(db, { schema: location })).close();
      const value = kind === "newer-schema" ? "2000" : "two";
      await db.query(`UPDATE ${location}.sy_meta SET value = $1 WHERE key = 'schema_version'`, [value]);
      return true;
    },
    breakConnection: async () => {
      const db = current;
      current = undefined;
      generation++;
      await db?.close();
    },
  });
});
