#!/usr/bin/env node
// `npm run mutation`: textual mutation testing of contracts/ (not contracts/test). Each mutant is one operator
// (scripts/mutation/operators.mjs) applied to one line, written into a scratch copy of the repo (node_modules
// symlinked, so the work tree is never touched) and judged in stages that stop at the first failing test: the first
// configured covering test file (or, with --coverage-map, the file that executes the mutated line most often:
// scripts/mutation/coverage.mjs), then the other covering files, then the whole Solidity suite and, for hashing
// files, the TypeScript parity test. A mutant is killed only by a failing test,
// survives only when every stage passed, and is invalid when it does not compile. One job at a time. Fuzz and
// invariant campaigns run reduced (SWITCHYARD_MUTATION=1, see hardhat.config.ts).
//
//   node scripts/mutation/run.mjs [--only <file>] [--limit N] [--sample N] [--timeout S] [--list] [--fresh]
//                                 [--plan narrow|covering] [--coverage-map] [--report-only] [--rerun-survivors]
//                                 [--measure N [--skip K]] [--check id,id]
//
// --sample N runs a deterministic sample of N mutants (ordered by the SHA-256 of their id), --limit N the first N
// in file order; the report states the population and the sample size. A campaign extends reports/mutation.json:
// a mutant judged there on the same line text is not run again (--fresh ignores it). The report is rewritten after
// every mutant, so a campaign cut off loses only the mutant in flight. --plan covering judges with the configured
// covering tests first (no coverage map), as the runner did before the map; --measure N judges the first N mutants
// of the sample with both plans and prints their wall-clock and CPU seconds, writing nothing.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { EQUIVALENT, PARITY_TEST, TARGETS } from "./config.mjs";
import { coverageMap, sourcesDigest, testsExecuting } from "./coverage.mjs";
import { KillHistory } from "./history.mjs";
import { mutationsOf } from "./operators.mjs";
import { writeReport } from "./report.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SCRATCH = join(tmpdir(), `switchyard-mutation-${createHash("sha256").update(ROOT).digest("hex").slice(0, 8)}`);
const COPIED = ["contracts", "test", "src", "hardhat.config.ts", "package.json", "tsconfig.json"];
/** Build outputs, copied only into a new scratch copy: an existing one keeps its own (built with SWITCHYARD_MUTATION). */
const SEEDED = ["artifacts", "cache"];

