#!/usr/bin/env node
// Guards one throwaway PostgreSQL cluster (scripts/lib/pg-cluster.ts) so that it is stopped and its temporary
// directory removed whatever happens to the process that made it:
//   - when this process's stdin ends (the parent closed it to stop the cluster, or exited, or was killed),
//   - on SIGTERM / SIGINT / SIGHUP,
//   - after SWITCHYARD_PG_LIFETIME_MS milliseconds (default 30 minutes) at the latest.
// Plain JavaScript so that Node runs it without a TypeScript loader. Usage:
//   node pg-watchdog.mjs <temp dir> <pg_ctl path> <run as: "self" | user name>
// The temp dir must be a `switchyard-pg-*` directory directly in the system temp folder; the data directory is
// <temp dir>/data. It prints `pg-watchdog ready` once it listens, and `pg-watchdog done` when it has cleaned up.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const [tempDir, pgCtl, runAs] = process.argv.slice(2);
if (tempDir === undefined || pgCtl === undefined || runAs === undefined) {
  console.error("usage: pg-watchdog.mjs <temp dir> <pg_ctl> <self|user>");
  process.exit(2);
}
const resolved = path.resolve(tempDir);
if (path.dirname(resolved) !== path.resolve(tmpdir()) || !path.basename(resolved).startsWith("switchyard-pg-")) {
  console.error(`pg-watchdog: refusing to manage ${resolved} (not a switchyard-pg-* folder in ${tmpdir()})`);
  process.exit(2);
}
const dataDir = path.join(resolved, "data");
const lifetime = Number(process.env.SWITCHYARD_PG_LIFETIME_MS ?? "1800000");

/** runuser's path: PATH may lack /usr/sbin and /sbin (as in pg-cluster.ts). */
function runuser() {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/sbin", "/usr/bin", "/bin"];
  for (const dir of dirs) if (dir !== "" && existsSync(path.join(dir, "runuser"))) return path.join(dir, "runuser");
  return "runuser";
}

function pgCtlRun(args) {
  const [command, prefix] = runAs === "self" ? [pgCtl, []] : [runuser(), ["-u", runAs, "--", pgCtl]];
  return spawnSync(command, [...prefix, ...args], { stdio: ["ignore", "ignore", "pipe"], timeout: 20_000 });
}

let done = false;
function cleanUp(reason) {
  if (done) return;
  done = true;
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (existsSync(pidFile)) {
    const stopped = pgCtlRun(["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "10"]);
    if (stopped.status !== 0 && existsSync(pidFile)) {
      // The server did not stop in time (or pg_ctl failed): end the postmaster by its pid.
      const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
      if (Number.isInteger(pid) && pid > 1) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
  }
  rmSync(resolved, { recursive: true, force: true });
  process.stdout.write(`pg-watchdog done (${reason})\n`);
  process.exit(0);
}

process.stdin.on("end", () => cleanUp("stdin closed"));
process.stdin.on("error", () => cleanUp("stdin error"));
process.stdin.resume();
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, () => cleanUp(signal));
setTimeout(() => cleanUp(`lifetime of ${lifetime} ms reached`), lifetime).unref();
process.stdout.write("pg-watchdog ready\n");
