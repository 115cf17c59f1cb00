/**
 * The chaos run's parameters (`npm run chaos -- --help`): parsed and checked before anything starts, so a bad
 * value stops the script with a clear message and exit code 2 (UsageError) and starts no process.
 */
import { randomInt } from "node:crypto";

export type StoreKind = "sqlite" | "pg";

export interface ChaosOptions {
  /** The node's store: a PostgreSQL throwaway cluster (default) or a SQLite file. */
  store: StoreKind;
  /** The seed of the fault and payment schedule (printed; `--seed` replays a schedule). */
  seed: number;
  /** Client processes (each its own SwitchyardClient and SQLite store). */
  clients: number;
  /** How long the load runs, seconds (faults are spread over it). */
  durationSeconds: number;
  /** SIGKILLs of the node process during the load. */
  nodeKills: number;
  /** Client processes SIGKILLed mid-payment and restarted from their store. */
  clientKills: number;
  /** PostgreSQL restarts under the node (pg store only). */
  pgRestarts: number;
  /** Client connections cut mid-exchange by the TCP proxy. */
  connectionCuts: number;
  /** Payments each payer keeps in flight at once. */
  concurrency: number;
  /** Where the markdown report goes (none when undefined). */
  report?: string;
  /** Progress lines on stdout. */
  verbose: boolean;
}

/** A bad parameter: the script prints `message` and exits with code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const USAGE = `usage: npm run chaos -- [options]

Runs a local chain, the Switchyard node as its own process and client processes paying each other through it,
and injects faults at random moments (node SIGKILL, client SIGKILL mid-payment, PostgreSQL restart, connection
cuts); then stops everything and checks the stores and the chain (docs/NODE.md "Faults").

  --store sqlite|pg       the node's store (default pg: a throwaway PostgreSQL cluster on 127.0.0.1)
  --seed N                seed of the schedule, 0 … 2^32-1 (default: random, printed)
  --clients N             client processes, 2 … 16 (default 6)
  --duration S            seconds of load, 10 … 3600 (default 240)
  --node-kills N          node SIGKILLs, 0 … 200 (default 20)
  --client-kills N        client SIGKILLs mid-payment, 0 … 100 (default 4)
  --pg-restarts N         PostgreSQL restarts (pg store only), 0 … 50 (default 2)
  --cuts N                connection cuts by the proxy, 0 … 200 (default 6)
  --concurrency N         payments in flight per payer, 1 … 8 (default 2)
  --report FILE           write the markdown report there (default reports/chaos.md; "-" for none)
  --quiet                 no progress lines
  --help                  this text`;

const INTEGER = /^(0|[1-9]\d*)$/;

function integer(flag: string, text: string | undefined, min: number, max: number): number {
  if (text === undefined || text.startsWith("--")) throw new UsageError(`${flag} needs a value (an integer ${min} … ${max})`);
  if (!INTEGER.test(text)) throw new UsageError(`${flag} ${text}: not a whole number (an integer ${min} … ${max})`);
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new UsageError(`${flag} ${text}: out of range (an integer ${min} … ${max})`);
  return value;
}

/** Parses `argv` (the arguments after the script's name); `help` when --help was asked. */
export function parseOptions(argv: readonly string[]): ChaosOptions | "help" {
  const o: ChaosOptions = {
    store: "pg",
    seed: randomInt(0, 2 ** 32 - 1),
    clients: 6,
    durationSeconds: 240,
    nodeKills: 20,
    clientKills: 4,
    pgRestarts: 2,
    connectionCuts: 6,
    concurrency: 2,
    report: "reports/chaos.md",
    verbose: true,
  };
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    if (flag === "--help" || flag === "-h") return "help";
    if (seen.has(flag)) throw new UsageError(`${flag} given twice`);
    seen.add(flag);
    const value = (): string | undefined => argv[++i];
    switch (flag) {
      case "--store": {
        const v = value();
        if (v !== "sqlite" && v !== "pg") throw new UsageError(`--store ${v ?? "(missing)"}: sqlite or pg`);
        o.store = v;
        break;
      }
      case "--seed":
        o.seed = integer(flag, value(), 0, 2 ** 32 - 1);
        break;
      case "--clients":
        o.clients = integer(flag, value(), 2, 16);
        break;
      case "--duration":
        o.durationSeconds = integer(flag, value(), 10, 3600);
        break;
      case "--node-kills":
        o.nodeKills = integer(flag, value(), 0, 200);
        break;
      case "--client-kills":
        o.clientKills = integer(flag, value(), 0, 100);
        break;
      case "--pg-restarts":
        o.pgRestarts = integer(flag, value(), 0, 50);
        break;
      case "--cuts":
        o.connectionCuts = integer(flag, value(), 0, 200);
        break;
      case "--concurrency":
        o.concurrency = integer(flag, value(), 1, 8);
        break;
      case "--report": {
        const v = value();
        if (v === undefined || v === "" || (v.startsWith("--") && v !== "-")) throw new UsageError("--report needs a file (or - for none)");
        if (v === "-") delete o.report;
        else o.report = v;
        break;
      }
      case "--quiet":
        o.verbose = false;
        break;
      default:
        throw new UsageError(`unknown option ${flag} (see --help)`);
    }
  }
  if (o.store === "sqlite" && seen.has("--pg-restarts") && o.pgRestarts > 0)
    throw new UsageError("--pg-restarts needs --store pg (a SQLite store has no server to restart)");
  if (o.store === "sqlite") o.pgRestarts = 0;
  const faults = o.nodeKills + o.clientKills + o.pgRestarts + o.connectionCuts;
  if (faults > o.durationSeconds)
    throw new UsageError(`${faults} faults do not fit in ${o.durationSeconds} s (at most one per second: raise --duration)`);
  return o;
}
