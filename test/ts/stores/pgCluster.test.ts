/**
 * The real-PostgreSQL harness itself (scripts/lib/pg-cluster.ts, pgCluster.ts): it says plainly why a run is
 * skipped, fails instead when SWITCHYARD_REQUIRE_PG=1, and the throwaway cluster listens on 127.0.0.1 only and is
 * stopped and deleted even when the process that made it is SIGKILLed.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createConnection } from "node:net";
import path from "node:path";

import { expect } from "chai";
import pg from "pg";

import { findPgBinaries, startCluster } from "../../../scripts/lib/pg-cluster.js";
import { openForSuite, REQUIRE_PG } from "./pgCluster.js";

const CLUSTER_MODULE = new URL("../../../scripts/lib/pg-cluster.ts", import.meta.url).href;

/** Runs `body` with environment variables set (restored after). */
async function withEnv<T>(vars: Record<string, string | undefined>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await body();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function until(what: string, ms: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) expect.fail(`${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("real-PostgreSQL harness (scripts/lib/pg-cluster.ts)", function () {
  this.timeout(120_000);

  it("test_openForSuite_skipsWithTheReason_orFailsWhenRequired_withoutServerBinaries", async () => {
    await withEnv({ SWITCHYARD_PG_URL: undefined, SWITCHYARD_PG_BINDIR: "/nonexistent/pg/bin" }, async () => {
      const found = findPgBinaries();
      expect(found).to.have.property("why").that.contains("SWITCHYARD_PG_BINDIR=/nonexistent/pg/bin");
      const skipped = await openForSuite(false);
      expect(skipped).to.have.property("skip").that.contains("no PostgreSQL server binaries");
      try {
        await openForSuite(true);
        expect.fail("SWITCHYARD_REQUIRE_PG=1 must fail the run");
      } catch (error) {
        expect(String(error)).to.contain("SWITCHYARD_REQUIRE_PG=1, but the real-PostgreSQL run cannot run");
      }
    });
  });

  describe("the throwaway cluster", () => {
    before(function () {
      const found = findPgBinaries();
      if ("why" in found) {
        if (REQUIRE_PG) throw new Error(`SWITCHYARD_REQUIRE_PG=1, but ${found.why}`);
        console.log(`      throwaway-cluster tests SKIPPED: ${found.why}`);
        this.skip();
      }
    });

    it("test_startCluster_listensOnLoopbackOnly_survivesAnImmediateStop_andIsDeletedByStop", async function () {
      if (process.env.SWITCHYARD_PG_URL !== undefined && process.env.SWITCHYARD_PG_URL !== "") this.skip();
      const binaries = findPgBinaries();
      if ("why" in binaries) throw new Error(binaries.why);
      const cluster = await startCluster(binaries);
      const tempDir = path.dirname(cluster.dataDir);
      try {
        const client = new pg.Client({ connectionString: cluster.url });
        await client.connect();
        const listen = await client.query<{ listen_addresses: string }>("SHOW listen_addresses");
        expect(listen.rows[0]?.listen_addresses).to.equal("127.0.0.1");
        await client.query("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)");
        await client.end();
        await cluster.halt("immediate");
        expect(await accepts(cluster.port)).to.equal(false);
        await cluster.start();
        const again = new pg.Client({ connectionString: cluster.url });
        await again.connect();
        expect((await again.query<{ n: number }>("SELECT n FROM kept")).rows).to.deep.equal([{ n: 42 }]);
        await again.end();
      } finally {
        await cluster.stop();
      }
      expect(existsSync(tempDir), `${tempDir} removed`).to.equal(false);
      expect(await accepts(cluster.port)).to.equal(false);
    });

    it("test_cluster_isStoppedAndDeleted_whenTheProcessThatStartedItIsKilled", async function () {
      if (process.env.SWITCHYARD_PG_URL !== undefined && process.env.SWITCHYARD_PG_URL !== "") this.skip();
      const script = `
        const { findPgBinaries, startCluster } = await import(${JSON.stringify(CLUSTER_MODULE)});
        const c = await startCluster(findPgBinaries());
        console.log("CLUSTER " + c.port + " " + c.dataDir);
        setInterval(() => {}, 60000);`;
      const child = spawn(
        process.execPath,
        ["--no-warnings", "--import", "tsx/esm", "--input-type=module", "-e", script],
        {
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      const line = await new Promise<string>((resolve, reject) => {
        let buffer = "";
        child.stdout.on("data", (chunk: Buffer) => {
          buffer += chunk.toString("utf8");
          const match = /CLUSTER .*\n/.exec(buffer);
          if (match !== null) resolve(match[0].trim());
        });
        child.once("exit", (code) => reject(new Error(`the child exited (${code}) before its cluster was up`)));
      });
      const [, port, dataDir] = line.split(" ");
      expect(await accepts(Number(port))).to.equal(true);
      child.kill("SIGKILL");
      await until("the server stops", 30_000, async () => !(await accepts(Number(port))));
      await until("the temp folder is deleted", 30_000, () => !existsSync(path.dirname(dataDir as string)));
    });
  });
});
