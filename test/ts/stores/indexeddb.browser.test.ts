/**
 * The store conformance suite (conformance.ts), unchanged, over IndexedDbStore in a real headless Chromium:
 * test/browser/indexeddb.conformance.page.ts is bundled with esbuild for the browser and run by mocha inside
 * the page; every case the page ran becomes one test here ("[Chromium] SwitchyardStore conformance: …").
 * Without Chromium the suite says it was skipped and why (it fails instead when SWITCHYARD_REQUIRE_BROWSER=1).
 */
import { expect } from "chai";

import { useChromium } from "../browser/chromium.js";
import { addPageCases, runMochaInPage, type PageCase } from "../browser/mochaInPage.js";

describe("IndexedDbStore in Chromium (src/stores/indexeddb)", function () {
  const chrome = useChromium(this, "IndexedDB conformance run in Chromium");
  const suite = this;
  let cases: PageCase[] = [];

  before(async function () {
    this.timeout(600_000);
    cases = await runMochaInPage(chrome.browser, "test/browser/indexeddb.conformance.page.ts", "indexeddb conformance");
    addPageCases(suite, cases);
  });

  it("test_indexedDbStore_runsTheWholeConformanceSuiteInChromium", () => {
    const ran = cases.filter((c) => c.state !== "pending");
    expect(ran.length, "conformance cases run in the page").to.be.at.least(17);
    expect(cases.filter((c) => c.state === "failed").map((c) => c.title)).to.deep.equal([]);
    // Only the case no IndexedDB database can have (losing its newest write in isolation) may be pending.
    expect(cases.filter((c) => c.state === "pending").map((c) => c.title)).to.satisfy((titles: string[]) =>
      titles.every((t) => t.includes("newest write disappeared")),
    );
  });
});
