/**
 * Bundles the web wallet page (web/src/main.ts) for browsers with esbuild, in memory: one ES module and its
 * source map, plus web/index.html as is.
 *
 * Why esbuild and not Vite: the page is one entry with no CSS pipeline, no hot reload and no framework, and
 * the server that serves it must also relay the chain's JSON-RPC and the node's WebSocket; esbuild does the
 * only thing needed (TypeScript → one browser module, resolving the packages' "browser" fields) in about a
 * second through a plain function call, is already a development dependency (tsx and the browser tests use
 * it), and fails the build on any Node.js built-in in the page's module graph. Vite would bring its own dev
 * server and plugin layer (over esbuild and Rollup) that this page does not use.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";

import { build } from "esbuild";

export interface WebBundle {
  /** `/` (the page), `/wallet.js` (the bundle), `/wallet.js.map`. */
  files: Record<string, { body: string; type: string }>;
  /** The bundle's size in bytes. */
  bytes: number;
}

/** Bundles the page under `root` (the repository). Throws esbuild's error (naming file and line) on failure. */
export async function bundleWebWallet(root: string, options: { minify?: boolean } = {}): Promise<WebBundle> {
  const result = await build({
    entryPoints: [path.join(root, "web/src/main.ts")],
    outfile: path.join(root, "web/dist/wallet.js"),
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    write: false,
    sourcemap: "linked",
    minify: options.minify ?? false,
    logLevel: "silent",
  });
  const js = result.outputFiles.find((f) => f.path.endsWith("wallet.js"));
  const map = result.outputFiles.find((f) => f.path.endsWith("wallet.js.map"));
  if (js === undefined || map === undefined) throw new Error("esbuild wrote no web/dist/wallet.js");
  const html = await readFile(path.join(root, "web/index.html"), "utf8");
  return {
    files: {
      "/": { body: html, type: "text/html; charset=utf-8" },
      "/index.html": { body: html, type: "text/html; charset=utf-8" },
      "/wallet.js": { body: js.text, type: "text/javascript; charset=utf-8" },
      "/wallet.js.map": { body: map.text, type: "application/json" },
      "/favicon.ico": { body: "", type: "image/x-icon" },
    },
    bytes: js.contents.length,
  };
}
