#!/usr/bin/env node
// `npm run mutation`: textual mutation testing of contracts/ (not contracts/test). Each mutant is one operator
// (scripts/mutation/operators.mjs) applied to one line, written into a scratch copy of the repo (node_modules
// symlinked, so the work tree is never touched) and judged by the Solidity tests that cover the file, then, if it
// survived those, by the whole Solidity suite and, for hashing files, the TypeScript parity test. One job at a
// time. Fuzz and invariant campaigns run reduced (SWITCHYARD_MUTATION=1, see hardhat.config.ts).
//
//   node scripts/mutation/run.mjs [--only <file>] [--limit N] [--sample N] [--timeout S] [--list]
//
// --sample N runs a deterministic sample of N mutants (ordered by the SHA-256 of their id), --limit N the first N
// in file order; the report states the population and the sample size.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { EQUIVALENT, PARITY_TEST, TARGETS } from "./config.mjs";
import { mutationsOf } from "./operators.mjs";
import { writeReport } from "./report.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SCRATCH = join(tmpdir(), `switchyard-mutation-${createHash("sha256").update(ROOT).digest("hex").slice(0, 8)}`);
const COPIED = ["contracts", "test", "src", "hardhat.config.ts", "package.json", "tsconfig.json", "artifacts", "cache"];

