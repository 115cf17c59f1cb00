/**
 * The load run's result and its Markdown report (reports/load.md). Every figure comes from the run; the soak's
 * section sits between two markers so a load run without a soak keeps the one an earlier soak wrote (and a soak
 * replaces it), and the report is produced whole by one command.
 */
import { formatEther } from "ethers";

import type { LoadOptions } from "./args.js";
import { type Breakdown, renderBreakdown } from "./breakdown.js";
import type { SignatureFloor } from "./floor.js";
import type { Machine } from "./probe.js";
import type { GeneratorDelay } from "./runner.js";
import type { SoakResult } from "./soak.js";
import type { Percentiles } from "./stats.js";

export interface Failure {
  cause: string;
  count: number;
  example: string;
}

/** A measured phase (the closed loop, one open-loop step). */
export interface PhaseResult {
  started: number;
  completed: number;
  failed: number;
  /** Refused by the node before it signed (OVERLOADED): counted apart from the failures. */
  refused: number;
  seconds: number;
  /** Completed payments per second. */
  rate: number;
  latency: Percentiles;
  /** The node's own count (switchyard_payments_routed_total) over the phase. */
  routedByNode: number;
  nodeCpuMsPerPayment: number;
  clientCpuMsPerPayment: number;
  /** CPU cores the node process used on average (CPU time / wall time). */
  nodeCores: number;
  clientCores: number;
  /** Store writes (units of work) and the group commits (transactions, one fsync each) that carried them. */
  writes: number;
  groupCommits: number;
  commitP50Ms: number;
  commitP99Ms: number;
  /** The node's event-loop delay over the phase, p99 and max in ms (its /metrics: NodeScrape.loopP99Ms). */
  nodeLoopDelay: { p99: number; max: number };
  failures: Failure[];
}

export interface FirstPayment {
  connectMs: number;
  depositMs: number;
  /** From "channel funded" (the deposit reconciled) to the first payment complete: the goal's figure. */
  firstPaymentMs: number;
  totalMs: number;
}

export interface LoadResult {
  options: LoadOptions;
  machine: Machine;
  startedAt: string;
  loadEnd: [number, number, number];
  store: string;
  totalSeconds: number;
  setup: {
    clients: number;
    fundedSeconds: number;
    warmupSeconds: number;
    /** Channels the warm-up ring left below the run's largest payment, paid once more (scripts/load/warmup.ts). */
    toppedUp: number;
    /** The smallest node balance (wei) in a client's channel after the warm-up. */
    minCollateral: bigint;
  };
  firstPayment: { samples: FirstPayment[]; failures: Failure[]; total: Percentiles; afterFunding: Percentiles };
  floor: SignatureFloor;
  closed: PhaseResult;
  open: Array<
    PhaseResult & { offered: number; achieved: number; maxStartLagMs: number; generatorDelay: GeneratorDelay }
  >;
  /** The profiled closed loop (`--breakdown`): where each process's CPU went. */
  breakdown?: { phase: PhaseResult; node: Breakdown; clients: Breakdown };
  soak?: SoakResult;
}

export const SOAK_START = "<!-- soak:start -->";
export const SOAK_END = "<!-- soak:end -->";

const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(v < 10 ? 2 : 1) : "–");
const n0 = (v: number): string => (Number.isFinite(v) ? Math.round(v).toLocaleString("en-US") : "–");
const load3 = (l: readonly number[]): string => l.map((v) => v.toFixed(2)).join(" / ");
const MB = 1024 * 1024;

function failureRows(failures: readonly Failure[]): string[] {
  if (failures.length === 0) return ["none"];
  return [
    "| cause | count | first message |",
    "| --- | ---: | --- |",
    ...failures.map((f) => `| ${f.cause} | ${f.count} | ${f.example.replace(/\|/g, "\\|").replace(/\n/g, " ")} |`),
  ];
}

