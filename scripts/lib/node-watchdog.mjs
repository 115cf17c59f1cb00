#!/usr/bin/env node
// Runs a local JSON-RPC node (anvil or `hardhat node`) as its only child and guarantees that it stops by itself:
//   - when this process's stdin ends (its parent exited or was killed: the pipe closes),
//   - on SIGTERM / SIGINT / SIGHUP,
//   - after SWITCHYARD_NODE_LIFETIME_MS milliseconds (default 120000) at the latest.
// Plain JavaScript so that Node runs it without a TypeScript loader. Usage (see scripts/lib/local-node.ts):
//   node node-watchdog.mjs <command> [arguments…]
// The first line it prints is `node-watchdog pid <node pid>`. Keep its stdin a pipe: at end of input it stops.
import { spawn } from "node:child_process";

const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
  console.error("usage: node-watchdog.mjs <command> [arguments…]");
  process.exit(2);
}
const lifetime = Number(process.env.SWITCHYARD_NODE_LIFETIME_MS ?? "120000");

const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"] });
process.stdout.write(`node-watchdog pid ${child.pid}\n`);

// With the parent gone, its end of the stdout/stderr pipes is closed: a write fails (EPIPE). That must never crash
// this process before it has stopped the child (a node left running on its own, ignoring the SIGTERM while it
// drains towards a database that is gone).
process.stdout.on("error", () => undefined);
process.stderr.on("error", () => undefined);

let stopping = false;
function stop(reason) {
  if (stopping) return;
  stopping = true;
  if (child.exitCode === null && child.signalCode === null) {
    process.stderr.write(`node-watchdog: stopping the node (${reason})\n`);
    child.kill("SIGTERM");
    // Kept referenced: this process waits for the child to be gone, by SIGKILL if the SIGTERM is not enough.
    setTimeout(() => child.kill("SIGKILL"), 3000);
  }
}

process.stdin.on("end", () => stop("parent gone"));
process.stdin.on("error", () => stop("parent gone"));
process.stdin.resume();
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, () => stop(signal));
setTimeout(() => stop(`lifetime of ${lifetime} ms reached`), lifetime).unref();

child.on("error", (error) => {
  process.stderr.write(`node-watchdog: cannot start ${command}: ${error.message}\n`);
  process.exit(127);
});
child.on("exit", (code, signal) => {
  process.exit(code ?? (signal === null || stopping ? 0 : 1));
});
