/**
 * `npm run load`: the whole run in one call (`runLoad`), which scripts/load.ts and the short test in `npm test`
 * (test/ts/load/load.test.ts) both use. The phases, in order:
 *
 *   1. the network (scripts/load/network.ts): embedded chain, Switchyard deployed, the node as its own process;
 *   2. N clients connect over WebSocket and deposit 1 ETH each (on chain: a transfer and the channel's creation);
 *   3. warm-up (scripts/load/warmup.ts): a ring of payments (client i pays client i+1), which makes the node
 *      deposit its collateral just in time into every channel (on chain, once per channel), and a top-up of the
 *      channels the ring left below the run's largest payment, so no later payment waits for the chain;
 *   4. time to first payment: fresh clients, one after the other, connect, deposit and pay a warm client;
 *   5. the closed loop: every client keeps `concurrency` payments in flight for `duration` s (or `payments`);
 *   6. the open loop: payments started at each offered rate in turn, whatever completes;
 *   7. the soak, when asked: the open loop at half the closed-loop rate, sampled every `sample` s;
 * then every client disconnects, the node drains and stops, and the report (reports/load.md) and the plot
 * (reports/load-latency.svg) are written. The signature floor is measured in this process before phase 5.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { AUTO_RATE_FRACTIONS, type LoadOptions } from "./args.js";
import { breakdownOf } from "./breakdown.js";
import { profileThisProcess, startClientProfile } from "./clientProfile.js";
import { type LoadClient, chainProvider, connectLoadClient, depositEth, inBatches, pruneStores } from "./clients.js";
import { selectSecp256k1Backend } from "../../src/crypto/index.js";
import { measureSignatureFloor } from "./floor.js";
import { ETH, type LoadNetwork, loadKey, startLoadNetwork } from "./network.js";
import { startNodeProfile } from "./nodeInspector.js";
import { describeMachine, loadNow, ownCpuMs, processCpuMs, scrapeNode, type NodeScrape } from "./probe.js";
import { mergeSoakSection, renderReport, type FirstPayment, type LoadResult, type PhaseResult } from "./report.js";
import { Picker, Recorder, closedLoop, openLoopStep } from "./runner.js";
import { runSoak } from "./soak.js";
import { warmUp } from "./warmup.js";
import { prng } from "../lib/prng.js";
import { histogramDelta, histogramQuantile, percentiles } from "./stats.js";
import { latencySvg } from "./svg.js";

/** Each client's deposit: far more than the run's payments move (amounts are at most 10⁻⁶ ETH). */
const DEPOSIT = ETH;
/** What each client key gets (its deposit and the gas of its two transactions). */
const CLIENT_FUNDS = 2n * ETH;
const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

export interface RunHooks {
  log?: (line: string) => void;
  /** Called with the network once it is up, so a signal handler can stop it. */
  started?: (network: LoadNetwork) => void;
}

interface Window {
  t: number;
  nodeCpu: number;
  ownCpu: number;
  scrape: NodeScrape;
}

async function windowStart(net: LoadNetwork): Promise<Window> {
  return {
    t: performance.now(),
    nodeCpu: await processCpuMs(net.node.pid),
    ownCpu: ownCpuMs(),
    scrape: await scrapeNode(net.node.http),
  };
}

/** The functions of the EDR addon Hardhat runs the embedded chain on (none if it cannot be found from Hardhat). */
function edrFunctionNames(): Set<string> {
  try {
    const edr = createRequire(fileURLToPath(import.meta.resolve("hardhat")))("@nomicfoundation/edr") as object;
    return new Set(Object.keys(edr));
  } catch {
    return new Set();
  }
}