/** What bounds the throughput, from the run's own figures (docs: issue 15, goal 2). */
function bounds(r: LoadResult): string[] {
  const c = r.closed;
  const floor = r.floor.perPaymentMs;
  const lines = [
    `- **Node CPU per routed payment: ${ms(c.nodeCpuMsPerPayment)} ms**, of which the signature floor (4 signs + 4 recoveries with the ` +
      `${r.floor.backend} backend: sign ${r.floor.signUs.toFixed(1)} µs, recover ${r.floor.recoverUs.toFixed(1)} µs, measured in this run) ` +
      `is ${ms(floor)} ms (${((100 * floor) / Math.max(1e-9, c.nodeCpuMsPerPayment)).toFixed(0)} %). ` +
      `One core of node CPU alone would allow at most ${n0(1000 / Math.max(1e-9, c.nodeCpuMsPerPayment))} payments/s.`,
    `- **Clients' CPU per payment: ${ms(c.clientCpuMsPerPayment)} ms** (the load generator: ${r.setup.clients} clients in one process, ` +
      `each payment signs and checks on both the payer's and the payee's side); it used ${c.clientCores.toFixed(2)} cores ` +
      `and the node ${c.nodeCores.toFixed(2)} cores during the closed loop, on a ${r.machine.cores}-core machine shared with other work ` +
      `(load ${load3(r.machine.load)} at the start). ` +
      (c.clientCores < 0.9
        ? "One load-generator process is enough: it stayed below one core (a process's JavaScript runs on one), so it did not bound the run."
        : "The load generator used a whole core: it may bound the run (one process's JavaScript runs on one core)."),
    `- **Store**: ${n0(c.writes)} writes in the closed loop (${(c.writes / Math.max(1, c.completed)).toFixed(1)} per payment), ` +
      `carried by ${n0(c.groupCommits)} group commits (one fsync each: ${(c.writes / Math.max(1, c.groupCommits)).toFixed(1)} writes ` +
      `per commit); a write's time to durable p50 ${ms(c.commitP50Ms)} ms, p99 ${ms(c.commitP99Ms)} ms.`,
  ];
  const used = c.nodeCores + c.clientCores;
  const load = Math.max(r.machine.load[0], r.loadEnd[0]);
  if (load > r.machine.cores && used < 0.8 * r.machine.cores) {
    lines.push(
      `- **Waiting, not computing**: the node and the clients used ${used.toFixed(2)} of ${r.machine.cores} cores while the ` +
        `machine's load average was ${load.toFixed(1)}. The rest of the time they waited: for the CPU (other processes held ` +
        "the run queue) and, in the node, for its store: " +
        (r.store.startsWith("SQLite")
          ? "SQLite's group commits (one fsync each, off the event loop, delayed by the run queue too). "
          : "PostgreSQL's commits (a round trip to the server and its fsync per group commit). ") +
        "The throughput and the " +
        "latencies above are bounded by that, not by the node's CPU; the CPU per payment is the figure that carries over " +
        "to a quiet machine.",
    );
  }
  const together = c.nodeCpuMsPerPayment + c.clientCpuMsPerPayment;
  lines.push(
    `- Node and clients share ${r.machine.cores} cores: at ${ms(together)} ms of CPU per payment together, the machine's ceiling ` +
      `is about ${n0((r.machine.cores * 1000) / Math.max(1e-9, together))} payments/s if nothing else ran on it.`,
  );
  return lines;
}

