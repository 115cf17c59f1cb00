/**
 * `npm run load` (scripts/load.ts, scripts/load/): the short version. A whole run with a handful of clients and
 * a few payments (closed loop, two open-loop steps, a 3 s soak) against the real node process on the embedded
 * chain, checked on its structure and invariants, never on speed: every payment started is completed or failed
 * with a cause, a clean run has no failure, the report renders with every section and the plot is well-formed
 * SVG. Also the bad flags (exit code 2, a message naming the flag) and SIGINT (exit 130, the node gone).
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import hre from "hardhat";

import { run } from "../../../scripts/lib/child.js";
import { isAlive } from "../../../scripts/lib/local-node.js";
import { UsageError, parseLoadArgs, type LoadOptions } from "../../../scripts/load/args.js";
import { runLoad, writeReport } from "../../../scripts/load/main.js";
import {
  SOAK_END,
  SOAK_START,
  mergeSoakSection,
  type LoadResult,
  type PhaseResult,
} from "../../../scripts/load/report.js";
import { soakVerdict, type SoakSample } from "../../../scripts/load/soak.js";
import { histogramQuantile, percentile } from "../../../scripts/load/stats.js";
import { type LoadClient, chainProvider, connectLoadClient, depositEth } from "../../../scripts/load/clients.js";
import { ETH, loadKey, startLoadNetwork } from "../../../scripts/load/network.js";
import { MAX_AMOUNT, measureGeneratorDelay } from "../../../scripts/load/runner.js";
import { inboundOf, warmUp } from "../../../scripts/load/warmup.js";
import { secp256k1Backend, setSecp256k1Backend } from "../../../src/crypto/index.js";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const SCRIPT = path.join(ROOT, "scripts/load.ts");

/** Every tag of `svg` opened and closed in order (a small well-formedness check: no stray `<`, `&`, or tag). */
function wellFormed(svg: string): string[] {
  const stack: string[] = [];
  const tags: string[] = [];
  const body = svg.replace(/"[^"]*"/g, '""');
  expect(body.replace(/<[^>]*>/g, ""), "text outside tags").to.not.match(/[<>]/);
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][\w:-]*)[^>]*?(\/?)>/g)) {
    const [, close, name, self] = m as unknown as [string, string, string, string];
    tags.push(name);
    if (self === "/") continue;
    if (close === "/") expect(stack.pop(), `closing </${name}>`).to.equal(name);
    else stack.push(name);
  }
  expect(stack, "unclosed tags").to.deep.equal([]);
  expect(svg.replace(/&(amp|lt|gt|quot);/g, "")).to.not.include("&");
  return tags;
}

/** `actual` within `eps` of `expected` (chai's closeTo is taken over by the bigint matchers of the toolbox). */
function near(actual: number, expected: number, eps: number, what: string): void {
  expect(Math.abs(actual - expected) <= eps, `${what}: ${actual} is not within ${eps} of ${expected}`).to.equal(true);
}

function checkPhase(p: PhaseResult, what: string): void {
  expect(p.completed + p.failed, `${what}: every payment started completed or failed`).to.equal(p.started);
  expect(p.failed, `${what}: failures ${JSON.stringify(p.failures)}`).to.equal(0);
  expect(p.failures).to.deep.equal([]);
  expect(p.latency.count).to.equal(p.completed);
  const { p50, p95, p99, max } = p.latency;
  expect(p50).to.be.greaterThan(0);
  expect(p50 <= p95 && p95 <= p99 && p99 <= max, `${what}: ordered percentiles ${p50} ${p95} ${p99} ${max}`).to.equal(
    true,
  );
  expect(p.nodeCpuMsPerPayment).to.be.greaterThan(0);
  expect(Number.isFinite(p.clientCpuMsPerPayment)).to.equal(true);
  expect(p.writes, `${what}: the node's store wrote`).to.be.greaterThan(0);
  expect(p.groupCommits, `${what}: the node's store committed`).to.be.greaterThan(0);
  expect(p.groupCommits, `${what}: a group commit carries one write or more`).to.be.at.most(p.writes);
  expect(p.commitP50Ms <= p.commitP99Ms).to.equal(true);
}