/** The figures of a measured phase between `start` and now. */
async function phaseResult(net: LoadNetwork, start: Window, recorder: Recorder, seconds: number): Promise<PhaseResult> {
  const end = await windowStart(net);
  const commit = histogramDelta(start.scrape.commit, end.scrape.commit);
  const nodeCpuMs = end.nodeCpu - start.nodeCpu;
  const ownMs = end.ownCpu - start.ownCpu;
  const wallMs = end.t - start.t;
  const n = Math.max(1, recorder.completed);
  return {
    started: recorder.started,
    completed: recorder.completed,
    failed: recorder.failed,
    refused: recorder.refused,
    seconds,
    rate: seconds > 0 ? recorder.completed / seconds : 0,
    latency: percentiles(recorder.latencies),
    routedByNode: end.scrape.routed - start.scrape.routed,
    nodeCpuMsPerPayment: nodeCpuMs / n,
    clientCpuMsPerPayment: ownMs / n,
    nodeCores: nodeCpuMs / wallMs,
    clientCores: ownMs / wallMs,
    writes: commit.counts.at(-1) ?? 0,
    groupCommits: end.scrape.groupCommits - start.scrape.groupCommits,
    commitP50Ms: histogramQuantile(commit, 0.5) * 1000,
    commitP99Ms: histogramQuantile(commit, 0.99) * 1000,
    nodeLoopDelay: { p99: end.scrape.loopP99Ms, max: end.scrape.loopMaxMs },
    failures: [...recorder.failures].map(([cause, f]) => ({ cause, count: f.count, example: f.example })),
  };
}

