/**
 * The browser-safe rooms never load Node.js code: from src/protocol/index.ts (and the browser-usable
 * channel and memory store), every import, followed transitively, stays in those files (and the wire's pure
 * message schemas and codes) and names no Node.js built-in and no package but ethers, hash-wasm and zod; in particular the native secp256k1 backend
 * (src/crypto/native.ts, a Node addon) is unreachable. src/index.ts is the Node entry that loads it.
 */
import { builtinModules } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";
import hre from "hardhat";

const SRC = path.join(hre.config.paths.root, "src");
/** zod: the message schemas the channel's boundary (src/channel/validate.ts) parses every message with. */
const BROWSER_PACKAGES = new Set(["ethers", "hash-wasm", "zod"]);
/**
 * The store contract and the memory store with the engine it shares with the SQL stores (no I/O, its unit
 * checks in unitInput.ts, the copy of a unit it keeps in unitCopy.ts), and the
 * wire's message schemas and error codes (pure: zod, ethers, the SDK's errors) that the channel validates with.
 */
const BROWSER_STORE_FILES = new Set([
  "stores/store.ts",
  "stores/memory.ts",
  "stores/nodeTables.ts",
  "stores/engine.ts",
  "stores/unitInput.ts",
  "stores/fold.ts",
  "stores/inflight.ts",
  "stores/unitCopy.ts",
  "wire/schemas.ts",
  "wire/codes.ts",
]);
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"|(?:^|\n)\s*import\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g;

/** Every source file reachable from `entry` and every package or built-in it names. */
function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const match of readFileSync(file, "utf8").matchAll(IMPORT)) {
      const spec = match[1] ?? match[2] ?? match[3] ?? "";
      if (spec.startsWith(".")) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, ".ts")));
      else packages.add(spec);
    }
  };
  visit(entry);
  return { files, packages };
}

describe("browser-safe entries (src/protocol, src/channel, src/stores/store.ts, src/stores/indexeddb, src/signers, src/routing/network)", () => {
  for (const entry of ["protocol/index.ts", "channel/channel.ts", "stores/store.ts", "stores/indexeddb/index.ts", "signers/index.ts", "routing/network/index.ts"]) {
    it(`test_${entry.replace(/[/.]/g, "_")}_importsNoNodeCodeAndNotTheNativeBackend`, () => {
      const { files, packages } = importGraph(path.join(SRC, entry));
      expect(files.size).to.be.above(1);
      for (const file of files) {
        const room = path.relative(SRC, file);
        const browserRoom = ["protocol/", "channel/", "stores/indexeddb/", "signers/", "routing/network/"].some((r) => room.startsWith(r));
        expect(browserRoom || BROWSER_STORE_FILES.has(room), room).to.equal(true);
      }
      expect([...files].map((f) => path.relative(SRC, f))).to.not.include("crypto/native.ts");
      for (const spec of packages) {
        expect(spec.startsWith("node:") || builtinModules.includes(spec), `${entry} reaches ${spec}`).to.equal(false);
        expect(BROWSER_PACKAGES.has(spec), `${entry} reaches the package ${spec}`).to.equal(true);
      }
    });
  }

  it("test_nodeEntry_reachesTheNativeBackend", () => {
    const { files, packages } = importGraph(path.join(SRC, "index.ts"));
    expect([...files].map((f) => path.relative(SRC, f))).to.include("crypto/native.ts");
    expect(packages.has("node:module")).to.equal(true);
  });
});
