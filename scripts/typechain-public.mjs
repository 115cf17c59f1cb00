// Leaves the test contracts (contracts/test: harnesses and mocks) out of the published typed bindings.
// TypeChain has no filter, so after `tsc -p tsconfig.build.json` this removes dist/typechain-types/test and
// dist/typechain-types/factories/test and the lines of the barrel files (index.js / index.d.ts) that re-export
// them, then fails if any file left still refers to a test contract. Run by `npm run build`.
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";

const root = path.resolve(process.argv[2] ?? "dist/typechain-types");
const TEST_DIRS = [path.join(root, "test"), path.join(root, "factories", "test")];
/** A re-export of a test contract, or of the `test` namespace itself. */
const TEST_LINE = /from ['"]\.\/(?:factories\/)?test\/|^export type \{ test \};$/;
/** Any module specifier that reaches into a test folder. */
const TEST_SPECIFIER = /from ['"](?:\.\.?\/)+(?:factories\/)?test\/|import\(['"](?:\.\.?\/)+(?:factories\/)?test\//;

async function files(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await files(full)));
    else if (/\.(js|d\.ts)$/.test(entry.name)) out.push(full);
  }
  return out;
}

for (const dir of TEST_DIRS) await rm(dir, { recursive: true, force: true });
let removed = 0;
for (const file of await files(root)) {
  const text = await readFile(file, "utf8");
  const lines = text.split("\n");
  const kept = lines.filter((line) => !TEST_LINE.test(line.trim()));
  if (kept.length !== lines.length) {
    removed += lines.length - kept.length;
    await writeFile(file, kept.join("\n"));
  }
  const left = kept.find((line) => TEST_SPECIFIER.test(line));
  if (left !== undefined) throw new Error(`${file} still refers to a test contract: ${left.trim()}`);
}
console.log(
  `typechain-public: removed the test contracts' bindings (${removed} re-export lines) from ${path.relative(process.cwd(), root)}`,
);
