/**
 * The browser entry (src/browser.ts, package exports "./browser" and the "browser" condition of "."):
 * - esbuild bundles it for `platform: "browser"` with no Node.js built-in in its module graph (and the same
 *   check fails on the Node.js entry, so the check bites);
 * - the bundle loads in headless Chromium and works as a dApp uses it: a wallet injected into the page
 *   (`window.ethereum`, answered by the embedded Hardhat network's own EIP-1193 provider, as an extension
 *   answers from its background process) signs channel updates through Eip1193Signer, byte-identical to the
 *   SDK's local signing, and bob's channel is kept in the page's IndexedDB across a reopen;
 * - a wallet that signs with another key or answers garbage gives SignatureError in the page;
 * - two tabs of one site: the second cannot open a store the first has open (StoreLockedError) unless it
 *   takes it over, and then the first tab's writes fail with StoreLockedError.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";
import { network } from "hardhat";
import { HDNodeWallet, Mnemonic } from "ethers";
import type { BrowserContext, Page } from "playwright-core";

import { decodeJson, type SignedState } from "../../../src/protocol/record.js";
import { privateKeySigner, type Eip1193Provider } from "../../../src/protocol/signing.js";
import { MemoryStore } from "../../../src/stores/memory.js";
import { walletRun } from "../../browser/walletRun.js";
import type { EntryPage } from "../../browser/entry.page.js";
import { ROOT, bundleForBrowser, echoPageErrors, servePages, useChromium } from "./chromium.js";

const FORBIDDEN = [
  "src/stores/file.ts",
  "src/stores/sqlite/index.ts",
  "src/stores/postgres/index.ts",
  "src/crypto/native.ts",
  "src/crypto/index.ts",
];

const connection = await network.create();
const edr = connection.provider as Eip1193Provider;
const chainId = (await connection.ethers.provider.getNetwork()).chainId;
const key = (i: number): string =>
  HDNodeWallet.fromMnemonic(
    Mnemonic.fromPhrase("test test test test test test test test test test test junk"),
    `m/44'/60'/0'/0/${i}`,
  ).privateKey;

describe("the browser entry (src/browser.ts)", () => {
  it("test_browserEntry_bundlesForTheBrowser_withNoNodeBuiltinInItsGraph", async function () {
    this.timeout(120_000);
    const { metafile } = await bundleForBrowser("src/browser.ts");
    const inputs = Object.keys(metafile.inputs);
    const imports = Object.values(metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
    expect(
      imports.filter((p) => p.startsWith("node:")),
      "node: imports",
    ).to.deep.equal([]);
    for (const file of FORBIDDEN) expect(inputs, file).to.not.include(file);
    for (const file of [
      "src/stores/indexeddb/index.ts",
      "src/signers/eip1193.ts",
      "src/channel/channel.ts",
      "src/wire/client.ts",
    ])
      expect(inputs, file).to.include(file);
  });

  it("test_nodeEntry_failsTheSameCheck", async function () {
    this.timeout(120_000);
    const error = await bundleForBrowser("src/index.ts").then(
      () => undefined,
      (e: unknown) => e as { errors?: Array<{ text: string }> },
    );
    expect(error?.errors?.map((e) => e.text).join("\n")).to.match(/node:/);
  });

  it("test_packageJson_exportsTheBrowserEntry_sideEffectFree", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      sideEffects?: unknown;
      exports: Record<string, Record<string, string> | string>;
    };
    expect(pkg.sideEffects).to.equal(false);
    const browser = { types: "./dist/src/browser.d.ts", default: "./dist/src/browser.js" };
    expect(pkg.exports["./browser"]).to.deep.equal(browser);
    const main = pkg.exports["."] as Record<string, string>;
    expect(main.browser).to.equal(browser.default);
    expect(Object.keys(main).indexOf("browser")).to.be.lessThan(Object.keys(main).indexOf("default"));
    expect(pkg.exports["./stores/indexeddb"]).to.deep.equal({
      types: "./dist/src/stores/indexeddb/index.d.ts",
      default: "./dist/src/stores/indexeddb/index.js",
    });
    expect(pkg.exports["./signers"]).to.deep.equal({
      types: "./dist/src/signers/index.d.ts",
      default: "./dist/src/signers/index.js",
    });
  });

  describe("in Chromium", function () {
    const chrome = useChromium(this, "browser-entry run in Chromium");
    let server: { url: string; close(): Promise<void> };
    let context: BrowserContext;
    /** How the injected wallet answers eth_signTypedData_v4: honestly, with another account's key, or garbage. */
    let mode: "honest" | "other-key" | "garbage" = "honest";

    before(async function () {
      this.timeout(120_000);
      const { code } = await bundleForBrowser("test/browser/entry.page.ts");
      server = await servePages({
        "/": {
          type: "text/html",
          body: `<!doctype html><meta charset="utf-8"><script type="module" src="/entry.js"></script>`,
        },
        "/favicon.ico": { type: "image/x-icon", body: "" },
        "/entry.js": { type: "text/javascript", body: `${code}\nwindow.__entryLoaded = true;` },
      });
      context = await chrome.browser.newContext();
      // The wallet's background: answers the page's requests from the embedded network's provider.
      await context.exposeFunction("__switchyardWallet", async (method: string, params: string): Promise<string> => {
        let args = JSON.parse(params) as unknown[];
        if (method === "eth_signTypedData_v4" && mode === "garbage") return JSON.stringify({ result: "0x1234" });
        if (method === "eth_signTypedData_v4" && mode === "other-key")
          args = [privateKeySigner(key(1)).address.toLowerCase(), args[1]];
        try {
          return JSON.stringify({ result: await edr.request({ method, params: args }) });
        } catch (error) {
          const e = error as { code?: number; message?: string };
          return JSON.stringify({ error: { code: e.code ?? -32603, message: e.message ?? String(error) } });
        }
      });
      // The extension's content script: an EIP-1193 provider at window.ethereum (a string: the page runs it as is).
      await context.addInitScript({
        content: `window.ethereum = {
          async request({ method, params }) {
            const answer = JSON.parse(await window.__switchyardWallet(method, JSON.stringify(params ?? [])));
            if (answer.error !== undefined) throw Object.assign(new Error(answer.error.message), { code: answer.error.code });
            return answer.result;
          },
        };`,
      });
    });

    after(async () => {
      await context?.close();
      await server?.close();
    });

    async function openPage(label: string): Promise<Page> {
      const page = await context.newPage();
      echoPageErrors(page, label);
      await page.goto(server.url);
      await page.waitForFunction(() => (globalThis as { __entryLoaded?: boolean }).__entryLoaded === true);
      return page;
    }

    const call = <K extends keyof EntryPage>(page: Page, name: K, ...args: Parameters<EntryPage[K]>) =>
      page.evaluate(
        ([n, a]) =>
          (
            (globalThis as unknown as { switchyardPage: Record<string, (...x: unknown[]) => unknown> }).switchyardPage[
              n
            ] as (...x: unknown[]) => unknown
          )(...a),
        [name, args] as [string, unknown[]],
      ) as Promise<Awaited<ReturnType<EntryPage[K]>>>;

    it("test_browserEntry_signsThroughAnInjectedWallet_byteIdenticalToTheSdk_andKeepsTheChannelInIndexedDb", async function () {
      this.timeout(120_000);
      mode = "honest";
      const page = await openPage("wallet");
      const json = await call(page, "walletRun", chainId.toString(), "wallet-run");
      const fromPage = decodeJson<{ latest: SignedState; stored: SignedState; bob: string }>(json);
      const reference = await walletRun(chainId, privateKeySigner(key(0)), {
        alice: new MemoryStore(),
        bob: new MemoryStore(),
      });
      expect(fromPage.bob).to.equal(privateKeySigner(key(0)).address);
      expect(fromPage.latest).to.deep.equal(reference);
      expect(fromPage.stored).to.deep.equal(reference);
      await page.close();
    });

    it("test_injectedWallet_signingWithAnotherKeyOrGarbage_givesSignatureErrorInThePage", async function () {
      this.timeout(120_000);
      const page = await openPage("bad wallet");
      for (const bad of ["other-key", "garbage"] as const) {
        mode = bad;
        const result = await call(page, "signOnce", chainId.toString());
        expect(result, bad).to.have.property("error");
        const error = (result as { error: { name: string; code?: string; message: string } }).error;
        expect(error.name, error.message).to.equal("SignatureError");
        expect(error.code).to.equal("SIGNATURE");
        expect(error.message).to.match(bad === "other-key" ? /another key/ : /not a 65-byte signature/);
      }
      mode = "honest";
      expect(await call(page, "signOnce", chainId.toString())).to.deep.equal({ ok: true });
      await page.close();
    });

    it("test_indexedDbStore_twoTabs_secondIsRefused_andATakeOverFencesTheFirst", async function () {
      this.timeout(120_000);
      const first = await openPage("tab 1");
      const second = await openPage("tab 2");
      expect(await call(first, "open", "two-tabs", false)).to.deep.equal({ ok: true });
      expect(await call(first, "write", "two-tabs", "m1")).to.deep.equal({ ok: true });
      const refused = await call(second, "open", "two-tabs", false);
      expect((refused as { error: { code: string } }).error.code).to.equal("STORE_LOCKED");
      expect(await call(second, "open", "two-tabs", true)).to.deep.equal({ ok: true });
      const fenced = await call(first, "write", "two-tabs", "m2");
      expect((fenced as { error: { name: string; code: string } }).error).to.include({
        name: "StoreLockedError",
        code: "STORE_LOCKED",
      });
      expect(await call(second, "write", "two-tabs", "m3")).to.deep.equal({ ok: true });
      expect(await call(second, "outbox", "two-tabs")).to.deep.equal(["m1", "m3"]);
      await first.close();
      await second.close();
    });
  });
});
