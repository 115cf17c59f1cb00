/**
 * What the load run reads about processes and the machine: a process's CPU time, RSS and open files from
 * /proc/<pid>/ (Linux), the node's /metrics, and the machine's description for the report.
 */
import { readFile, readdir } from "node:fs/promises";
import { cpus, loadavg } from "node:os";

import { type Histogram, histogramOf, sampleOf } from "./stats.js";

/** The kernel's clock ticks per second (USER_HZ): 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100;

/** CPU milliseconds (user + system) the process `pid` has used so far; NaN where /proc is not readable. */
export async function processCpuMs(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** The resident set size of `pid` in bytes (VmRSS). */
export async function processRssBytes(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? Number.NaN : Number(kb) * 1024;
  } catch {
    return Number.NaN;
  }
}

/** Open file descriptors of `pid` (sockets, files, pipes): the entries of /proc/<pid>/fd. */
export async function openFiles(pid: number): Promise<number> {
  try {
    return (await readdir(`/proc/${pid}/fd`)).length;
  } catch {
    return Number.NaN;
  }
}

/** This process's CPU milliseconds (user + system). */
export function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** One scrape of the node's /metrics: the parts the report uses. */
export interface NodeScrape {
  commit: Histogram;
  request: Histogram;
  routed: number;
  failed: number;
  /** The store's group commits (transactions, one fsync each) since the node started. */
  groupCommits: number;
  /**
   * The node's event-loop delay p99 and max (ms) since the previous scrape: prom-client's default metrics read
   * `perf_hooks.monitorEventLoopDelay` and reset it at every scrape of /metrics, so a phase's closing scrape gives
   * the phase's own (nothing else scrapes the node during a phase).
   */
  loopP99Ms: number;
  loopMaxMs: number;
}

export async function scrapeNode(http: string): Promise<NodeScrape> {
  const text = await (await fetch(`${http}/metrics`)).text();
  return {
    commit: histogramOf(text, "switchyard_store_commit_duration_seconds"),
    request: histogramOf(text, "switchyard_rpc_request_duration_seconds"),
    routed: sampleOf(text, "switchyard_payments_routed_total"),
    failed: sampleOf(text, "switchyard_payments_failed_total"),
    groupCommits: sampleOf(text, "switchyard_store_group_commits"),
    loopP99Ms: sampleOf(text, "switchyard_nodejs_eventloop_lag_p99_seconds") * 1000,
    loopMaxMs: sampleOf(text, "switchyard_nodejs_eventloop_lag_max_seconds") * 1000,
  };
}

export interface Machine {
  cpuModel: string;
  cores: number;
  node: string;
  platform: string;
  /** The 1-, 5- and 15-minute load averages. */
  load: [number, number, number];
}

export function describeMachine(): Machine {
  const list = cpus();
  const [a, b, c] = loadavg();
  return {
    cpuModel: list[0]?.model.trim() ?? "unknown",
    cores: list.length,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    load: [a ?? 0, b ?? 0, c ?? 0],
  };
}

export function loadNow(): [number, number, number] {
  const [a, b, c] = loadavg();
  return [a ?? 0, b ?? 0, c ?? 0];
}
