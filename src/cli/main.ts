#!/usr/bin/env node
/**
 * The `switchyard` command line.
 *   switchyard --help | --version
 *   switchyard node --config node.json      runs a node until SIGTERM / SIGINT (then drains and exits 0)
 * Exit codes: 0 done, 1 failed at run time, 2 bad usage, 3 bad config (nothing was listening).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

// The node's modules (ethers, zod, pino, ws…) load only when a node starts, so --help answers at once.

const MAIN_HELP = `Usage: switchyard <command> [options]

Commands:
  node     Run a Switchyard node (WebSocket JSON-RPC on /v1, HTTP /v1/info, /health, /ready, /metrics)

Options:
  -h, --help      Show this help (switchyard <command> --help for a command's)
  -v, --version   Print the version

See docs/NODE.md.`;

const NODE_HELP = `Usage: switchyard node --config <file>

Runs a Switchyard node from a JSON config file, validated before anything listens (a bad field stops the
node with exit code 3 and a message naming the field). SIGTERM or SIGINT drains it: it stops accepting,
answers the requests in flight, closes every socket, and exits 0.

Options:
  -c, --config <file>               The node's config (required). Fields: docs/NODE.md "Config"
  --max-payments-in-flight <n>      Routed payments in flight at most; past it payment.send is refused with
                                    OVERLOADED before anything is signed (0: no bound). Default:
                                    $SWITCHYARD_MAX_PAYMENTS_IN_FLIGHT, else the config's wire.maxPaymentsInFlight,
                                    else 256
  -h, --help                        Show this help

The node key never comes from the file: "key": {"keystore": "<v3 JSON>", "passwordEnv": "<VAR>"} or
"key": {"privateKeyEnv": "<VAR>"} name where it is.`;

/** The package's version: package.json is two folders up from src/cli/, three from dist/src/cli/. */
function version(): string {
  for (const relative of ["../../package.json", "../../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "@switchyard/protocol" && pkg.version !== undefined) return pkg.version;
    } catch {
      // not there: try the next
    }
  }
  return "unknown";
}

function usage(message: string): number {
  process.stderr.write(`switchyard: ${message}\n\n${MAIN_HELP}\n`);
  return 2;
}

async function runNode(args: string[]): Promise<number> {
  let values: { config?: string; help?: boolean; "max-payments-in-flight"?: string };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: "string", short: "c" },
        help: { type: "boolean", short: "h" },
        "max-payments-in-flight": { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`switchyard node: ${(error as Error).message}\n\n${NODE_HELP}\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(`${NODE_HELP}\n`);
    return 0;
  }
  if (values.config === undefined) {
    process.stderr.write(`switchyard node: --config is required\n\n${NODE_HELP}\n`);
    return 2;
  }
  const [{ ConfigError, loadConfig, withAdmissionOverride }, { startNode }, { pino }, { selectSecp256k1Backend }] = await Promise.all([
    import("../node/config.js"),
    import("../node/startup.js"),
    import("pino"),
    import("../crypto/index.js"),
  ]);
  // The node signs and recovers 4 signatures per routed payment: native libsecp256k1 where its prebuilt binary
  // loads (12× faster signing, 20× faster recovery than the JavaScript backend, docs/CRYPTO.md), else JavaScript
  // with a process warning. $SWITCHYARD_SECP256K1 (auto | native | js) chooses otherwise.
  let secp256k1: string;
  try {
    secp256k1 = selectSecp256k1Backend();
  } catch (error) {
    process.stderr.write(`switchyard node: ${(error as Error).message}\n`);
    return 2;
  }
  const configFailure = (error: unknown): number => {
    if (error instanceof ConfigError) {
      process.stderr.write(`switchyard node: config error: ${error.message}\n`);
      return 3;
    }
    process.stderr.write(`switchyard node: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  };
  let config;
  try {
    config = withAdmissionOverride(await loadConfig(values.config), values["max-payments-in-flight"], process.env);
  } catch (error) {
    return configFailure(error);
  }
  const logger = pino({ name: "switchyard-node", level: config.log.level });
  logger.info({ secp256k1 }, "secp256k1 backend");
  let service;
  try {
    service = await startNode(config, process.env, logger);
  } catch (error) {
    return configFailure(error);
  }
  const running = service;
  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, "second signal: exiting without waiting");
        resolve(1);
        return;
      }
      stopping = true;
      logger.info({ signal }, "stopping: draining in-flight exchanges");
      running.drain().then(
        () => resolve(0),
        (error: unknown) => {
          logger.error({ err: error }, "drain failed");
          resolve(1);
        },
      );
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    process.stdout.write(`${MAIN_HELP}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === "-v" || command === "--version") {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (command === "node") return runNode(rest);
  return usage(`unknown command ${command}`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`switchyard: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
