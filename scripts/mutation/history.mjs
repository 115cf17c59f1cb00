// Which test file killed the mutants of each contract file so far: the order in which scripts/mutation/run.mjs tries
// a mutant's covering tests (plan "narrow"), so that the first file alone, compiled and run by itself, is the one
// most likely to kill it. It only orders the work; every survivor still passes the whole Solidity suite.
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { solidityTestFiles } from "./coverage.mjs";

/** Test contract name → its test file, for every `contract X` declared in a Solidity test file under `root`. */
function contractFiles(root) {
  const out = new Map();
  for (const file of solidityTestFiles(root)) {
    for (const m of readFileSync(join(root, file), "utf8").matchAll(/^(?:abstract\s+)?contract\s+(\w+)/gm)) {
      out.set(m[1], file);
    }
  }
  return out;
}

/** Kill counts per (contract file, test file), fed with verdicts as they come. */
export class KillHistory {
  /** @param {string} root the repo copy whose test files name the killers */
  constructor(root) {
    this.files = contractFiles(root);
    this.counts = new Map();
  }

  /** Records a verdict `{ file, status, by }` ("by" is "TestContract#test()" for a kill by a failing test). */
  add(result) {
    if (result.status !== "killed") return;
    const test = this.files.get(String(result.by ?? "").split("#")[0]);
    if (!test) return;
    const perFile = this.counts.get(result.file) ?? new Map();
    perFile.set(test, (perFile.get(test) ?? 0) + 1);
    this.counts.set(result.file, perFile);
  }

  /** `tests` (the configured covering tests of `file`), the ones that killed most of its mutants first. */
  order(file, tests) {
    const perFile = this.counts.get(file) ?? new Map();
    const rank = (t) => perFile.get(t) ?? 0;
    return tests
      .map((t, i) => [t, i])
      .sort((a, b) => rank(b[0]) - rank(a[0]) || a[1] - b[1])
      .map(([t]) => t);
  }
}
