/**
 * A real PostgreSQL server for tests and benchmarks: the one `SWITCHYARD_PG_URL` names, or else a throwaway
 * cluster made here with the machine's PostgreSQL server binaries (`initdb` + `pg_ctl`, found through
 * `SWITCHYARD_PG_BINDIR`, `pg_config --bindir` or /usr/lib/postgresql/<version>/bin).
 *
 * The throwaway cluster lives in a fresh `switchyard-pg-*` folder of the system temp directory, listens on
 * 127.0.0.1 only, on a free port, with its unix socket in that folder, and trusts local connections (it is
 * reachable only from this machine, for the few minutes it lives). PostgreSQL refuses to run as root: when this
 * process is root, the binaries run as the `postgres` user (runuser) and the folder is handed to that user.
 * A watchdog process (pg-watchdog.mjs) stops the server and removes the folder when `stop()` is called, when
 * this process exits or is killed, or after a maximum lifetime, so no run leaves a server behind.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import pg from "pg";

import { run } from "./child.js";

const WATCHDOG = path.join(path.dirname(fileURLToPath(import.meta.url)), "pg-watchdog.mjs");
const LOOPBACK = "127.0.0.1";

/** A PostgreSQL server to run against. */
export interface PgServer {
  /** Where it comes from: the environment's URL, or a cluster started here. */
  readonly origin: "SWITCHYARD_PG_URL" | "throwaway cluster";
  /** A connection URL of its maintenance database (without password in `describe()`). */
  readonly url: string;
  /** One line for logs: origin, host, port, version (no password). */
  describe(): Promise<string>;
  /** Creates a fresh, empty database and returns its URL (dropped by `stop()` on an external server). */
  createDatabase(prefix?: string): Promise<string>;
  /** Stops the server (a throwaway cluster: also deletes it) or drops the databases made on an external one. */
  stop(): Promise<void>;
}

/** A throwaway cluster, which tests may also crash and restart. */
export interface PgCluster extends PgServer {
  readonly origin: "throwaway cluster";
  readonly port: number;
  readonly dataDir: string;
  /** `pg_ctl stop -m <mode>` (`immediate`: the postmaster and its backends quit at once, no checkpoint). */
  halt(mode: "immediate" | "fast"): Promise<void>;
  /** `pg_ctl start` again on the same port, waiting until it accepts connections (crash recovery included). */
  start(): Promise<void>;
  /** The last lines of the server log. */
  logTail(lines?: number): string;
}

/** Where the server binaries are, or why there are none. */
export type PgBinaries = { bindir: string; runAs: "self" | "postgres" } | { why: string };

/**
 * Finds `initdb` and `pg_ctl`; explains in `why` what is missing. SWITCHYARD_PG_BINDIR, when set, is the only
 * place looked at (an explicit choice is never silently replaced by another installation).
 */
export function findPgBinaries(): PgBinaries {
  const fromEnv = process.env.SWITCHYARD_PG_BINDIR;
  const candidates = fromEnv !== undefined && fromEnv !== "" ? [fromEnv] : searchPgBindirs();
  const bindir = candidates.find((dir) => existsSync(path.join(dir, "initdb")) && existsSync(path.join(dir, "pg_ctl")));
  if (bindir === undefined) {
    const looked =
      fromEnv !== undefined && fromEnv !== ""
        ? `SWITCHYARD_PG_BINDIR=${fromEnv}`
        : candidates.length === 0
          ? "no pg_config on PATH, no /usr/lib/postgresql/<version>/bin"
          : candidates.join(", ");
    return {
      why: `no PostgreSQL server binaries (initdb, pg_ctl) found (looked in: ${looked}); install the server or set SWITCHYARD_PG_URL`,
    };
  }
  if (process.getuid?.() !== 0) return { bindir, runAs: "self" };
  try {
    execFileSync("id", ["-u", "postgres"], { stdio: "ignore" });
  } catch {
    return { why: "running as root, and PostgreSQL refuses root: there is no `postgres` user to run it as" };
  }
  return { bindir, runAs: "postgres" };
}

