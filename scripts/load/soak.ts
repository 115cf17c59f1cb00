/**
 * The soak: the open loop at one rate for a long time (10 minutes for `npm run soak`), sampling every few seconds
 * the node's RSS and open file descriptors (/proc/<pid>/), the store's size on disk (SQLite file + WAL + SHM, or
 * pg_database_size) and this process's RSS (the clients), with the payments completed so far. The verdict
 * compares the growth over the second half of the run (after the caches warmed) with what stored history
 * explains: the node keeps every co-signed update and payment in its store, so the database grows with the
 * payments; its RSS and open files should not.
 */
import { performance } from "node:perf_hooks";

import type { LoadClient } from "./clients.js";
import type { LoadNetwork } from "./network.js";
import { loadNow, openFiles, processCpuMs, processRssBytes } from "./probe.js";
import { type Picker, Recorder, openLoopStep } from "./runner.js";
import { percentiles, type Percentiles } from "./stats.js";

export interface SoakSample {
  seconds: number;
  completed: number;
  failed: number;
  nodeRssBytes: number;
  nodeFds: number;
  storeBytes: number;
  clientRssBytes: number;
  /** The 1-minute load average. */
  load: number;
}

export interface SoakResult {
  rate: number;
  seconds: number;
  samples: SoakSample[];
  completed: number;
  failed: number;
  achieved: number;
  latency: Percentiles;
  nodeCpuMsPerPayment: number;
  failures: Array<{ cause: string; count: number; example: string }>;
  verdict: SoakVerdict;
}

export interface SoakVerdict {
  /** Node RSS growth over the second half, bytes. */
  nodeRssGrowth: number;
  clientRssGrowth: number;
  /** Largest minus smallest open-fd count over the second half. */
  fdSpread: number;
  /** Store bytes per completed payment over the whole soak. */
  storeBytesPerPayment: number;
  /** RSS growth over the second half per 1,000 payments completed in it (bytes). */
  nodeRssPerThousand: number;
  ok: boolean;
  text: string;
}

const MB = 1024 * 1024;

/** Whether the memory and handles stayed flat (module comment); the rule is written out in `text`. */
export function soakVerdict(samples: readonly SoakSample[]): SoakVerdict {
  const half = samples.slice(Math.floor(samples.length / 2));
  const first = half[0];
  const last = half.at(-1);
  if (first === undefined || last === undefined || samples.length < 3) {
    return {
      nodeRssGrowth: 0,
      clientRssGrowth: 0,
      fdSpread: 0,
      storeBytesPerPayment: 0,
      nodeRssPerThousand: 0,
      ok: false,
      text: "too few samples for a verdict (a soak needs at least 3)",
    };
  }
  const start = samples[0] as SoakSample;
  const nodeRssGrowth = last.nodeRssBytes - first.nodeRssBytes;
  const clientRssGrowth = last.clientRssBytes - first.clientRssBytes;
  const fds = half.map((s) => s.nodeFds);
  const fdSpread = Math.max(...fds) - Math.min(...fds);
  const paid = last.completed - start.completed;
  const storeBytesPerPayment = paid > 0 ? (last.storeBytes - start.storeBytes) / paid : 0;
  const halfPaid = Math.max(1, last.completed - first.completed);
  const nodeRssPerThousand = (nodeRssGrowth * 1000) / halfPaid;
  // Flat: the second half grew the node's RSS by less than 10 % of its level (or 16 MiB), and its open files by
  // at most 4; the store's growth is the stored history (every co-signed update and payment row).
  const rssBound = Math.max(16 * MB, 0.1 * first.nodeRssBytes);
  const rssFlat = nodeRssGrowth <= rssBound;
  const fdsFlat = fdSpread <= 4;
  const ok = rssFlat && fdsFlat;
  const parts = [
    `node RSS ${rssFlat ? "flat" : "GROWS"} over the second half (${(nodeRssGrowth / MB).toFixed(1)} MiB against a bound of ${(rssBound / MB).toFixed(1)} MiB; ${(nodeRssPerThousand / 1024).toFixed(1)} KiB per 1,000 payments)`,
    `open files ${fdsFlat ? "flat" : "GROW"} (spread ${fdSpread})`,
    `the store grew ${(storeBytesPerPayment / 1024).toFixed(2)} KiB per payment: the stored history (each routed payment adds 4 co-signed updates and 2 payment rows)`,
    `client process RSS ${(clientRssGrowth / MB).toFixed(1)} MiB over the second half`,
  ];
  return {
    nodeRssGrowth,
    clientRssGrowth,
    fdSpread,
    storeBytesPerPayment,
    nodeRssPerThousand,
    ok,
    text: `${ok ? "No growth beyond the stored history" : "Growth NOT explained by stored history"}: ${parts.join("; ")}.`,
  };
}

export interface SoakOptions {
  net: LoadNetwork;
  clients: readonly LoadClient[];
  picker: Picker;
  rate: number;
  seconds: number;
  sampleSeconds: number;
  log: (line: string) => void;
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const recorder = new Recorder();
  const samples: SoakSample[] = [];
  const t0 = performance.now();
  const cpu0 = await processCpuMs(o.net.node.pid);
  const sample = async (): Promise<void> => {
    const s: SoakSample = {
      seconds: (performance.now() - t0) / 1000,
      completed: recorder.completed,
      failed: recorder.failed,
      nodeRssBytes: await processRssBytes(o.net.node.pid),
      nodeFds: await openFiles(o.net.node.pid),
      storeBytes: await o.net.storeBytes(),
      clientRssBytes: process.memoryUsage().rss,
      load: loadNow()[0],
    };
    samples.push(s);
    o.log(
      `  ${s.seconds.toFixed(0)} s: ${s.completed} paid, ${s.failed} failed, node RSS ${(s.nodeRssBytes / MB).toFixed(1)} MiB, ` +
        `${s.nodeFds} fds, store ${(s.storeBytes / MB).toFixed(1)} MiB, clients RSS ${(s.clientRssBytes / MB).toFixed(1)} MiB, load ${s.load.toFixed(1)}`,
    );
  };
  await sample();
  let sampling = Promise.resolve();
  const timer = setInterval(() => {
    sampling = sampling.then(sample).catch(() => undefined);
  }, o.sampleSeconds * 1000);
  let step;
  try {
    step = await openLoopStep(o.picker, o.rate, o.seconds, recorder);
  } finally {
    clearInterval(timer);
    await sampling;
  }
  await sample();
  const cpu1 = await processCpuMs(o.net.node.pid);
  return {
    rate: o.rate,
    seconds: o.seconds,
    samples,
    completed: recorder.completed,
    failed: recorder.failed,
    achieved: step.achieved,
    latency: percentiles(recorder.latencies),
    nodeCpuMsPerPayment: (cpu1 - cpu0) / Math.max(1, recorder.completed),
    failures: [...recorder.failures].map(([cause, f]) => ({ cause, count: f.count, example: f.example })),
    verdict: soakVerdict(samples),
  };
}
