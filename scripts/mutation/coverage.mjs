// Which Solidity test files execute which contract line: the map that lets scripts/mutation/run.mjs judge a mutant
// with the few test files that can see it first, so that a mutant compiles one or two test files instead of every
// covering one (compilation with the solc WebAssembly build is most of a mutant's cost).
//
// It is built once per content of contracts/ and test/ (cached in the scratch copy), by running each test file
// alone with `hardhat test solidity --coverage <file>` and reading coverage/lcov.info. It only orders the work: a
// mutant is still "survived" only when the whole Solidity suite (and the parity test where it applies) passed.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

/** Every file under `dir` (recursively), sorted, as paths relative to `root`. */
function filesUnder(root, dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(root, path));
    }
  };
  walk(join(root, dir));
  return out;
}

/** Every Solidity test file (`*.t.sol`) of the repo copy at `root`. */
export function solidityTestFiles(root) {
  return filesUnder(root, "test/solidity").filter((f) => f.endsWith(".t.sol"));
}

/** SHA-256 over the paths and contents of contracts/ and test/solidity/: the map is valid for exactly these. */
export function sourcesDigest(root) {
  const h = createHash("sha256");
  for (const f of [...filesUnder(root, "contracts"), ...filesUnder(root, "test/solidity")]) {
    h.update(f)
      .update("\0")
      .update(readFileSync(join(root, f)))
      .update("\0");
  }
  return h.digest("hex");
}

/** Parses lcov text into { "<file>": { "<line>": hits } }, keeping executed lines only. */
export function parseLcov(text) {
  const out = {};
  let file = null;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("SF:")) file = line.slice(3);
    else if (line.startsWith("DA:") && file) {
      const [n, hits] = line.slice(3).split(",").map(Number);
      if (hits > 0) {
        out[file] ??= {};
        out[file][n] = (out[file][n] ?? 0) + hits;
      }
    } else if (line === "end_of_record") file = null;
  }
  return out;
}

/**
 * The coverage map of the scratch copy at `root`: { digest, byTest: { "<test file>": { "<file>": { line: hits } } } }.
 * `hardhat(args, timeoutSeconds)` runs hardhat there (the runner's function). A test file whose coverage run fails is
 * recorded as covering nothing known (it is still run by the later stages).
 */
export async function coverageMap(root, hardhat, { timeout, log = console.log }) {
  const path = join(root, "mutation-coverage.json");
  const digest = sourcesDigest(root);
  if (existsSync(path)) {
    const saved = JSON.parse(readFileSync(path, "utf8"));
    if (saved.digest === digest) return saved;
  }
  const byTest = {};
  const failed = [];
  for (const test of solidityTestFiles(root)) {
    const t0 = Date.now();
    const { code } = await hardhat(["test", "solidity", "--coverage", test], timeout);
    const lcov = join(root, "coverage/lcov.info");
    if (code === 0 && existsSync(lcov)) byTest[test] = parseLcov(readFileSync(lcov, "utf8"));
    else failed.push(test);
    log(
      `coverage of ${test}: ${code === 0 ? "ok" : `failed (exit ${code})`} (${Math.round((Date.now() - t0) / 1000)}s)`,
    );
  }
  const map = { digest, byTest, failed };
  writeFileSync(path, `${JSON.stringify(map)}\n`);
  return map;
}

/**
 * The test files that execute `line` of `file`, the one that runs it most often first (ties by name, so the order
 * is deterministic). Empty when no test file's coverage lists the line (a declaration, a constant, an assembly
 * line the instrumentation does not see): the runner then falls back to the configured covering tests.
 */
export function testsExecuting(map, file, line) {
  const hits = [];
  for (const [test, files] of Object.entries(map.byTest)) {
    const n = files[file]?.[line] ?? 0;
    if (n > 0) hits.push([test, n]);
  }
  hits.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return hits.map(([test]) => test);
}
