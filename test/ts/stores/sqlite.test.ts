/** The conformance suite (conformance.ts) on SQLite files, and what only a SQLite file can do (another process). */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { promisify } from "node:util";

import { expect } from "chai";

import { SqliteStore } from "../../../src/stores/sqlite/index.js";
import { tempDir } from "../sdk/helpers.js";
import { describeConformance, genesisOf } from "./conformance.js";

let next = 0;
let dir: string | undefined;

async function freshPath(): Promise<string> {
  dir ??= await tempDir("sqlite");
  return join(dir, `store-${next++}.db`);
}

describeConformance({
  name: "SQLite (node:sqlite)",
  fresh: freshPath,
  open: (location, options) => SqliteStore.open(location, { busyTimeoutMs: 200, ...options }),
  plant: async (location, kind) => {
    if (kind === "garbage") {
      await writeFile(location, "this is no database, just some text a user saved under the store's name\n".repeat(80));
    } else if (kind === "foreign") {
      const db = new DatabaseSync(location);
      db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('x')");
      db.close();
    } else {
      await (await SqliteStore.open(location)).close();
      const db = new DatabaseSync(location);
      db.exec("UPDATE sy_meta SET value = '2000' WHERE key = 'schema_version'");
      db.close();
    }
    return true;
  },
});

describe("SqliteStore (what a file adds)", function () {
  this.timeout(60_000);

  it("refuses a second process on the same file with StoreLockedError while the first holds it", async () => {
    const path = await freshPath();
    const store = await SqliteStore.open(path);
    await store.create(await genesisOf(1));
    const child = `
      const { SqliteStore } = await import(${JSON.stringify(new URL("../../../src/stores/sqlite/index.ts", import.meta.url).href)});
      try { await SqliteStore.open(${JSON.stringify(path)}, { busyTimeoutMs: 100 }); console.log("OPENED"); }
      catch (e) { console.log(e.code); }`;
    const run = (): Promise<string> =>
      promisify(execFile)(process.execPath, ["--no-warnings", "--import", "tsx/esm", "--input-type=module", "-e", child]).then((r) => r.stdout.trim());
    expect(await run()).to.equal("STORE_LOCKED");
    await store.close();
    expect(await run()).to.equal("OPENED"); // the lock goes with its holder
  });

  it("runs in WAL mode with synchronous=FULL and foreign keys on", async () => {
    const path = await freshPath();
    const store = await SqliteStore.open(path);
    await store.create(await genesisOf(1));
    await store.close();
    const db = new DatabaseSync(path);
    expect(db.prepare("PRAGMA journal_mode").get()?.journal_mode).to.equal("wal");
    db.close();
    // synchronous and foreign_keys are per connection: the store's own connection reports them.
    const again = await SqliteStore.open(path);
    const pragmas = (again as unknown as { driver: { all(sql: string): Promise<Array<Record<string, unknown>>> } }).driver;
    expect((await pragmas.all("PRAGMA synchronous"))[0]?.synchronous).to.equal(2); // FULL
    expect((await pragmas.all("PRAGMA foreign_keys"))[0]?.foreign_keys).to.equal(1);
    await again.close();
  });
});
