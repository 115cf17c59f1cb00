#!/usr/bin/env node
// Reads the log of `hardhat test --coverage` and fails unless the Total row's line and statement coverage of
// contracts/ (test harnesses and mocks are skipped in hardhat.config.ts) are both at least the threshold.
import { readFileSync } from "node:fs";

const THRESHOLD = Number(process.env.SWITCHYARD_COVERAGE_MIN ?? 95);
const log = readFileSync(process.argv[2] ?? 0, "utf8").replace(/\u001b\[[0-9;]*m/g, "");
const total = log
  .split("\n")
  .map((line) => /Total\s*[│|]\s*([\d.]+)\s*[│|]\s*([\d.]+)/.exec(line))
  .filter((m) => m !== null)
  .pop();
if (!total) {
  console.error("coverage gate: no Total row in the coverage report");
  process.exit(1);
}
const [lines, statements] = [Number(total[1]), Number(total[2])];
console.log(`coverage of contracts/: lines ${lines}%, statements ${statements}% (minimum ${THRESHOLD}%)`);
if (lines < THRESHOLD || statements < THRESHOLD) {
  console.error("coverage gate failed");
  process.exit(1);
}
