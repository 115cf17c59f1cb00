/**
 * The client is browser-safe: esbuild bundles `src/client/index.ts` for the browser (a Node.js built-in anywhere
 * in its module graph fails the build), and the same build of a module that imports one fails, so the check bites.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { build } from "esbuild";

import { ROOT } from "../node/harness.js";

async function bundle(entry: string): Promise<{ ok: boolean; text: string }> {
  try {
    const out = await build({ entryPoints: [entry], bundle: true, platform: "browser", format: "esm", write: false, logLevel: "silent" });
    return { ok: true, text: out.outputFiles[0]?.text ?? "" };
  } catch (error) {
    return { ok: false, text: String(error) };
  }
}

describe("client browser entry (src/client/index.ts)", function () {
  this.timeout(60_000);

  it("test_clientBundle_forTheBrowser_namesNoNodeBuiltin", async () => {
    const result = await bundle(path.join(ROOT, "src/client/index.ts"));
    expect(result.ok, result.text.slice(0, 2000)).to.equal(true);
    expect(result.text).to.contain("SwitchyardClient");
    expect(result.text).to.not.match(/from "node:/);
  });

  it("test_clientBundle_aNodeBuiltinFailsTheSameBuild", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "switchyard-client-browser-"));
    const entry = path.join(dir, "entry.ts");
    await writeFile(entry, `import { readFileSync } from "node:fs";\nexport * from ${JSON.stringify(path.join(ROOT, "src/client/index.ts"))};\nexport const x = readFileSync;\n`);
    expect((await bundle(entry)).ok).to.equal(false);
  });
});