/** `pg_config --bindir`, then /usr/lib/postgresql/<version>/bin, newest version first. */
function searchPgBindirs(): string[] {
  const candidates: string[] = [];
  try {
    candidates.push(
      execFileSync("pg_config", ["--bindir"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim(),
    );
  } catch {
    // no pg_config on PATH
  }
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(path.join(debian, v, "bin"));
  }
  return candidates;
}

/** A free TCP port on 127.0.0.1 (the kernel's choice; another process may still take it before we bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** Connection URL with the password masked. */
function masked(url: string): string {
  const u = new URL(url);
  if (u.password !== "") u.password = "***";
  return u.toString();
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

let databaseCounter = 0;
function databaseName(prefix: string): string {
  databaseCounter++;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${databaseCounter}`
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_");
}

async function describeServer(origin: string, url: string): Promise<string> {
  const [row] = await query<{ server_version: string }>(url, "SHOW server_version");
  return `${origin} ${masked(url)} (PostgreSQL ${row?.server_version ?? "?"})`;
}

/** The server `SWITCHYARD_PG_URL` names: databases made on it are dropped at `stop()`. */
function externalServer(url: string): PgServer {
  const made: string[] = [];
  return {
    origin: "SWITCHYARD_PG_URL",
    url,
    describe: () => describeServer("SWITCHYARD_PG_URL", url),
    async createDatabase(prefix = "switchyard_test") {
      const name = databaseName(prefix);
      await query(url, `CREATE DATABASE ${name}`);
      made.push(name);
      return withDatabase(url, name);
    },
    async stop() {
      for (const name of made.splice(0)) await query(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/**
 * `runuser` (util-linux) lives in /usr/sbin or /sbin, which a root shell has on PATH but a CI runner's PATH may
 * lack: the first of PATH's and those folders' copies that exists.
 */
export function runuserPath(): string {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/sbin", "/usr/bin", "/bin"];
  for (const dir of dirs) {
    if (dir !== "" && existsSync(path.join(dir, "runuser"))) return path.join(dir, "runuser");
  }
  return "runuser";
}

/** Starts a throwaway cluster (see the module comment). Throws with the server log if it cannot start. */
export async function startCluster(binaries: { bindir: string; runAs: "self" | "postgres" }): Promise<PgCluster> {
  const tempDir = mkdtempSync(path.join(tmpdir(), "switchyard-pg-"));
  const dataDir = path.join(tempDir, "data");
  const logFile = path.join(tempDir, "server.log");
  const bin = (name: string): string => path.join(binaries.bindir, name);
  const asServer = (command: string, args: string[]): [string, string[]] =>
    binaries.runAs === "self" ? [command, args] : [runuserPath(), ["-u", "postgres", "--", command, ...args]];
  if (binaries.runAs === "postgres") {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(tempDir, uid, gid);
  }
  const watchdog: ChildProcess = spawn(process.execPath, [WATCHDOG, tempDir, bin("pg_ctl"), binaries.runAs], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    watchdog.once("error", reject);
    watchdog.stdout?.once("data", () => resolve());
    watchdog.once("exit", (code) => reject(new Error(`pg-watchdog exited with ${code} before it was ready`)));
  });
  // Neither the pipe nor the child may keep this process alive: if it exits, the pipe closes and the watchdog cleans up.
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  (watchdog.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  const watchdogExited = new Promise<void>((resolve) => watchdog.once("exit", () => resolve()));

  const stop = async (): Promise<void> => {
    if (watchdog.exitCode === null && watchdog.signalCode === null) {
      watchdog.ref(); // keep this process alive until the cleanup is done
      watchdog.stdin?.end();
      await watchdogExited;
    }
  };

  try {
    const init = await run(
      ...asServer(bin("initdb"), [
        "-D",
        dataDir,
        "-A",
        "trust",
        "-U",
        "postgres",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
      ]),
      {
        cwd: tempDir,
        timeoutMs: 120_000,
      },
    );
    if (init.code !== 0) throw new Error(`initdb failed (${init.code}): ${init.stderr || init.stdout}`);
    let port = 0;
    const serverOptions = (): string =>
      `-p ${port} -k ${tempDir} -c listen_addresses=${LOOPBACK} -c fsync=on -c synchronous_commit=on -c max_connections=200`;
    const pgCtl = async (args: string[], timeoutMs = 60_000): Promise<Awaited<ReturnType<typeof run>>> =>
      run(...asServer(bin("pg_ctl"), ["-D", dataDir, ...args]), { cwd: tempDir, timeoutMs });
    const readLog = (lines = 40): string => {
      try {
        return readFileSync(logFile, "utf8").split("\n").slice(-lines).join("\n");
      } catch {
        return "(no server log)";
      }
    };
    const startServer = async (): Promise<void> => {
      const started = await pgCtl(["-l", logFile, "-o", serverOptions(), "-w", "-t", "60", "start"], 90_000);
      if (started.code !== 0)
        throw new Error(`pg_ctl start failed (${started.code}) on port ${port}: ${started.stderr}\n${readLog()}`);
    };
    // A port the kernel called free may be taken before the server binds it: try a few.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await startServer();
        break;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
    const url = `postgres://postgres@${LOOPBACK}:${port}/postgres`;
    const cluster: PgCluster = {
      origin: "throwaway cluster",
      url,
      port,
      dataDir,
      describe: async () =>
        `${await describeServer("throwaway cluster", url)} in ${dataDir}, run as ${binaries.runAs === "self" ? userInfo().username : "postgres"}`,
      async createDatabase(prefix = "switchyard_test") {
        const name = databaseName(prefix);
        await query(url, `CREATE DATABASE ${name}`);
        return withDatabase(url, name);
      },
      async halt(mode) {
        const halted = await pgCtl(["-m", mode, "-w", "-t", "30", "stop"]);
        if (halted.code !== 0)
          throw new Error(`pg_ctl stop -m ${mode} failed (${halted.code}): ${halted.stderr}\n${readLog()}`);
      },
      start: startServer,
      logTail: readLog,
      stop,
    };
    return cluster;
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The PostgreSQL server to use: `SWITCHYARD_PG_URL`, else a throwaway cluster, else why there is none. */
export async function openPgServer(): Promise<{ server: PgServer } | { why: string }> {
  const url = process.env.SWITCHYARD_PG_URL;
  if (url !== undefined && url !== "") {
    const server = externalServer(url);
    await server.describe(); // fails loudly here when the URL does not answer
    return { server };
  }
  const binaries = findPgBinaries();
  if ("why" in binaries) return binaries;
  return { server: await startCluster(binaries) };
}
