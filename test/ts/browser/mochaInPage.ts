/**
 * Runs a mocha suite inside a Chromium page (not a test file): the page loads mocha's browser build, then a
 * bundle whose `describe`/`it` calls register the suite (say, the store conformance suite over IndexedDB);
 * the page runs it and reports every case (passed, failed with its message and stack, pending), and each one
 * becomes a mocha test of the Node.js run, so `npm test` lists the browser's cases one by one.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

import Mocha from "mocha";
import type { Browser, Page } from "playwright-core";

import { bundleForBrowser, echoPageErrors, servePages } from "./chromium.js";

const require = createRequire(import.meta.url);

/** One case as the page's mocha reported it. */
export interface PageCase {
  title: string;
  state: "passed" | "failed" | "pending";
  message?: string;
  stack?: string;
}

/** The page's reporter: collects every case into `__mochaCases` (a page has no console worth reading). */
const REPORTER = `
  window.__mochaCases = [];
  function CollectingReporter(runner) {
    runner.on("pass", (t) => window.__mochaCases.push({ title: t.fullTitle(), state: "passed" }));
    runner.on("pending", (t) => window.__mochaCases.push({ title: t.fullTitle(), state: "pending" }));
    runner.on("fail", (t, err) => window.__mochaCases.push({
      title: t.fullTitle(), state: "failed",
      message: String(err && err.message), stack: String(err && err.stack),
    }));
  }
  mocha.setup({ ui: "bdd", timeout: 120000, reporter: CollectingReporter, checkLeaks: false });
`;

/** Bundles `entry` (a page script that registers suites) and runs it in a new page of `browser`. */
export async function runMochaInPage(browser: Browser, entry: string, label: string): Promise<PageCase[]> {
  const { code } = await bundleForBrowser(entry, { testPage: true });
  const mochaJs = readFileSync(require.resolve("mocha/mocha.js"), "utf8");
  const server = await servePages({
    "/": {
      type: "text/html",
      body: `<!doctype html><meta charset="utf-8"><title>${label}</title>
        <script src="/mocha.js"></script><script>${REPORTER}</script>
        <script type="module" src="/suite.js"></script>`,
    },
    "/favicon.ico": { type: "image/x-icon", body: "" },
    "/mocha.js": { type: "text/javascript", body: mochaJs },
    "/suite.js": { type: "text/javascript", body: `${code}\nwindow.__suiteLoaded = true;` },
  });
  const context = await browser.newContext();
  try {
    const page: Page = await context.newPage();
    echoPageErrors(page, label);
    await page.goto(server.url);
    await page.waitForFunction(() => (globalThis as { __suiteLoaded?: boolean }).__suiteLoaded === true, undefined, {
      timeout: 60_000,
    });
    return await page.evaluate(
      () =>
        new Promise<PageCase[]>((resolve) => {
          const g = globalThis as unknown as { mocha: { run(done: () => void): void }; __mochaCases: PageCase[] };
          g.mocha.run(() => resolve(g.__mochaCases));
        }),
    );
  } finally {
    await context.close();
    await server.close();
  }
}

/** Adds one mocha test to `suite` per case the page ran: passes, fails with the page's error, or is pending. */
export function addPageCases(suite: Mocha.Suite, cases: readonly PageCase[]): void {
  for (const c of cases) {
    suite.addTest(
      new Mocha.Test(`[Chromium] ${c.title}`, function (this: Mocha.Context) {
        if (c.state === "pending") this.skip();
        if (c.state === "failed") {
          const error = new Error(`in Chromium: ${c.message ?? "failed"}`);
          error.stack = `${error.message}\n${c.stack ?? ""}`;
          throw error;
        }
      }),
    );
  }
}
