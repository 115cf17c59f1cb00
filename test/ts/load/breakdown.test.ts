/**
 * The load report's "Where the CPU goes" (scripts/load/breakdown.ts, scripts/load/nodeInspector.ts): a profile
 * folded into categories by self time, idle kept apart; and the node's inspector opened by SIGUSR1 on a loopback
 * port, profiled over a WebSocket, and closed again by `stop()` (a real child process, no stand-in).
 */
import { spawn } from "node:child_process";
import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { ADDON_CATEGORY, breakdownOf, categoryOf, renderBreakdown, type CpuProfile } from "../../../scripts/load/breakdown.js";
import { startNodeProfile } from "../../../scripts/load/nodeInspector.js";

/** A profile whose node i ran for `times[i]` µs, one sample each (the delta before a sample is the previous one's time). */
function profileOf(frames: Array<{ name: string; url: string; us: number }>): CpuProfile {
  const nodes = frames.map((f, i) => ({ id: i + 1, callFrame: { functionName: f.name, url: f.url } }));
  const samples = frames.map((_, i) => i + 1);
  const timeDeltas = [0, ...frames.map((f) => f.us)]; // one longer than samples: the last delta closes the last sample
  return { nodes, samples: [...samples, samples.at(-1)!], timeDeltas };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

describe("load report: where the CPU goes (scripts/load/breakdown.ts)", () => {
  it("test_categoryOf_namesTheRoleOfAFrame", () => {
    expect(categoryOf("file:///x/src/crypto/native.ts", "sign")).to.match(/^signatures/);
    expect(categoryOf("file:///x/node_modules/@noble/hashes/esm/sha3.js", "keccakP")).to.match(/^hashing/);
    expect(categoryOf("wasm://wasm/e6b53466", "wasm-function[3]")).to.match(/^hashing/);
    expect(categoryOf("file:///x/src/stores/sqlite/index.ts", "run")).to.match(/^store/);
    expect(categoryOf("file:///x/src/protocol/record.ts", "encodeJson")).to.match(/^wire codec/);
    expect(categoryOf("file:///x/src/protocol/stateMachine.ts", "nextState")).to.match(/^channel updates/);
    expect(categoryOf("file:///x/src/routing/node.ts", "intent")).to.match(/^routing/);
    expect(categoryOf("file:///x/node_modules/ws/lib/sender.js", "send")).to.match(/^sockets/);
    expect(categoryOf("", "writev")).to.match(/^sockets/);
    expect(categoryOf("", "Secp256k1Addon")).to.match(/^signatures/); // libsecp256k1 through its addon
    expect(categoryOf("", "run")).to.match(/^store/); // node:sqlite's StatementSync.run
    expect(categoryOf("", "fsync")).to.match(/^store/);
    expect(categoryOf("", "(program)")).to.match(/^V8 and Node\.js runtime/);
    expect(categoryOf("", "(garbage collector)")).to.equal("garbage collection");
    expect(categoryOf("node:internal/timers", "listOnTimeout")).to.match(/^V8 and Node\.js runtime/);
  });

  it("test_breakdownOf_sumsSelfTimeByCategoryAndKeepsIdleApart", () => {
    const b = breakdownOf(
      profileOf([
        { name: "(idle)", url: "", us: 5_000 },
        { name: "sign", url: "file:///x/src/crypto/native.ts", us: 2_000 },
        { name: "recover", url: "file:///x/src/crypto/native.ts", us: 1_000 },
        { name: "run", url: "file:///x/src/stores/sqlite/index.ts", us: 4_000 },
        { name: "(garbage collector)", url: "", us: 500 },
      ]),
    );
    expect(b.idleMs).to.equal(5);
    expect(b.busyMs).to.equal(7.5);
    expect(b.rows.map((r) => [r.category.split(" ")[0], r.ms])).to.deep.equal([
      ["store", 4],
      ["signatures", 3],
      ["garbage", 0.5],
    ]);
  });

  it("test_breakdownOf_countsAnotherAddonsNamesAsNativeAddons", () => {
    const frames = [
      { name: "opSolidityTestRunnerFactory", url: "", us: 3_000 },
      { name: "runMicrotasks", url: "", us: 1_000 },
    ];
    const named = breakdownOf(profileOf(frames), new Set(["opSolidityTestRunnerFactory"]));
    expect(named.rows).to.deep.equal([
      { category: ADDON_CATEGORY, ms: 3 },
      { category: categoryOf("", "runMicrotasks"), ms: 1 },
    ]);
    expect(breakdownOf(profileOf(frames)).rows).to.have.length(1); // without the names: both the runtime's
  });

  it("test_renderBreakdown_sharesAddUpToTheProcessCpu", () => {
    const node = breakdownOf(
      profileOf([
        { name: "sign", url: "file:///x/src/crypto/native.ts", us: 1_000 },
        { name: "run", url: "file:///x/src/stores/sqlite/index.ts", us: 3_000 },
      ]),
    );
    const clients = breakdownOf(profileOf([{ name: "sign", url: "file:///x/src/crypto/native.ts", us: 2_000 }]));
    const phase = { completed: 100, rate: 50, seconds: 2, nodeCpuMsPerPayment: 4, clientCpuMsPerPayment: 2 };
    const lines = renderBreakdown(phase, node, clients, 4, 2);
    expect(lines[0]).to.equal("## Where the CPU goes");
    expect(lines.find((l) => l.startsWith("| store"))).to.match(/\| 75 % \| 3\.00 \| 0\.0 % \| 0\.000 \|$/);
    expect(lines.find((l) => l.startsWith("| signatures"))).to.match(/\| 25 % \| 1\.00 \| 100 % \| 2\.00 \|$/);
    expect(lines.at(-1)).to.equal("| **all** | 100 % | **4.00** | 100 % | **2.00** |");
    expect(lines.join("\n")).to.include("+0 % against the unprofiled closed loop");
  });

  it("test_startNodeProfile_profilesAProcessAndClosesItsInspector", async function () {
    this.timeout(30_000);
    const dir = await mkdtemp(path.join(tmpdir(), "switchyard-breakdown-test-"));
    const logFile = path.join(dir, "node.log");
    const log = await open(logFile, "w");
    // Busy on a timer (some samples that are not idle) and stops by itself after 20 s whatever happens.
    const child = spawn(
      process.execPath,
      ["--inspect-port=127.0.0.1:0", "-e", "setInterval(() => { let x = 0; for (let i = 0; i < 2e5; i++) x += i; }, 5); setTimeout(() => process.exit(0), 20000);"],
      { stdio: ["ignore", log.fd, log.fd] },
    );
    try {
      await new Promise((r) => setTimeout(r, 300));
      const profiling = await startNodeProfile(child.pid!, logFile);
      const port = Number(/ws:\/\/127\.0\.0\.1:(\d+)\//.exec(await readFile(logFile, "utf8"))?.[1]);
      expect(port).to.be.greaterThan(0);
      await new Promise((r) => setTimeout(r, 300));
      const profile = await profiling.stop();
      const b = breakdownOf(profile);
      expect(profile.samples.length).to.be.greaterThan(10);
      expect(b.busyMs).to.be.greaterThan(0);
      for (let i = 0; i < 40 && (await portOpen(port)); i++) await new Promise((r) => setTimeout(r, 50));
      expect(await portOpen(port), "the inspector's port is closed after stop()").to.equal(false);
      expect(child.exitCode, "the process still runs").to.equal(null);
    } finally {
      child.kill("SIGKILL");
      await log.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