function parseArgs(argv) {
  const args = { only: null, limit: Infinity, sample: Infinity, timeout: 900, list: false, reportOnly: false };
  args.plan = "narrow";
  args.fresh = false;
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
    else if (a === "--fresh") args.fresh = true;
    else if (a === "--coverage-map") args.coverageMap = true;
    else if (a === "--plan") args.plan = argv[++i];
    else if (a === "--measure") args.measure = Number(argv[++i]);
    else if (a === "--skip") args.skip = Number(argv[++i]);
    else if (a === "--check") args.check = argv[++i].split(",");
    else throw new Error(`unknown argument ${a}`);
  }
  if (args.plan !== "narrow" && args.plan !== "covering") throw new Error(`--plan must be narrow or covering`);
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
  for (const entry of SEEDED) {
    const from = join(ROOT, entry);
    if (existsSync(from) && !existsSync(join(SCRATCH, entry))) cpSync(from, join(SCRATCH, entry), { recursive: true });
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

/** GNU time, when the machine has it: it reports the CPU seconds of a hardhat run and its children (solc). */
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
const CPU_FILE = join(SCRATCH, "cpu.txt");

/** CPU seconds (user + system) of the last run that TIME measured, or 0. */
function lastCpu() {
  if (!TIME || !existsSync(CPU_FILE)) return 0;
  const [user, system] = readFileSync(CPU_FILE, "utf8").trim().split("\n").pop().split(" ").map(Number);
  return Number.isFinite(user + system) ? user + system : 0;
}

/**
 * Runs hardhat in the scratch copy; resolves with its exit code (null on timeout), output and CPU seconds. Always
 * with --no-typechain: no Solidity test and not the parity test reads typechain-types (the parity test takes its
 * contracts from the artifacts), and generating the types after every mutant's build cost about 2.4 s CPU of each
 * hardhat run (measured: 15.0 s instead of 17.4 s CPU for one test file after a contract edit).
 */
function hardhat(args, timeoutSeconds) {
  rmSync(CPU_FILE, { force: true });
  const cli = [NODE, join(SCRATCH, "node_modules/hardhat/dist/src/cli.js"), "--no-typechain", ...args];
  const [command, ...argv] = TIME ? [TIME, "-q", "-f", "%U %S", "-o", CPU_FILE, ...cli] : cli;
  return new Promise((done) => {
    const child = spawn(command, argv, {
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
      done({ code: null, output, cpu: 0 });
    }, timeoutSeconds * 1000);
    child.on("error", (err) => {
      clearTimeout(timer);
      done({ code: -1, output: `${output}\nspawn failed: ${err.message}`, cpu: 0 });
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      done({ code, output, cpu: lastCpu() });
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

/**
 * The stages that judge a mutant, in order. Plan "narrow": one test file first, then the other covering files, so
 * that a mutant the first file kills compiles one test file instead of all of them: with a coverage map
 * (--coverage-map) the file that executes the mutated line most often, then the other files that execute it;
 * without one, or where no coverage lists the line, the first configured covering test, then the others. Plan
 * "covering": all configured covering tests at once. Every plan ends with the whole Solidity suite (and the parity
 * test for hashing files), so a survivor has passed everything either way.
 */
function stagesOf(m, plan, map, history) {
  const solidity = (name, files) => ({ name, args: ["test", "solidity", ...files] });
  const stages = [];
  const executing = plan === "narrow" && map ? testsExecuting(map, m.file, m.line) : [];
  const configured = history ? history.order(m.file, m.target.tests) : m.target.tests;
  const first = executing.length > 0 ? executing : plan === "narrow" ? configured : [];
  if (first.length > 0) {
    stages.push(solidity(`test ${first[0]}`, first.slice(0, 1)));
    if (first.length > 1) stages.push(solidity("other covering tests", first.slice(1)));
  } else stages.push(solidity("covering tests", m.target.tests));
  stages.push(solidity("whole Solidity suite", []));
  if (m.target.parity) stages.push({ name: "parity test", args: ["test", "mocha", PARITY_TEST] });
  return stages;
}

/** Judges one mutant: killed (by which test), survived, invalid (does not compile) or timeout; with CPU seconds. */
async function judge(m, timeout, plan, map, history) {
  let cpu = 0;
  const run = async (args) => {
    const r = await hardhat(args, timeout);
    cpu += r.cpu;
    return r;
  };
  const verdict = await (async () => {
    for (const stage of stagesOf(m, plan, map, history)) {
      let { code, output } = await run(stage.args);
      // A run that neither compiled-and-failed nor reported a test verdict (the toolchain itself failed) is retried
      // once, then reported as an error rather than counted as a kill.
      const noVerdict = (c, o) => c !== 0 && c !== null && !compileFailed(o) && !/\d+ failing/.test(o);
      if (noVerdict(code, output)) ({ code, output } = await run(stage.args));
      if (noVerdict(code, output)) return { status: "error", by: output.trim().split("\n").slice(-1)[0] ?? "" };
      if (code === null) return { status: "killed", by: `timeout (${stage.name})` };
      if (code === 0) continue;
      if (compileFailed(output)) return { status: "invalid", by: "does not compile" };
      return { status: "killed", by: firstFailure(output) ?? `exit ${code} (${stage.name})` };
    }
    return { status: "survived", by: "" };
  })();
  return { ...verdict, cpu: Math.round(cpu) };
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
async function judgeInScratch(m, timeout, plan = "covering", map = null, history = null) {
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
    verdict = await judge(m, timeout, plan, map, history);
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
  const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
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
    Object.assign(r, verdict, { rerun: true, rerunAt: head });
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

/** Results of reports/mutation.json still valid for `mutants` (same id and line text), by id; errors are re-run. */
function savedResults(mutants) {
  const path = join(ROOT, "reports/mutation.json");
  if (!existsSync(path)) return { byId: new Map(), meta: {} };
  const saved = JSON.parse(readFileSync(path, "utf8"));
  const current = new Map(mutants.map((m) => [m.id, m]));
  const byId = new Map();
  for (const r of saved.results) {
    const m = current.get(r.id);
    if (!m || r.status === "error" || m.original !== r.original || m.mutated !== r.mutated) continue;
    byId.set(r.id, { commit: saved.meta?.commit?.split(";")[0], ...r });
  }
  return { byId, meta: saved.meta ?? {} };
}

/** "abc1234 (60 mutants), def5678 (12 mutants)": the commits the results were judged at. */
function commitsOf(results) {
  const counts = new Map();
  for (const r of results) counts.set(r.commit ?? "unknown", (counts.get(r.commit ?? "unknown") ?? 0) + 1);
  if (counts.size === 1) return [...counts.keys()][0];
  return [...counts].map(([c, n]) => `${c} (${n} mutants)`).join(", ");
}

/** The whole unmutated Solidity suite must pass; a pass is remembered for the same sources. */
async function baseline(timeout) {
  const mark = join(SCRATCH, "mutation-baseline.txt");
  const digest = sourcesDigest(SCRATCH);
  if (existsSync(mark) && readFileSync(mark, "utf8").trim() === digest) return;
  console.log(`baseline: whole Solidity suite in ${SCRATCH}`);
  const base = await hardhat(["test", "solidity"], timeout);
  if (base.code !== 0) {
    console.error(base.output.slice(-4000));
    throw new Error("baseline failed: the unmutated suite must pass first");
  }
  writeFileSync(mark, `${digest}\n`);
}

/**
 * --measure N: the first N non-equivalent mutants judged with both plans, each from a freshly built tree; --skip K
 * measures from the (K+1)-th on.
 */
async function measure(mutants, args, map) {
  const picked = mutants.filter((m) => !equivalenceOf(m)).slice(args.skip ?? 0, (args.skip ?? 0) + args.measure);
  // The kill history of the saved results, without the measured mutants' own verdicts.
  const history = new KillHistory(SCRATCH);
  const ids = new Set(picked.map((m) => m.id));
  for (const r of savedResults(mutants).byId.values()) if (!ids.has(r.id)) history.add(r);
  const rows = [];
  for (const m of picked) {
    for (const plan of ["covering", "narrow"]) {
      await hardhat(["build"], args.timeout);
      const v = await judgeInScratch(m, args.timeout, plan, map, history);
      rows.push({ id: m.id, plan, status: v.status, seconds: v.seconds, cpu: v.cpu });
      console.log(`${m.id} plan ${plan}: ${v.status} ${v.by ?? ""} (${v.seconds}s wall, ${v.cpu}s CPU)`);
    }
  }
  for (const plan of ["covering", "narrow"]) {
    const mine = rows.filter((r) => r.plan === plan);
    const mean = (k) => (mine.reduce((a, r) => a + r[k], 0) / mine.length).toFixed(1);
    console.log(`plan ${plan}: ${mine.length} mutants, mean ${mean("seconds")}s wall, ${mean("cpu")}s CPU`);
  }
}

/**
 * --check id,id: judges the named mutants against the current tests and prints the verdicts, writing nothing (to
 * confirm that a new test kills a mutant the sample has not reached yet).
 */
async function check(mutants, args) {
  const byId = new Map(mutants.map((m) => [m.id, m]));
  for (const id of args.check) {
    const m = byId.get(id);
    if (!m) throw new Error(`no mutant ${id}`);
    const v = await judgeInScratch(m, args.timeout, args.plan, null, null);
    console.log(`${id} ${v.status} ${v.by ?? ""} (${v.seconds}s wall, ${v.cpu}s CPU, checked)`);
  }
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
  const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  const dirty = execFileSync("git", ["status", "--porcelain", "contracts", "test"], { cwd: ROOT, encoding: "utf8" });
  const commit = dirty.trim() === "" ? head : `${head} + uncommitted changes`;
  const map = args.coverageMap ? await coverageMap(SCRATCH, hardhat, { timeout: args.timeout }) : null;
  if (args.measure) return measure(mutants, args, map);
  if (args.check) return check(mutants, args);
  await baseline(args.timeout);
  const saved = args.fresh ? { byId: new Map(), meta: {} } : savedResults(mutants);
  // The minutes of the earlier runs whose results are kept count in the report's total.
  const started = Date.now() - (saved.byId.size > 0 ? (saved.meta.minutes ?? 0) * 60000 : 0);
  const results = [];
  // The covering tests of a file are tried in the order of their kills so far (the kept results' and this run's).
  const history = new KillHistory(SCRATCH);
  for (const r of saved.byId.values()) history.add(r);
  const report = (finished) =>
    writeReport(ROOT, {
      results,
      population,
      sampled: mutants.length,
      args,
      started,
      finished,
      commit: commitsOf(results),
    });
  for (const [i, m] of mutants.entries()) {
    const kept = saved.byId.get(m.id);
    if (kept) {
      const eq = kept.status === "survived" ? equivalenceOf(kept) : undefined;
      results.push(eq ? { ...kept, status: "equivalent", by: eq.reason } : kept);
      continue;
    }
    const eq = equivalenceOf(m);
    const verdict = eq
      ? { status: "equivalent", by: eq.reason }
      : await judgeInScratch(m, args.timeout, args.plan, map, history);
    results.push({ ...m, target: undefined, ...verdict, commit });
    history.add(results.at(-1));
    console.log(
      `[${i + 1}/${mutants.length}] ${m.id} ${verdict.status} ${verdict.by ?? ""} (${verdict.seconds ?? 0}s, ${verdict.cpu ?? 0}s CPU)`,
    );
    report(false);
  }
  report(true);
}

await main();