export function renderReport(r: LoadResult): string {
  const c = r.closed;
  const o = r.options;
  const goalRate = c.rate >= 1000;
  // "Half that rate": half the 1,000/s goal where the run reached it, else half the rate it measured.
  const halfTarget = goalRate ? 500 : c.rate / 2;
  const half = r.open.reduce<(typeof r.open)[number] | undefined>(
    (best, s) =>
      best === undefined || Math.abs(s.offered - halfTarget) < Math.abs(best.offered - halfTarget) ? s : best,
    undefined,
  );
  const halfOf = goalRate ? "half the 1,000/s goal" : `half the measured ${n0(c.rate)}/s`;
  const ttfp = r.firstPayment.afterFunding;
  const lines: string[] = [
    "# Load: routed payments through one node",
    "",
    `Generated by \`npm run load\` (scripts/load.ts) on ${r.startedAt.replace("T", " ").slice(0, 19)} UTC in ${r.totalSeconds.toFixed(0)} s. ` +
      "Every figure below was measured in that one run; nothing is edited by hand. The machine is shared: the load " +
      "average is printed with the figures.",
    "",
    "## Machine and set-up",
    "",
    "| | |",
    "| --- | --- |",
    `| CPU | ${r.machine.cpuModel}, ${r.machine.cores} cores (${r.machine.platform}) |`,
    `| load average (1 / 5 / 15 min) | ${load3(r.machine.load)} at the start, ${load3(r.loadEnd)} at the end |`,
    `| Node.js | ${r.machine.node} |`,
    `| chain | Hardhat's embedded network in the load generator's process, on a loopback JSON-RPC port |`,
    `| node | the node service (\`switchyard node\`) as its own process, log level ${o.nodeLog} |`,
    `| store | ${r.store} |`,
    `| clients | ${r.setup.clients} \`SwitchyardClient\`s over WebSocket on 127.0.0.1, in one load-generator process (pruned memory stores) |`,
    `| secp256k1 | ${r.floor.backend} (sign ${r.floor.signUs.toFixed(1)} µs, recover ${r.floor.recoverUs.toFixed(1)} µs in this run) |`,
    `| funding | 1 ETH deposited per client (${r.setup.fundedSeconds.toFixed(1)} s for all); the node's collateral deposited just in time by a warm-up ring and a top-up of the ${r.setup.toppedUp} channel(s) it left below the largest payment (${r.setup.warmupSeconds.toFixed(1)} s; the smallest collateral after it ${formatEther(r.setup.minCollateral)} ETH) |`,
    `| payments | random payer and payee, random amounts of 1 to 1,000 gwei, ETH, seed ${o.seed} |`,
    "",
    "## Goals",
    "",
    "| goal | measured | met |",
    "| --- | --- | --- |",
    `| ≥ 1,000 routed payments/s sustained (SQLite) | ${n0(c.rate)} payments/s (closed loop, ${r.store.split(" ")[0]}) | ${goalRate ? "yes" : "no"} |`,
    half !== undefined
      ? `| p99 ≤ 50 ms at half that rate | p99 ${ms(half.latency.p99)} ms at ${half.offered} payments/s offered (${halfOf}; achieved ${n0(half.achieved)}) | ${half.latency.p99 <= 50 ? "yes" : "no"} |`
      : "| p99 ≤ 50 ms at half that rate | no open-loop step was run | – |",
    `| time to first payment ≤ 50 ms after funding | p50 ${ms(ttfp.p50)} ms, max ${ms(ttfp.max)} ms (${ttfp.count} fresh clients) | ${ttfp.max <= 50 ? "yes" : ttfp.p50 <= 50 ? "p50 only" : "no"} |`,
    "",
    "## Closed loop",
    "",
    `${r.setup.clients} clients, each with ${o.concurrency} payment${o.concurrency > 1 ? "s" : ""} in flight, ` +
      `${o.payments !== undefined ? `${o.payments} payments` : `${o.durationSeconds} s`}.`,
    "",
    "| routed payments/s | payments | failed | node's count | latency p50 / p95 / p99 / max (ms) | node CPU per payment | clients' CPU per payment | store commit p50 / p99 |",
    "| ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |",
    `| ${n0(c.rate)} | ${n0(c.completed)} | ${c.failed} | ${n0(c.routedByNode)} | ${ms(c.latency.p50)} / ${ms(c.latency.p95)} / ${ms(c.latency.p99)} / ${ms(c.latency.max)} | ${ms(c.nodeCpuMsPerPayment)} ms | ${ms(c.clientCpuMsPerPayment)} ms | ${ms(c.commitP50Ms)} / ${ms(c.commitP99Ms)} ms |`,
    "",
    "Latency is from `pay()` called to the payer's completion (the node claimed the payer's lock after the payee " +
      "claimed its own). Node CPU is the node process's user + system time (/proc/<pid>/stat) over the phase divided " +
      "by the payments completed; store commit times are the node's `switchyard_store_commit_duration_seconds` " +
      "histogram over the phase (interpolated in its buckets): a write's time from the call to its group commit durable.",
    "",
    "Failures by cause:",
    "",
    ...failureRows(c.failures),
    "",
    "## What bounds it",
    "",
    ...bounds(r),
    ...(r.breakdown !== undefined
      ? ["", ...renderBreakdown(r.breakdown.phase, r.breakdown.node, r.breakdown.clients, c.nodeCpuMsPerPayment, r.options.breakdownSeconds)]
      : []),
    "",
    "## Time to first payment",
    "",
    `${ttfp.count} fresh clients, one after the other, on a node otherwise idle: connect (WebSocket, login, channel ` +
      'opened), deposit (a plain transfer, the channel\'s creation on chain, the reconcile update: "channel funded"), ' +
      "then the first payment to a warm client.",
    "",
    "| | p50 | p95 | max |",
    "| --- | ---: | ---: | ---: |",
    ...(() => {
      const s = r.firstPayment.samples;
      const row = (label: string, values: number[]): string => {
        const sorted = [...values].sort((a, b) => a - b);
        const q = (p: number): number =>
          sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
        return `| ${label} | ${ms(q(0.5))} ms | ${ms(q(0.95))} ms | ${ms(sorted.at(-1) ?? Number.NaN)} ms |`;
      };
      return [
        row(
          "connect + login + channel ready",
          s.map((f) => f.connectMs),
        ),
        row(
          "deposit until funded (on chain)",
          s.map((f) => f.depositMs),
        ),
        row(
          "**funded → first payment complete**",
          s.map((f) => f.firstPaymentMs),
        ),
        row(
          "whole: connect → first payment complete",
          s.map((f) => f.totalMs),
        ),
      ];
    })(),
    "",
    ...(r.firstPayment.failures.length > 0 ? ["Failures:", "", ...failureRows(r.firstPayment.failures), ""] : []),
    "## Open loop",
    "",
    `Payments started on a fixed schedule at each offered rate for ${o.rateSeconds} s, whatever completes (random ` +
      "payer and payee); achieved = completed / (last completion − first start); latency is of the completed ones; " +
      "refused = refused by the node before it signed anything (OVERLOADED, its bound on payments in flight), not " +
      "failures. The run stops two steps past the first rate it could not keep up with. Plot: " +
      "[load-latency.svg](load-latency.svg). The generator's event-loop " +
      "delay (p99 / max of perf_hooks.monitorEventLoopDelay in the load process over the step) is how long a " +
      "ready callback (a node's message) waited for the other clients' work in that process: a payment's latency " +
      "includes such waits at each of its messages, so they are the generator's share of the tail, not the node's. " +
      "The node's event-loop delay is the same measure in the node process (prom-client's " +
      "`switchyard_nodejs_eventloop_lag_p99_seconds` and `…_max_seconds`, reset at each scrape of /metrics: the step's own).",
    "",
    "| offered /s | achieved /s | completed | refused (overloaded) | failed | p50 | p95 | p99 | max | node CPU per payment | generator start lag (max) | generator loop delay p99 / max | node loop delay p99 / max |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...r.open.map(
      (s) =>
        `| ${s.offered} | ${n0(s.achieved)} | ${n0(s.completed)} | ${n0(s.refused)} | ${s.failed} | ${ms(s.latency.p50)} | ${ms(s.latency.p95)} | ${ms(s.latency.p99)} | ${ms(s.latency.max)} | ${ms(s.nodeCpuMsPerPayment)} ms | ${ms(s.maxStartLagMs)} ms | ${ms(s.generatorDelay.p99)} / ${ms(s.generatorDelay.max)} ms | ${ms(s.nodeLoopDelay.p99)} / ${ms(s.nodeLoopDelay.max)} ms |`,
    ),
    "",
    ...(r.open.some((s) => s.failures.length > 0)
      ? [
          "Failures by cause:",
          "",
          ...failureRows(
            r.open.flatMap((s) => s.failures.map((f) => ({ ...f, cause: `${f.cause} at ${s.offered}/s` }))),
          ),
          "",
        ]
      : []),
    "![latency against offered rate](load-latency.svg)",
    "",
    SOAK_START,
    ...(r.soak !== undefined
      ? renderSoak(r)
      : ["## Soak", "", "Not run yet: `npm run soak` (10 minutes) writes this section."]),
    SOAK_END,
    "",
    "## Reproduce",
    "",
    `\`npm run load\` (this report: \`npm run load -- ${commandLine(o)}\`); \`npm run load -- --help\` lists the flags. ` +
      "Default runtime: about 3 to 4 minutes. `npm run soak` runs the 10-minute soak and rewrites its section only.",
    "",
  ];
  return lines.join("\n");
}

