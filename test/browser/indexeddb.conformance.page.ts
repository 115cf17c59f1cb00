/**
 * Page script (bundled for Chromium by test/ts/stores/indexeddb.browser.test.ts, never loaded by Node's
 * mocha): the store conformance suite, unchanged, over IndexedDbStore on the page's real IndexedDB.
 * A location is a database name; a lost connection is the database deleted under the store (another tab,
 * or the user clearing site data); bad databases are planted with the raw IndexedDB API.
 */
import { IndexedDbStore, INDEXEDDB_SCHEMA_VERSION, OBJECT_STORES } from "../../src/stores/indexeddb/index.js";
import { describeConformance } from "../ts/stores/conformance.js";
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
