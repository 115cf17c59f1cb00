/**
 * `npm run chaos`: the node, its store and client processes under faults, then every store and the chain checked
 * (scripts/chaos/run.ts; docs/NODE.md "Faults"). Bad parameters: a message and exit code 2. Exit 1 when a check
 * failed or the run broke. Every process it starts stops by itself when this one ends, however it ends.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

import { USAGE, UsageError, parseOptions } from "./chaos/options.js";
import { markdown, summary } from "./chaos/report.js";
import { runChaos } from "./chaos/run.js";

let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`chaos: ${error.message}\n\n${USAGE}`);
  process.exit(2);
}
if (options === "help") {
  console.log(USAGE);
  process.exit(0);
}
// Interrupted: exit at once; the watchdogs see their pipes close and stop the node, the chain, PostgreSQL and the
// client processes (their IPC channel closes).
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    console.error(`chaos: ${signal}, stopping`);
    process.exit(130);
  });
}
const log = options.verbose ? (line: string) => console.log(line) : () => undefined;
try {
  const result = await runChaos(options, log);
  for (const line of summary(result)) console.log(line);
  if (options.report !== undefined) {
    const file = path.resolve(options.report);
    await mkdir(path.dirname(file), { recursive: true });
    const args = process.argv.slice(2).join(" ");
    await writeFile(file, markdown(result, `npm run chaos${args === "" ? "" : ` -- ${args}`}`));
    console.log(`report: ${path.relative(process.cwd(), file)}`);
  }
  process.exit(result.passed ? 0 : 1);
} catch (error) {
  console.error(`chaos: the run broke: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
}