export async function runLoad(
  hre: HardhatRuntimeEnvironment,
  options: LoadOptions,
  hooks: RunHooks = {},
): Promise<LoadResult> {
  const log = hooks.log ?? ((line: string) => console.log(line));
  // The clients sign with the backend a Node.js wallet gets from the package's entry (native where it loads).
  selectSecp256k1Backend();
  const began = performance.now();
  const machine = describeMachine();
  const startedAt = new Date().toISOString();
  const steps = options.rates === "auto" ? AUTO_RATE_FRACTIONS.length : options.rates.length;
  // The node stops by itself after the run's longest possible length (its watchdog stops it when this ends).
  const lifetimeMs =
    (900 + options.durationSeconds + steps * (options.rateSeconds + 60) + options.breakdownSeconds + options.soakSeconds * 1.5) *
    1000;
  const net = await startLoadNetwork({
    hre,
    store: options.store,
    nodeLog: options.nodeLog,
    lifetimeMs,
    ...(options.cpuProfDir !== undefined ? { cpuProfDir: options.cpuProfDir } : {}),
    ...(options.nodeLogFile !== undefined ? { keepLogAs: path.resolve(options.nodeLogFile) } : {}),
    log,
  });
  hooks.started?.(net);
  log(`node pid ${net.node.pid} at ${net.node.ws} (store: ${net.storeLabel})`);
  const clients: LoadClient[] = [];
  const prune = setInterval(() => pruneStores(clients), 5_000);
  const provider = chainProvider(net.chainUrl);
  try {
    const t0 = performance.now();
    const keys = Array.from({ length: options.clients }, (_, i) => loadKey(`client ${i}`));
    const freshKeys = Array.from({ length: options.fresh }, (_, i) => loadKey(`fresh ${i}`));
    await net.fund([...keys, ...freshKeys], CLIENT_FUNDS);
    log(`${options.clients} clients connect and deposit…`);
    await inBatches(keys, 10, async (key, i) => {
      const c = await connectLoadClient(`client ${i}`, key, net.node.ws, provider);
      clients.push(c);
      await depositEth(c, DEPOSIT);
    });
    const fundedSeconds = (performance.now() - t0) / 1000;
    log("warm-up: a ring of payments (the node's collateral is deposited just in time)…");
    const t1 = performance.now();
    const byName = [...clients].sort((a, b) => Number(a.name.split(" ")[1]) - Number(b.name.split(" ")[1]));
    const warm = await warmUp(byName, 10);
    const ring = warm.recorder;
    const warmupSeconds = (performance.now() - t1) / 1000;
    log(`  ${warm.toppedUp} channel(s) the ring left below the largest payment topped up`);
    if (ring.failed > 0) {
      const [cause, f] = [...ring.failures][0] ?? ["?", { example: "" }];
      throw new Error(`the warm-up ring failed ${ring.failed} of ${ring.started} payments (${cause}: ${f.example})`);
    }

    log(`time to first payment: ${options.fresh} fresh clients, one after the other…`);
    const firstPayments: FirstPayment[] = [];
    const fresh: LoadClient[] = [];
    const ttfpRecorder = new Recorder();
    for (let i = 0; i < freshKeys.length; i++) {
      const payee = byName[i % byName.length] as LoadClient;
      const invoice = await payee.client.invoice({
        asset: ZERO_ADDRESS,
        amount: 1_000_000_000n,
      });
      const a = performance.now();
      const c = await connectLoadClient(`fresh ${i}`, freshKeys[i] as string, net.node.ws, provider);
      fresh.push(c);
      const b = performance.now();
      await depositEth(c, DEPOSIT);
      const d = performance.now();
      try {
        await c.client.pay(invoice);
        ttfpRecorder.ok(performance.now() - d);
      } catch (error) {
        ttfpRecorder.fail("pay", error);
        continue;
      }
      const e = performance.now();
      firstPayments.push({ connectMs: b - a, depositMs: d - b, firstPaymentMs: e - d, totalMs: e - a });
    }

    const floor = measureSignatureFloor();
    log(
      `signature floor (${floor.backend}): sign ${floor.signUs.toFixed(1)} µs, recover ${floor.recoverUs.toFixed(1)} µs`,
    );

    const picker = new Picker(clients, prng(options.seed));
    const what = options.payments !== undefined ? `${options.payments} payments` : `${options.durationSeconds} s`;
    log(`closed loop: ${clients.length} clients × ${options.concurrency} in flight, ${what}…`);
    const profile = options.clientProfDir !== undefined ? await startClientProfile(options.clientProfDir) : undefined;
    let w = await windowStart(net);
    const closed = await closedLoop(clients, picker, {
      durationMs: options.durationSeconds * 1000,
      concurrency: options.concurrency,
      ...(options.payments !== undefined ? { payments: options.payments } : {}),
    });
    const closedResult = await phaseResult(net, w, closed.recorder, closed.elapsedMs / 1000);
    if (profile !== undefined) log(`  clients' profile: ${await profile.stop()}`);
    log(
      `  ${closedResult.rate.toFixed(0)} payments/s, p50 ${closedResult.latency.p50.toFixed(1)} ms, p99 ${closedResult.latency.p99.toFixed(1)} ms, ${closedResult.failed} failed`,
    );

    const open: LoadResult["open"] = [];
    const rates =
      options.rates === "auto"
        ? [...new Set(AUTO_RATE_FRACTIONS.map((f) => Math.max(1, Math.round(f * closedResult.rate))))]
        : options.rates;
    for (const rate of rates) {
      log(`open loop: ${rate} payments/s for ${options.rateSeconds} s…`);
      w = await windowStart(net);
      const step = await openLoopStep(picker, rate, options.rateSeconds);
      const r = await phaseResult(net, w, step.recorder, (step.recorder.lastDone - w.t) / 1000);
      open.push({
        ...r,
        offered: rate,
        achieved: step.achieved,
        maxStartLagMs: step.maxStartLagMs,
        generatorDelay: step.generatorDelay,
      });
      log(
        `  achieved ${step.achieved.toFixed(0)}/s, p50 ${r.latency.p50.toFixed(1)} ms, p99 ${r.latency.p99.toFixed(1)} ms, ${r.refused} refused (overloaded), ${r.failed} failed, generator loop delay p99 ${step.generatorDelay.p99.toFixed(1)} ms, node ${r.nodeLoopDelay.p99.toFixed(1)} ms`,
      );
      // Past saturation: one step beyond the first one that could not keep up is enough to show it.
      if (open.length >= 2 && open.slice(-2).every((s) => s.achieved < 0.85 * s.offered)) break;
    }

    let breakdown: LoadResult["breakdown"];
    if (options.breakdownSeconds > 0) {
      // After the measured phases, so the profiler's own cost (sampling every 500 µs) is in none of them.
      log(`profiled closed loop: ${options.breakdownSeconds} s, the node and the clients under the CPU profiler…`);
      const nodeProfile = await startNodeProfile(net.node.pid, net.node.logFile);
      const ownProfile = await profileThisProcess();
      w = await windowStart(net);
      const run = await closedLoop(clients, picker, { durationMs: options.breakdownSeconds * 1000, concurrency: options.concurrency });
      const phase = await phaseResult(net, w, run.recorder, run.elapsedMs / 1000);
      const [nodeCpu, ownCpu] = [await nodeProfile.stop(), await ownProfile.stop()];
      // This process also holds EDR's addon: V8 may name a libsecp256k1 call after any of EDR's functions.
      breakdown = { phase, node: breakdownOf(nodeCpu), clients: breakdownOf(ownCpu, edrFunctionNames()) };
      // The profiles themselves, where the run was asked to keep profiles.
      for (const [dir, name, profile] of [
        [options.cpuProfDir, "node-profiled-closed-loop.cpuprofile", nodeCpu],
        [options.clientProfDir, "clients-profiled-closed-loop.cpuprofile", ownCpu],
      ] as const) {
        if (dir === undefined) continue;
        await mkdir(dir, { recursive: true });
        await writeFile(path.join(dir, name), JSON.stringify(profile));
      }
      log(`  ${phase.rate.toFixed(0)} payments/s under the profiler, node CPU ${phase.nodeCpuMsPerPayment.toFixed(2)} ms per payment`);
    }

    let soak: LoadResult["soak"];
    if (options.soakSeconds > 0) {
      const rate = options.soakRate ?? Math.max(1, Math.round(closedResult.rate / 2));
      log(`soak: ${rate} payments/s for ${options.soakSeconds} s, sampled every ${options.sampleSeconds} s…`);
      soak = await runSoak({
        net,
        clients,
        picker,
        rate,
        seconds: options.soakSeconds,
        sampleSeconds: options.sampleSeconds,
        log,
      });
    }
    const loadEnd = loadNow();
    clients.push(...fresh);
    const result: LoadResult = {
      options,
      machine,
      startedAt,
      loadEnd,
      store: net.storeLabel,
      totalSeconds: (performance.now() - began) / 1000,
      setup: { clients: options.clients, fundedSeconds, warmupSeconds, toppedUp: warm.toppedUp, minCollateral: warm.minCollateral },
      firstPayment: {
        samples: firstPayments,
        failures: [...ttfpRecorder.failures].map(([cause, f]) => ({ cause, count: f.count, example: f.example })),
        total: percentiles(firstPayments.map((f) => f.totalMs)),
        afterFunding: percentiles(firstPayments.map((f) => f.firstPaymentMs)),
      },
      floor,
      closed: closedResult,
      open,
      ...(breakdown !== undefined ? { breakdown } : {}),
      ...(soak !== undefined ? { soak } : {}),
    };
    return result;
  } finally {
    clearInterval(prune);
    provider.destroy();
    for (const c of clients) await c.client.disconnect().catch(() => undefined);
    await net.stop();
  }
}

/** Writes load.md (keeping the soak section of an earlier run when this one had none) and load-latency.svg. */
export async function writeReport(result: LoadResult, outDir: string): Promise<{ markdown: string; svg: string }> {
  await mkdir(outDir, { recursive: true });
  const mdFile = path.join(outDir, "load.md");
  const svgFile = path.join(outDir, "load-latency.svg");
  const previous = await readFile(mdFile, "utf8").catch(() => undefined);
  const run = { soak: result.soak !== undefined, openLoop: result.open.length > 0 };
  const markdown = mergeSoakSection(renderReport(result), previous, run);
  await writeFile(mdFile, markdown);
  const points = result.open.map((s) => ({
    offered: s.offered,
    achieved: s.achieved,
    p50: s.latency.p50,
    p95: s.latency.p95,
    p99: s.latency.p99,
  }));
  const svg = latencySvg(
    points,
    `Switchyard routed payments, open loop (${result.store.split(" ")[0]}, ${result.setup.clients} clients)`,
    `offered rate (payments/s); ${result.machine.cores} cores, load ${result.machine.load[0].toFixed(1)} at start, ${result.startedAt.slice(0, 16)}Z`,
  );
  if (points.length > 0) await writeFile(svgFile, svg);
  return { markdown, svg };
}