function commandLine(o: LoadOptions): string {
  const parts = [`--clients ${o.clients}`];
  parts.push(o.payments !== undefined ? `--payments ${o.payments}` : `--duration ${o.durationSeconds}`);
  if (o.concurrency !== 1) parts.push(`--concurrency ${o.concurrency}`);
  parts.push(
    `--rates ${o.rates === "auto" ? "auto" : o.rates.length > 0 ? o.rates.join(",") : "none"}`,
    `--rate-seconds ${o.rateSeconds}`,
  );
  parts.push(`--store ${o.store.kind === "postgres" ? "postgres://…" : o.store.kind}`);
  if (o.soakSeconds > 0) parts.push(`--soak ${o.soakSeconds}`);
  return parts.join(" ");
}

function renderSoak(r: LoadResult): string[] {
  const s = r.soak as SoakResult;
  return [
    "## Soak",
    "",
    `${s.seconds} s at ${s.rate} payments/s offered (half the ${n0(r.closed.rate)}/s the soak run's own closed loop achieved, unless \`--soak-rate\` was given), ` +
      `${r.setup.clients} clients, ${r.store}, measured ${r.startedAt.slice(0, 16).replace("T", " ")} UTC. ` +
      `Achieved ${n0(s.achieved)} payments/s, ${n0(s.completed)} completed, ${s.failed} failed; latency p50 ${ms(s.latency.p50)} ms, ` +
      `p99 ${ms(s.latency.p99)} ms; node CPU ${ms(s.nodeCpuMsPerPayment)} ms per payment.`,
    "",
    "| t (s) | completed | failed | node RSS (MiB) | node open fds | store on disk (MiB) | client process RSS (MiB) | load (1 min) |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...s.samples.map(
      (x) =>
        `| ${x.seconds.toFixed(0)} | ${n0(x.completed)} | ${x.failed} | ${(x.nodeRssBytes / MB).toFixed(1)} | ${x.nodeFds} | ${(x.storeBytes / MB).toFixed(1)} | ${(x.clientRssBytes / MB).toFixed(1)} | ${x.load.toFixed(2)} |`,
    ),
    "",
    `**Verdict.** ${s.verdict.text}`,
    "",
    ...(s.failures.length > 0 ? ["Failures by cause:", "", ...failureRows(s.failures), ""] : []),
  ];
}

