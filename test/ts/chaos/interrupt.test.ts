/**
 * `npm run chaos` killed in the middle of its run (SIGKILL: no handler of its own runs): every process it started
 * — the chain, the node, the client processes — stops by itself (the watchdogs see their stdin pipe close, the
 * clients their IPC channel), and no port it used stays bound. (PostgreSQL's watchdog is tested in
 * test/ts/stores/pgCluster.test.ts; this run uses SQLite to stay short.)
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { expect } from "chai";

import { isAlive, isPortFree } from "../../../scripts/lib/local-node.js";
import { until } from "../node/harness.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

describe("npm run chaos, killed mid-run", function () {
  this.timeout(300_000);

  it("test_chaosScript_killedMidRun_everyProcessItStartedStopsByItself", async () => {
    const args = ["--store", "sqlite", "--clients", "2", "--duration", "120", "--node-kills", "0", "--client-kills", "0", "--cuts", "0", "--report", "-"];
    const child = spawn(process.execPath, ["--import", "tsx", "--no-warnings=ExperimentalWarning", path.join(ROOT, "scripts/chaos.ts"), ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
      await until(() => out.includes("load: started") || child.exitCode !== null, "the load to start", 240_000, 200);
    } catch (error) {
      child.kill("SIGKILL");
      throw error;
    }
    expect(out, out).to.include("load: started");
    const chainPort = Number(/anvil on http:\/\/127\.0\.0\.1:(\d+)|hardhat node on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.slice(1).find((x) => x !== undefined));
    const nodeMatch = /node: 0x[0-9a-fA-F]{40} on 127\.0\.0\.1:(\d+) \(pid (\d+)\)/.exec(out);
    const clientPids = (/pids ([\d ]+)\)/.exec(out)?.[1] ?? "").trim().split(" ").map(Number);
    expect(nodeMatch, out).to.not.equal(null);
    expect(clientPids).to.have.length(2);
    const [nodePort, nodePid] = [Number(nodeMatch?.[1]), Number(nodeMatch?.[2])];
    for (const pid of [nodePid, ...clientPids]) expect(isAlive(pid), `pid ${pid} before the kill`).to.equal(true);

    child.kill("SIGKILL");
    await exited;
    await until(() => ![nodePid, ...clientPids].some(isAlive), "the node and the clients to stop by themselves", 30_000, 200);
    await until(async () => (await isPortFree(chainPort)) && (await isPortFree(nodePort)), "the chain's and the node's ports to be free", 30_000, 200);
  });
});
