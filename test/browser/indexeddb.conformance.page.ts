/**
 * Page script (bundled for Chromium by test/ts/stores/indexeddb.browser.test.ts, never loaded by Node's
 * mocha): the store conformance suite, unchanged, over IndexedDbStore on the page's real IndexedDB.
 * A location is a database name; a lost connection is the database deleted under the store (another tab,
 * or the user clearing site data); bad databases are planted with the raw IndexedDB API. Then the rules only a
 * browser has: one readwrite transaction per group commit, a newer SDK upgrading the database in another tab,
 * and the fencing token alone where there are no Web Locks.
 */
import { expect } from "chai";
import { id } from "ethers";

import { SchemaVersionError, StoreLockedError } from "../../src/protocol/errors.js";
import { browserGlobals, type IdbDatabase, type IdbFactory } from "../../src/stores/indexeddb/idb.js";
import { IndexedDbStore, INDEXEDDB_SCHEMA_VERSION, OBJECT_STORES } from "../../src/stores/indexeddb/index.js";
import { channelAt, describeConformance, genesisOf, rejects } from "../ts/stores/conformance.js";
import { rawDatabase, deleteDatabase } from "./idbPage.js";

const created: string[] = [];
let next = 0;

describeConformance({
  name: "indexeddb (Chromium)",
  fresh: async () => {
    const name = `sy-conformance-${Date.now()}-${next++}`;
    created.push(name);
    return name;
  },
  open: (location, options) =>
    IndexedDbStore.open(location, options?.onCommitPoint === undefined ? {} : { onCommitPoint: options.onCommitPoint }),
  plant: async (location, kind) => {
    if (kind === "newer-schema") {
      await rawDatabase(location, INDEXEDDB_SCHEMA_VERSION + 98, (db) => {
        for (const name of Object.values(OBJECT_STORES)) db.createObjectStore(name);
      });
    } else if (kind === "foreign") {
      await rawDatabase(location, 1, (db) => void db.createObjectStore("todos"));
    } else {
      // A Switchyard database whose payment row is not the SDK's encoding.
      await (await IndexedDbStore.open(location)).close();
      await rawDatabase(location, INDEXEDDB_SCHEMA_VERSION, undefined, (db) => {
        const tx = db.transaction(OBJECT_STORES.payments, "readwrite");
        tx.objectStore(OBJECT_STORES.payments).put("{not json", "0x01");
        return tx;
      });
    }
    return true;
  },
  breakConnection: async (store) => {
    await deleteDatabase((store as IndexedDbStore).location);
  },
  afterEach: async () => {
    for (const name of created.splice(0)) await deleteDatabase(name);
  },
});

/** A factory that counts the readwrite transactions the store opens (one per group commit). */
function countingFactory(): { factory: IdbFactory; readwrite: () => number } {
  const real = browserGlobals().indexedDB as IdbFactory;
  let readwrite = 0;
  const factory: IdbFactory = {
    deleteDatabase: (name) => real.deleteDatabase(name),
    open: (name, version) => {
      const request = version === undefined ? real.open(name) : real.open(name, version);
      const success = (): void => {
        const db = request.result;
        const transaction = db.transaction.bind(db);
        Object.defineProperty(db, "transaction", {
          value: (...args: Parameters<IdbDatabase["transaction"]>) => {
            if (args[1] === "readwrite") readwrite++;
            return transaction(...args);
          },
        });
      };
      return new Proxy(request, {
        get(target, key) {
          const value: unknown = Reflect.get(target, key, target); // the DOM getters need the real object
          return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
        set(target, key, value: unknown) {
          if (key === "onsuccess" && typeof value === "function")
            return Reflect.set(target, key, (event: unknown) => (success(), (value as (e: unknown) => void)(event)));
          return Reflect.set(target, key, value);
        },
      });
    },
  };
  return { factory, readwrite: () => readwrite };
}

describe("IndexedDbStore in the browser (beyond the conformance suite)", function () {
  this.timeout(60_000);
  const open: IndexedDbStore[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close().catch(() => undefined);
    for (const name of created.splice(0)) await deleteDatabase(name);
  });
  const fresh = (): string => {
    const name = `sy-browser-${Date.now()}-${next++}`;
    created.push(name);
    return name;
  };

  it("test_write_commitsEachGroupCommitInOneReadwriteTransaction", async () => {
    const counting = countingFactory();
    const store = await IndexedDbStore.open(fresh(), { indexedDB: counting.factory });
    open.push(store);
    const before = { tx: counting.readwrite(), stats: store.stats() };
    await Promise.all(Array.from({ length: 16 }, async (_, i) => store.create(await genesisOf(i))));
    const commits = store.stats().commits - before.stats.commits;
    expect(commits).to.be.greaterThan(0);
    expect(commits).to.be.lessThan(8);
    expect(counting.readwrite() - before.tx).to.equal(commits);
  });

  it("test_open_aNewerSdkUpgradingInAnotherTab_fencesThisStore_andItsSchemaIsRefusedAfter", async () => {
    const name = fresh();
    const store = await IndexedDbStore.open(name);
    open.push(store);
    await store.create(await genesisOf(1));
    // Another tab with a newer SDK upgrades the database (this store closes its connection on versionchange).
    await rawDatabase(name, INDEXEDDB_SCHEMA_VERSION + 1, () => undefined);
    await rejects(store.putResolution(channelAt(1), id("x"), "0x01"), StoreLockedError);
    const error = await rejects(IndexedDbStore.open(name, { locks: null }), SchemaVersionError);
    expect(error.found).to.equal(INDEXEDDB_SCHEMA_VERSION + 1);
  });

  it("test_open_withoutWebLocks_theNewestOpenerWrites_andTheOlderIsFenced", async () => {
    const name = fresh();
    const first = await IndexedDbStore.open(name, { locks: null });
    open.push(first);
    await first.create(await genesisOf(1));
    const second = await IndexedDbStore.open(name, { locks: null });
    open.push(second);
    await rejects(first.putResolution(channelAt(1), id("x"), "0x01"), StoreLockedError);
    await second.putResolution(channelAt(1), id("x"), "0x02");
    expect((await second.load(channelAt(1)))?.resolutions[id("x").toLowerCase()]).to.equal("0x02");
  });
});
