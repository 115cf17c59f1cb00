/**
 * IndexedDbStore (src/stores/indexeddb) outside a browser: Node.js has no IndexedDB, and the store says so
 * with a typed error instead of failing on a missing global. Everything else runs in Chromium
 * (indexeddb.browser.test.ts).
 */
import { expect } from "chai";

import { StoreUnavailableError } from "../../../src/protocol/errors.js";
import { IndexedDbStore, mapIdbError } from "../../../src/stores/indexeddb/index.js";
import { rejects } from "./conformance.js";

describe("IndexedDbStore without a browser (src/stores/indexeddb)", () => {
  it("test_open_inARuntimeWithoutIndexedDb_isStoreUnavailableError", async () => {
    const error = await rejects(IndexedDbStore.open("wallet"), StoreUnavailableError);
    expect(error.message).to.include("this runtime has no IndexedDB");
    expect(error.code).to.equal("STORE_UNAVAILABLE");
  });

  it("test_mapIdbError_typesWhatIndexedDbThrows_andPassesTheRestThrough", () => {
    const quota = mapIdbError("w", { name: "QuotaExceededError", message: "full" });
    expect(quota).to.be.instanceOf(StoreUnavailableError);
    expect(String(quota)).to.include("quota");
    for (const name of ["InvalidStateError", "TransactionInactiveError", "UnknownError", "AbortError"])
      expect(mapIdbError("w", { name, message: "x" }), name).to.be.instanceOf(StoreUnavailableError);
    const bug = new TypeError("a bug");
    expect(mapIdbError("w", bug)).to.equal(bug);
  });
});
