/**
 * The headless-Chromium fixture of the browser tests (not a test file): finds Debian's `chromium` (or
 * $SWITCHYARD_CHROMIUM), drives it with playwright-core, serves pages from memory on 127.0.0.1 (a secure
 * context, so IndexedDB and Web Locks are there), and bundles page scripts with esbuild for the browser.
 *
 * Without Chromium a suite says plainly that it was skipped and why, unless SWITCHYARD_REQUIRE_BROWSER=1 (CI
 * sets it): then it fails, so a CI run can never pass without the browser tests.
 */
import { accessSync, constants } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

import { build, type Metafile, type Plugin } from "esbuild";
import hre from "hardhat";
import { chromium, type Browser, type Page } from "playwright-core";

export const ROOT = hre.config.paths.root;
export const REQUIRE_BROWSER = process.env.SWITCHYARD_REQUIRE_BROWSER === "1";

/** The Chromium executable: $SWITCHYARD_CHROMIUM, else `chromium` or `chromium-browser` on PATH. */
export function findChromium(): { path: string } | { why: string } {
  const explicit = process.env.SWITCHYARD_CHROMIUM;
  const candidates =
    explicit !== undefined && explicit !== ""
      ? [explicit]
      : (process.env.PATH ?? "")
          .split(path.delimiter)
          .filter((dir) => dir !== "")
          .flatMap((dir) => ["chromium", "chromium-browser"].map((name) => path.join(dir, name)));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return { path: candidate };
    } catch {
      // not this one
    }
  }
  return {
    why:
      explicit !== undefined && explicit !== ""
        ? `SWITCHYARD_CHROMIUM=${explicit} is not an executable`
        : "no `chromium` on PATH (install it: `apt-get install -y chromium`, or set SWITCHYARD_CHROMIUM)",
  };
}

/** Files a page server answers with, by path ("/index.html", "/bundle.js", …). */
export type PageFiles = Record<string, { body: string; type: string }>;

/** Serves `files` on 127.0.0.1, on a free port; `close()` stops it. */
export async function servePages(files: PageFiles): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const file = files[new URL(request.url ?? "/", "http://127.0.0.1").pathname];
    if (file === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": file.type, "cache-control": "no-store" }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Test pages import test fixtures that name Node.js modules for other tests (temporary directories): in a
 * test bundle those modules become empty stubs (a call of anything from them fails). The SDK's own browser
 * entry is bundled without this plugin, where any Node.js import fails the build.
 */
const stubNodeForTestPages: Plugin = {
  name: "stub-node-builtins-in-test-pages",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: "node-stub" }));
    // CommonJS with no exports: any named import is undefined (a call fails loudly), whatever the fixture names.
    b.onLoad({ filter: /.*/, namespace: "node-stub" }, () => ({ contents: "module.exports = {};", loader: "js" }));
  },
};

/** Bundles `entry` (relative to the repository) as one browser ES module. */
export async function bundleForBrowser(
  entry: string,
  options: { testPage?: boolean } = {},
): Promise<{ code: string; metafile: Metafile }> {
  const result = await build({
    entryPoints: [path.join(ROOT, entry)],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    write: false,
    metafile: true,
    sourcemap: "inline",
    logLevel: "silent",
    plugins: options.testPage === true ? [stubNodeForTestPages] : [],
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error(`esbuild wrote nothing for ${entry}`);
  return { code: output.text, metafile: result.metafile };
}

/** Launches headless Chromium, or says why it cannot. */
export async function launchChromium(): Promise<{ browser: Browser } | { skip: string }> {
  const found = findChromium();
  if ("why" in found) {
    if (REQUIRE_BROWSER)
      throw new Error(`SWITCHYARD_REQUIRE_BROWSER=1, but the browser tests cannot run: ${found.why}`);
    return { skip: found.why };
  }
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  const browser = await chromium.launch({ executablePath: found.path, headless: true, args: ["--no-sandbox"] });
  return { browser };
}

/** A suite's Chromium: launched before its tests (skipped with a plain message when missing), closed after. */
export interface SuiteBrowser {
  browser: Browser;
}

export function useChromium(suite: Mocha.Suite, what: string): SuiteBrowser {
  const holder = {} as SuiteBrowser;
  suite.beforeAll(async function () {
    this.timeout(120_000);
    const launched = await launchChromium();
    if ("skip" in launched) {
      console.log(`      ${what} SKIPPED: ${launched.skip}`);
      this.skip();
    }
    holder.browser = launched.browser;
    console.log(`      Chromium ${launched.browser.version()} (headless, playwright-core)`);
  });
  suite.afterAll(async function () {
    this.timeout(60_000);
    await holder.browser?.close();
  });
  return holder;
}

/** Forwards a page's console errors and uncaught exceptions to the test output. */
export function echoPageErrors(page: Page, label: string): void {
  page.on("pageerror", (error) => console.log(`      [${label}] page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") console.log(`      [${label}] console: ${message.text()}`);
  });
}
