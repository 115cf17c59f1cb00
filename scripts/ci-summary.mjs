#!/usr/bin/env node
// Reads a `hardhat test` log and prints one line, alone: `N passed, N failed`,
// the totals over the Solidity and Mocha runners. Exits non-zero when the log
// holds no summary or when no test ran, so a run that executed nothing fails.
import { readFileSync } from "node:fs";

const log = readFileSync(process.argv[2] ?? 0, "utf8").replace(/\u001b\[[0-9;]*m/g, "");
let passed = 0;
let failed = 0;
let found = false;
for (const line of log.split("\n")) {
  // Hardhat's combined summary: "12 passing (9 solidity, 3 mocha)" / "1 failing (1 mocha)".
  const pass = /^\s*(\d+) passing \((?:\d+ \w+(?:, )?)+\)\s*$/.exec(line);
  const fail = /^\s*(\d+) failing \((?:\d+ \w+(?:, )?)+\)\s*$/.exec(line);
  if (pass) {
    passed = Number(pass[1]);
    found = true;
  }
  if (fail) failed = Number(fail[1]);
}
console.log(`${passed} passed, ${failed} failed`);
if (!found || passed === 0 || failed > 0) process.exit(1);