describe("npm run load (scripts/load.ts): the short version", function () {
  this.timeout(240_000);

  describe("flags", () => {
    it("test_parseLoadArgs_defaultsAreTheDocumentedRun", () => {
      const o = parseLoadArgs([]) as LoadOptions;
      expect(o).to.include({
        clients: 100,
        durationSeconds: 30,
        concurrency: 1,
        rateSeconds: 10,
        fresh: 10,
        soakSeconds: 0,
        outDir: "reports",
        nodeLog: "warn",
        breakdownSeconds: 10,
      });
      expect(parseLoadArgs(["--breakdown", "0"])).to.deep.include({ breakdownSeconds: 0 });
      expect(o.rates).to.equal("auto");
      expect(parseLoadArgs(["--rates", "100,200"])).to.deep.include({ rates: [100, 200] });
      expect(o.store).to.deep.equal({ kind: "sqlite" });
      expect(parseLoadArgs(["--store", "postgres://u@127.0.0.1:5432/db", "--rates", "none"])).to.deep.include({
        store: { kind: "postgres", url: "postgres://u@127.0.0.1:5432/db" },
        rates: [],
      });
      expect(parseLoadArgs(["--help"])).to.equal("help");
    });

    it("test_parseLoadArgs_refusesBadParametersNamingThem", () => {
      const cases: Array<[string[], RegExp]> = [
        [["--clients", "0"], /--clients must be from 2 to 1000, not 0/],
        [["--clients", "ten"], /--clients must be a whole number/],
        [["--rates", "x"], /--rates must be a comma-separated list/],
        [["--rates", "100,,200"], /--rates must be a comma-separated list/],
        [["--store", "mysql://h/db"], /--store must be sqlite, pg or a postgres:\/\/ URL, not "mysql:\/\/h\/db"/],
        [["--duration", "-5"], /--duration/],
        [["--node-log", "debug"], /--node-log must be info, warn or error/],
        [["--breakdown", "601"], /--breakdown must be from 0 to 600, not 601/],
        [["--bogus"], /Unknown option '--bogus'/],
        [["extra"], /positional/i],
      ];
      for (const [args, message] of cases) {
        expect(() => parseLoadArgs(args), args.join(" ")).to.throw(UsageError, message);
      }
    });

    it("test_loadScript_badFlagExitsTwoWithTheMessageAndTheUsage", async () => {
      for (const args of [
        ["--clients", "0"],
        ["--store", "http://x"],
      ]) {
        const r = await run(process.execPath, ["--import", "tsx", SCRIPT, ...args], { cwd: ROOT, timeoutMs: 60_000 });
        expect(r.code, r.stderr).to.equal(2);
        expect(r.stderr).to.match(/^load: --(clients|store) must/);
        expect(r.stderr).to.include("usage: npm run load");
        expect(r.stdout).to.equal("");
      }
    });
  });

  describe("report pieces", () => {
    it("test_stats_percentilesAndHistogramQuantile", () => {
      expect(percentile([5, 1, 4, 2, 3], 0.5)).to.equal(3);
      expect(percentile([5, 1, 4, 2, 3], 0.99)).to.equal(5);
      expect(Number.isNaN(percentile([], 0.5))).to.equal(true);
      // 10 observations ≤ 1 ms, 10 more ≤ 2 ms: the median is the top of the first bucket, p75 half into the second.
      const h = { bounds: [0.001, 0.002, Infinity], counts: [10, 20, 20] };
      near(histogramQuantile(h, 0.5), 0.001, 1e-12, "p50");
      near(histogramQuantile(h, 0.75), 0.0015, 1e-12, "p75");
    });

    it("test_measureGeneratorDelay_seesABlockedEventLoop", async () => {
      const idle = measureGeneratorDelay();
      await new Promise((r) => setTimeout(r, 100));
      const quiet = idle.stop();
      const busy = measureGeneratorDelay();
      await new Promise((r) => setTimeout(r, 20));
      const until = performance.now() + 60;
      while (performance.now() < until); // the loop blocked for 60 ms, as 100 clients' work can
      await new Promise((r) => setTimeout(r, 20));
      const blocked = busy.stop();
      // The sampling interval itself is not counted as delay: an idle loop reads (nearly) none.
      expect(quiet.p50).to.be.below(5);
      expect(blocked.max).to.be.within(45, 1_000);
      expect(blocked.p99).to.be.at.most(blocked.max + 1); // the histogram's buckets round
    });

    it("test_soakVerdict_flatIsOkGrowingRssIsNot", () => {
      const MB = 1024 * 1024;
      const samples = (grow: number): SoakSample[] =>
        Array.from({ length: 8 }, (_, i) => ({
          seconds: i * 10,
          completed: i * 1000,
          failed: 0,
          nodeRssBytes: 200 * MB + i * grow,
          nodeFds: 40,
          storeBytes: 1 * MB + i * 3_000_000,
          clientRssBytes: 300 * MB,
          load: 1,
        }));
      const flat = soakVerdict(samples(MB / 4));
      expect(flat.ok, flat.text).to.equal(true);
      expect(flat.text).to.match(/^No growth beyond the stored history/);
      expect(flat.storeBytesPerPayment).to.equal(3_000);
      const leaking = soakVerdict(samples(20 * MB));
      expect(leaking.ok).to.equal(false);
      expect(leaking.text).to.match(/^Growth NOT explained by stored history: node RSS GROWS/);
      expect(soakVerdict(samples(0).slice(0, 2)).ok).to.equal(false);
    });

    it("test_mergeSoakSection_keepsAnEarlierSoakWhenThisRunHadNone", () => {
      const soak = `${SOAK_START}\n## Soak\n\n| t (s) | completed |\n| 0 | 0 |\n${SOAK_END}`;
      const previous = `# old\n${soak}\nold tail\n`;
      const fresh = `# new\n${SOAK_START}\n## Soak\n\nNot run yet\n${SOAK_END}\nnew tail\n`;
      const load = { soak: false, openLoop: true };
      expect(mergeSoakSection(fresh, previous, load)).to.equal(`# new\n${soak}\nnew tail\n`);
      expect(mergeSoakSection(fresh, previous, { soak: true, openLoop: true })).to.equal(fresh);
      expect(mergeSoakSection(fresh, undefined, load)).to.equal(fresh);
      expect(mergeSoakSection(fresh, "# no markers", load)).to.equal(fresh);
      // A placeholder soak section of an earlier report is not kept over this run's own.
      expect(mergeSoakSection(fresh, `# old\n${SOAK_START}\nNot run yet\n${SOAK_END}\n`, load)).to.equal(fresh);
    });

    it("test_mergeSoakSection_aSoakOnlyRunReplacesOnlyTheSoakSection", () => {
      const previous = `# load figures\n${SOAK_START}\nNot run yet\n${SOAK_END}\nold tail\n`;
      const soak = `${SOAK_START}\n## Soak\n\n| t (s) | completed |\n${SOAK_END}`;
      const fresh = `# soak run's own figures\n${soak}\nnew tail\n`;
      expect(mergeSoakSection(fresh, previous, { soak: true, openLoop: false })).to.equal(
        `# load figures\n${soak}\nold tail\n`,
      );
    });
  });

  describe("the warm-up (embedded chain, node process, 2 clients)", () => {
    it("test_warmUp_leavesNoChannelWithoutTheNodesCollateral", async () => {
      // One ring payment at a time: client 0 pays client 1 (the node deposits into client 1's channel), then client
      // 1 pays client 0, forwarded out of what client 0 had just paid the node: no deposit there, and the node's
      // balance in client 0's channel stays below the run's payments (the fresh clients' slow first payment).
      const net = await startLoadNetwork({
        hre,
        store: { kind: "sqlite" },
        nodeLog: "warn",
        lifetimeMs: 120_000,
        log: () => undefined,
      });
      const provider = chainProvider(net.chainUrl);
      const clients: LoadClient[] = [];
      try {
        const keys = [loadKey("warm-up 0"), loadKey("warm-up 1")];
        await net.fund(keys, 2n * ETH);
        for (const [i, key] of keys.entries()) {
          const c = await connectLoadClient(`client ${i}`, key, net.node.ws, provider);
          clients.push(c);
          await depositEth(c, ETH);
        }
        const warm = await warmUp(clients, 1);
        expect(warm.recorder.failed, JSON.stringify([...warm.recorder.failures])).to.equal(0);
        for (const c of clients) expect(inboundOf(c) >= MAX_AMOUNT, `${c.name}: ${inboundOf(c)}`).to.equal(true);
        expect(warm.toppedUp, "the ring left client 0's channel uncovered").to.equal(1);
        expect(warm.minCollateral >= MAX_AMOUNT).to.equal(true);
      } finally {
        provider.destroy();
        for (const c of clients) await c.client.disconnect().catch(() => undefined);
        await net.stop();
      }
    });
  });

  describe("a whole short run (embedded chain, node process, 4 clients)", () => {
    let result: LoadResult;
    let out: string;
    let markdown: string;
    let svg: string;
    const backend = secp256k1Backend();

    before(async () => {
      out = await mkdtemp(path.join(tmpdir(), "switchyard-load-test-"));
      const options = parseLoadArgs([
        ...["--clients", "4", "--payments", "24", "--concurrency", "2", "--fresh", "2"],
        ...["--rates", "8,16", "--rate-seconds", "1", "--soak", "3", "--soak-rate", "8", "--sample", "1", "--out", out],
        ...["--breakdown", "1"],
      ]) as LoadOptions;
      const lines: string[] = [];
      result = await runLoad(hre, options, { log: (line) => lines.push(line) });
      ({ markdown, svg } = await writeReport(result, out));
    });
    after(async () => {
      setSecp256k1Backend(backend);
      if (out !== undefined) await rm(out, { recursive: true, force: true });
    });

    it("test_runLoad_closedLoopEveryPaymentCompletesNoFailure", () => {
      const c = result.closed;
      expect(c.started).to.equal(24);
      checkPhase(c, "closed loop");
      // The node counted the routed payments itself; a payer may see its completion a moment before the node's
      // counter moves (the node counts once the payer's acknowledgement of the claim is stored).
      expect(c.routedByNode).to.be.within(c.completed - 8, c.completed);
    });

    it("test_runLoad_openLoopStartsEveryScheduledPayment", () => {
      expect(result.open.map((s) => s.offered)).to.deep.equal([8, 16]);
      for (const s of result.open) {
        expect(s.started).to.equal(s.offered); // 1 s at each rate
        checkPhase(s, `open loop at ${s.offered}/s`);
        expect(s.achieved).to.be.greaterThan(0);
        expect(s.maxStartLagMs).to.be.at.least(0);
        // The node's event-loop delay over the step, from its /metrics (prom-client resets it at each scrape).
        expect(s.nodeLoopDelay.p99, "node loop delay p99").to.be.greaterThan(0);
        expect(s.nodeLoopDelay.p99).to.be.at.most(s.nodeLoopDelay.max);
        expect(s.generatorDelay.p99).to.be.at.least(0);
        expect(s.generatorDelay.max).to.be.at.least(s.generatorDelay.p50);
      }
    });

    it("test_runLoad_timeToFirstPaymentOfEachFreshClient", () => {
      const f = result.firstPayment;
      expect(f.failures).to.deep.equal([]);
      expect(f.samples).to.have.length(2);
      for (const s of f.samples) {
        expect(s.connectMs).to.be.greaterThan(0);
        expect(s.depositMs).to.be.greaterThan(0);
        expect(s.firstPaymentMs).to.be.greaterThan(0);
        near(s.totalMs, s.connectMs + s.depositMs + s.firstPaymentMs, 1, "total");
      }
      expect(f.afterFunding.count).to.equal(2);
    });

    it("test_runLoad_soakSamplesTheNodeAndTheStore", () => {
      const soak = result.soak;
      expect(soak, "the soak ran").to.not.equal(undefined);
      if (soak === undefined) return;
      expect(soak.completed + soak.failed).to.equal(24); // 3 s at 8/s
      expect(soak.failed).to.equal(0);
      expect(soak.samples.length).to.be.at.least(3);
      for (const s of soak.samples) {
        expect(s.nodeRssBytes).to.be.greaterThan(10 * 1024 * 1024);
        expect(s.nodeFds).to.be.greaterThan(3);
        expect(s.storeBytes).to.be.greaterThan(0);
        expect(s.clientRssBytes).to.be.greaterThan(0);
      }
      expect(soak.samples.at(-1)?.completed).to.equal(soak.completed);
      expect(soak.verdict.text).to.match(/stored history/);
    });

    it("test_runLoad_profiledClosedLoopFoldsBothProcessesCpu", () => {
      const b = result.breakdown;
      expect(b, "the profiled closed loop ran").to.not.equal(undefined);
      if (b === undefined) return;
      checkPhase(b.phase, "profiled closed loop");
      expect(b.phase.completed).to.be.greaterThan(0);
      for (const [who, fold] of [["node", b.node], ["clients", b.clients]] as const) {
        expect(fold.busyMs, who).to.be.greaterThan(0);
        near(fold.rows.reduce((s, r) => s + r.ms, 0), fold.busyMs, 1e-6, `${who}: rows add up`);
        // Both processes sign and store every payment's updates.
        const categories = fold.rows.map((r) => r.category.split(" ")[0]);
        expect(categories, who).to.include("store");
        expect(categories, who).to.include("wire");
      }
      expect(markdown).to.include("## Where the CPU goes");
    });

    it("test_runLoad_describesTheMachineAndMeasuresTheSignatureFloor", () => {
      expect(result.machine.cores).to.be.greaterThan(0);
      expect(result.machine.node).to.equal(process.version);
      expect(result.store).to.match(/^SQLite/);
      expect(["native", "js"]).to.include(result.floor.backend);
      expect(result.floor.signUs).to.be.greaterThan(0);
      near(result.floor.perPaymentMs, (4 * (result.floor.signUs + result.floor.recoverUs)) / 1000, 1e-9, "floor");
    });

    it("test_writeReport_rendersEverySectionAndAWellFormedPlot", async () => {
      expect(await readFile(path.join(out, "load.md"), "utf8")).to.equal(markdown);
      for (const heading of [
        "# Load",
        "## Machine and set-up",
        "## Goals",
        "## Closed loop",
        "## What bounds it",
        "## Where the CPU goes",
        "## Time to first payment",
        "## Open loop",
        "## Soak",
        "## Reproduce",
      ])
        expect(markdown).to.include(`\n${heading}`.trimStart());
      expect(markdown).to.include(result.machine.cpuModel);
      expect(markdown).to.include("| t (s) |");
      expect(markdown).to.not.match(/NaN|undefined/);
      expect(await readFile(path.join(out, "load-latency.svg"), "utf8")).to.equal(svg);
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).to.equal(true);
      const tags = wellFormed(svg);
      expect(tags.filter((t) => t === "polyline")).to.have.length(3); // p50, p95, p99
      expect(tags.filter((t) => t === "circle")).to.have.length(3 * result.open.length);
    });
  });

  it("test_loadScript_sigintStopsTheNodeAndExits130", async function () {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", SCRIPT, "--clients", "2", "--out", path.join(tmpdir(), "switchyard-load-sigint")],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const deadline = Date.now() + 180_000;
    let pid = 0;
    while (pid === 0 && Date.now() < deadline) {
      pid = Number(/node pid (\d+)/.exec(output)?.[1] ?? 0);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(pid, output).to.be.greaterThan(0);
    expect(isAlive(pid)).to.equal(true);
    child.kill("SIGINT");
    expect(await exited, output).to.equal(130);
    expect(output).to.include("SIGINT: stopping the node and the chain");
    for (let i = 0; i < 50 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(pid), "the node process stopped").to.equal(false);
  });
});