function parseArgs(argv) {
  const args = { only: null, limit: Infinity, sample: Infinity, timeout: 900, list: false, reportOnly: false };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === "--only") args.only = argv[++i];
    else if (a === "--limit") args.limit = Number(argv[++i]);
    else if (a === "--sample") args.sample = Number(argv[++i]);
    else if (a === "--timeout") args.timeout = Number(argv[++i]);
    else if (a === "--list") args.list = true;
    else if (a === "--report-only") args.reportOnly = true;
    else if (a === "--rerun-survivors") args.rerunSurvivors = true;
    else if (a === "--commit") args.commit = argv[++i];
    else if (a === "--minutes") args.minutes = Number(argv[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

/** Every mutant of the selected targets, with a stable id. */
function allMutants(only) {
  const out = [];
  for (const target of TARGETS) {
    if (only && !target.file.endsWith(only)) continue;
    const source = readFileSync(join(ROOT, target.file), "utf8");
    const seen = new Map();
    for (const m of mutationsOf(source, { hashing: target.hashing })) {
      const key = `${target.file}:${m.line}:${m.operator}`;
      const k = (seen.get(key) ?? 0) + 1;
      seen.set(key, k);
      out.push({ ...m, id: `${key}#${k}`, file: target.file, target });
    }
  }
  return out;
}

function equivalenceOf(m) {
  return EQUIVALENT.find(
    (e) =>
      e.file === m.file &&
      e.operator === m.operator &&
      e.original === m.original.trim() &&
      e.mutated === m.mutated.trim(),
  );
}

function prepareScratch() {
  mkdirSync(SCRATCH, { recursive: true });
  for (const entry of COPIED) {
    const from = join(ROOT, entry);
    if (!existsSync(from)) continue;
    rmSync(join(SCRATCH, entry), { recursive: true, force: true });
    cpSync(from, join(SCRATCH, entry), { recursive: true });
  }
  if (!existsSync(join(SCRATCH, "node_modules")))
    symlinkSync(join(ROOT, "node_modules"), join(SCRATCH, "node_modules"));
  // A private copy of this Node binary: a shared install replaced mid-campaign must not fail mutants.
  copyFileSync(process.execPath, NODE);
}

const NODE = join(SCRATCH, "node");

/** The running hardhat child and the file to restore, so that an interrupted campaign leaves nothing behind. */
const current = { pid: null, restore: null };
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (current.pid) {
      try {
        process.kill(-current.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    if (current.restore) writeFileSync(current.restore.path, current.restore.text);
    process.exit(130);
  });
}

/** Runs hardhat in the scratch copy; resolves with its exit code (null on timeout) and output. */
function hardhat(args, timeoutSeconds) {
  return new Promise((done) => {
    const child = spawn(NODE, [join(SCRATCH, "node_modules/hardhat/dist/src/cli.js"), ...args], {
      cwd: SCRATCH,
      env: { ...process.env, SWITCHYARD_MUTATION: "1", FORCE_COLOR: "0", NO_COLOR: "1" },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    current.pid = child.pid;
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
      done({ code: null, output });
    }, timeoutSeconds * 1000);
    child.on("error", (err) => {
      clearTimeout(timer);
      done({ code: -1, output: `${output}\nspawn failed: ${err.message}` });
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

function firstFailure(output) {
  const failing = output.indexOf(" failing");
  const text = failing === -1 ? output : output.slice(failing);
  const m = text.match(/^\s+1\) (.+)$/m);
  if (!m) return null;
  // mocha prints "1) describe\n   it" for TS tests; keep the first line, and the next one when it is the title.
  return m[1].trim();
}

function compileFailed(output) {
  return (
    !/\d+ passing/.test(output) && /(Compilation failed|ParserError|TypeError|DeclarationError|HHE\d+)/.test(output)
  );
}

/** Judges one mutant: killed (by which test), survived, invalid (does not compile) or timeout. */
async function judge(m, timeout) {
  const stages = [{ name: "covering tests", args: ["test", "solidity", ...m.target.tests] }];
  stages.push({ name: "whole Solidity suite", args: ["test", "solidity"] });
  if (m.target.parity) stages.push({ name: "parity test", args: ["test", "mocha", PARITY_TEST] });
  for (const stage of stages) {
    let { code, output } = await hardhat(stage.args, timeout);
    // A run that neither compiled-and-failed nor reported a test verdict (the toolchain itself failed) is retried
    // once, then reported as an error rather than counted as a kill.
    const noVerdict = (c, o) => c !== 0 && c !== null && !compileFailed(o) && !/\d+ failing/.test(o);
    if (noVerdict(code, output)) ({ code, output } = await hardhat(stage.args, timeout));
    if (noVerdict(code, output)) return { status: "error", by: output.trim().split("\n").slice(-1)[0] ?? "" };
    if (code === null) return { status: "killed", by: `timeout (${stage.name})` };
    if (code === 0) continue;
    if (compileFailed(output)) return { status: "invalid", by: "does not compile" };
    return { status: "killed", by: firstFailure(output) ?? `exit ${code} (${stage.name})` };
  }
  return { status: "survived", by: "" };
}

/**
 * --report-only: rewrites reports/mutation.md from reports/mutation.json with the current EQUIVALENT list and
 * survivor notes (a survivor recognized as equivalent after the campaign is reported as such, with its reason).
 */
function reportOnly(cli) {
  const saved = JSON.parse(readFileSync(join(ROOT, "reports/mutation.json"), "utf8"));
  const results = saved.results.map((r) => {
    const eq = r.status === "survived" ? equivalenceOf(r) : undefined;
    return eq ? { ...r, status: "equivalent", by: eq.reason } : r;
  });
  const meta = saved.meta ?? {};
  const args = meta.args ?? { sample: saved.sampled, limit: null, only: null };
  if (args.limit === null) args.limit = Infinity;
  writeReport(ROOT, {
    results,
    population: saved.population,
    sampled: saved.sampled,
    args,
    started: meta.started ?? Date.now(),
    finished: meta.finished ?? false,
    stopped: !(meta.finished ?? false),
    commit: cli.commit ?? meta.commit ?? "unknown",
    minutes: cli.minutes ?? meta.minutes,
  });
}

/** Applies one mutant to the scratch copy, judges it and restores the file. */
async function judgeInScratch(m, timeout) {
  const path = join(SCRATCH, m.file);
  const original = readFileSync(path, "utf8");
  const lines = original.split("\n");
  if (lines[m.line - 1] !== m.original) return { status: "error", by: "the line moved since the campaign" };
  lines[m.line - 1] = m.mutated;
  current.restore = { path, text: original };
  writeFileSync(path, lines.join("\n"));
  const t0 = Date.now();
  let verdict;
  try {
    verdict = await judge(m, timeout);
  } finally {
    writeFileSync(path, original);
    current.restore = null;
  }
  verdict.seconds = Math.round((Date.now() - t0) / 1000);
  return verdict;
}

/**
 * --rerun-survivors: judges again, against the current tests, every mutant reports/mutation.json lists as
 * survived (after tests were added to kill them), and rewrites the report with the new verdicts.
 */
async function rerunSurvivors(args) {
  const saved = JSON.parse(readFileSync(join(ROOT, "reports/mutation.json"), "utf8"));
  prepareScratch();
  const byFile = new Map(TARGETS.map((t) => [t.file, t]));
  for (const r of saved.results) {
    if (r.status !== "survived") continue;
    const eq = equivalenceOf(r);
    if (eq) {
      Object.assign(r, { status: "equivalent", by: eq.reason });
      continue;
    }
    const verdict = await judgeInScratch({ ...r, target: byFile.get(r.file) }, args.timeout);
    console.log(`${r.id} ${verdict.status} ${verdict.by ?? ""} (${verdict.seconds ?? 0}s, re-run)`);
    Object.assign(r, verdict, { rerun: true });
  }
  const meta = saved.meta ?? {};
  writeReport(ROOT, {
    results: saved.results,
    population: saved.population,
    sampled: saved.sampled,
    args: meta.args ?? { sample: saved.sampled, limit: Infinity, only: null },
    started: meta.started ?? Date.now(),
    finished: meta.finished ?? false,
    stopped: !(meta.finished ?? false),
    commit: `${args.commit ?? meta.commit ?? "unknown"}; survivors re-run on the current tests`,
    minutes: args.minutes ?? meta.minutes,
  });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.reportOnly) return reportOnly(args);
  if (args.rerunSurvivors) return rerunSurvivors(args);
  let mutants = allMutants(args.only);
  const population = mutants.length;
  if (Number.isFinite(args.sample)) {
    const h = (m) => createHash("sha256").update(m.id).digest("hex");
    // Run in hash order, so that a campaign stopped early is still a deterministic sample (its first k).
    mutants = [...mutants].sort((a, b) => (h(a) < h(b) ? -1 : 1)).slice(0, args.sample);
  }
  mutants = mutants.slice(0, args.limit);
  if (args.list) {
    for (const m of mutants) console.log(`${m.id}\t${m.mutated.trim() || "(deleted)"}`);
    console.log(`${mutants.length} of ${population}`);
    return;
  }
  prepareScratch();
  const started = Date.now();
  const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  const dirty = execFileSync("git", ["status", "--porcelain", "contracts", "test"], { cwd: ROOT, encoding: "utf8" });
  const commit = dirty.trim() === "" ? head : `${head} + uncommitted changes`;
  console.log(`baseline: whole Solidity suite in ${SCRATCH}`);
  const base = await hardhat(["test", "solidity"], args.timeout);
  if (base.code !== 0) {
    console.error(base.output.slice(-4000));
    throw new Error("baseline failed: the unmutated suite must pass first");
  }
  const results = [];
  for (const [i, m] of mutants.entries()) {
    const eq = equivalenceOf(m);
    let verdict;
    if (eq) verdict = { status: "equivalent", by: eq.reason };
    else {
      const path = join(SCRATCH, m.file);
      const original = readFileSync(path, "utf8");
      const lines = original.split("\n");
      lines[m.line - 1] = m.mutated;
      current.restore = { path, text: original };
      writeFileSync(path, lines.join("\n"));
      const t0 = Date.now();
      try {
        verdict = await judge(m, args.timeout);
      } finally {
        writeFileSync(path, original);
        current.restore = null;
      }
      verdict.seconds = Math.round((Date.now() - t0) / 1000);
    }
    results.push({ ...m, target: undefined, ...verdict });
    console.log(
      `[${i + 1}/${mutants.length}] ${m.id} ${verdict.status} ${verdict.by ?? ""} (${verdict.seconds ?? 0}s)`,
    );
    writeReport(ROOT, { results, population, sampled: mutants.length, args, started, finished: false, commit });
  }
  writeReport(ROOT, { results, population, sampled: mutants.length, args, started, finished: true, commit });
}

await main();
