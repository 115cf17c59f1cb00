/**
 * Running a command as a child process for tests and scripts: stdin is closed (/dev/null), so nothing can wait
 * for input; output is collected; after `timeoutMs` the whole process group is killed.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the command (and its children) after this long. */
  timeoutMs: number;
}

export interface RunResult {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** Runs `command args…` to completion (or timeout). Never throws for a failing command: check `code`. */
export async function run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so that a timeout kills the command's children too.
    detached: process.platform !== "win32",
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      if (child.pid !== undefined && process.platform !== "win32") process.kill(-child.pid, "SIGKILL");
      else child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, options.timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (c, s) => resolve([c, s]));
  }).finally(() => clearTimeout(timer));
  return { command: [command, ...args].join(" "), code, signal, stdout, stderr, ms: Date.now() - started, timedOut };
}

/** Like `run`, but throws with the command's output when it fails or times out. */
export async function runOk(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    const why = result.timedOut
      ? `timed out after ${options.timeoutMs} ms`
      : `exited with ${result.code ?? result.signal}`;
    throw new Error(`\`${result.command}\` ${why}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  }
  return result;
}

/** The Hardhat CLI of this project (what `npx hardhat` runs), to run with process.execPath. */
export function hardhatCli(): string {
  const pkgJson = require.resolve("hardhat/package.json");
  return path.join(path.dirname(pkgJson), "dist", "src", "cli.js");
}

/** Runs `npx hardhat <args…>` of this project in `cwd`, outside any CI keystore prompt (CI=true, no stdin). */
export async function runHardhat(args: readonly string[], options: RunOptions): Promise<RunResult> {
  return await run(process.execPath, [hardhatCli(), ...args], {
    ...options,
    // CI=true keeps hardhat-keystore from prompting for a password; stdin is closed anyway.
    env: { ...(options.env ?? process.env), CI: "true", FORCE_COLOR: "0", NO_COLOR: "1" },
  });
}

/** npm, run on this Node when the process runs under npm (npm_execpath); else the `npm` on PATH. */
export function npmCommand(): [string, string[]] {
  const execPath = process.env.npm_execpath;
  if (execPath !== undefined && execPath.endsWith("npm-cli.js")) return [process.execPath, [execPath]];
  return [process.platform === "win32" ? "npm.cmd" : "npm", []];
}