/** The soak section (markers included) of a report, if it has one. */
function soakSectionOf(text: string): { start: number; end: number } | undefined {
  const start = text.indexOf(SOAK_START);
  const end = text.indexOf(SOAK_END);
  return start < 0 || end < start ? undefined : { start, end: end + SOAK_END.length };
}

/**
 * The report to write, from `fresh` (this run's, as rendered) and `previous` (the file as it was):
 * - a load run without a soak keeps the soak section of `previous` when it holds a measured one;
 * - a soak-only run (`npm run soak`: no open loop) changes only the soak section of `previous`, so the load
 *   figures and the plot of the last `npm run load` stay;
 * - otherwise `fresh` as it is.
 */
export function mergeSoakSection(
  fresh: string,
  previous: string | undefined,
  run: { soak: boolean; openLoop: boolean },
): string {
  const old = previous === undefined ? undefined : soakSectionOf(previous);
  const mine = soakSectionOf(fresh);
  if (previous === undefined || old === undefined || mine === undefined) return fresh;
  if (run.soak && !run.openLoop)
    return previous.slice(0, old.start) + fresh.slice(mine.start, mine.end) + previous.slice(old.end);
  if (run.soak || !previous.slice(old.start, old.end).includes("| t (s) |")) return fresh;
  return fresh.slice(0, mine.start) + previous.slice(old.start, old.end) + fresh.slice(mine.end);
}
