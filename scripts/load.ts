/**
 * `npm run load [-- flags]`: routed payments through one node, measured (issue 15). Starts a local chain, the
 * node service as its own process and N clients over WebSocket on 127.0.0.1, runs the closed loop, the open loop
 * at fixed offered rates and (with `--soak <s>`, or `npm run soak`) the soak, and writes reports/load.md and
 * reports/load-latency.svg. The phases: scripts/load/main.ts. `--help` lists the flags.
 *
 * Bad flags are refused with a message and exit code 2 before anything heavy is loaded. Every child process
 * stops by itself: the node and a throwaway PostgreSQL cluster run under watchdogs that stop them when this
 * process ends (even when killed); SIGINT / SIGTERM stop the run and its children, exit code 130.
 */
import { USAGE, UsageError, parseLoadArgs, type LoadOptions } from "./load/args.js";
import type { LoadNetwork } from "./load/network.js";

/** Set once SIGINT / SIGTERM arrived: the run's own failure (the node stopping under it) is not reported then. */
let interrupted = false;

async function main(): Promise<number> {
  let options: LoadOptions | "help";
  try {
    options = parseLoadArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`load: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }
  let network: LoadNetwork | undefined;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      interrupted = true;
      console.error(`\nload: ${signal}: stopping the node and the chain…`);
      const stopping = network?.stop() ?? Promise.resolve();
      const timer = setTimeout(() => process.exit(130), 20_000);
      void stopping.finally(() => {
        clearTimeout(timer);
        process.exit(130);
      });
    });
  }
  const { default: hre } = await import("hardhat");
  const { runLoad, writeReport } = await import("./load/main.js");
  const result = await runLoad(hre, options, { started: (net) => (network = net) });
  const { markdown } = await writeReport(result, options.outDir);
  console.log(`\n${markdown}`);
  console.log(`written: ${options.outDir}/load.md, ${options.outDir}/load-latency.svg`);
  const failed = result.closed.failed + result.open.reduce((a, s) => a + s.failed, 0);
  return failed > 0 && result.closed.completed === 0 ? 1 : 0;
}

main().then(
  (code) => {
    if (!interrupted) process.exit(code);
  },
  (error: unknown) => {
    if (interrupted) return; // the signal handler exits (130) once the node and the chain stopped
    console.error(`load failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
