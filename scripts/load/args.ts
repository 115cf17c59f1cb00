/**
 * The flags of `npm run load` / `npm run soak`, checked before anything heavy is loaded: a bad flag is refused
 * with a message naming it and the usage, exit code 2 (scripts/load.ts).
 */
import { parseArgs } from "node:util";

/** Where the node keeps its state during the run. */
export type StoreChoice =
  | { kind: "sqlite" }
  /** A throwaway PostgreSQL cluster started for the run (scripts/lib/pg-cluster.ts). */
  | { kind: "pg" }
  | { kind: "postgres"; url: string };

export interface LoadOptions {
  /** Clients paying each other during the closed-loop run and the open-loop steps. */
  clients: number;
  /** The closed-loop run: this many seconds, unless `payments` is given. */
  durationSeconds: number;
  /** The closed-loop run: stop after this many payments completed or failed (instead of a duration). */
  payments?: number;
  /** Payments each client keeps in flight during the closed-loop run. */
  concurrency: number;
  /**
   * Offered rates (payments/s) of the open-loop steps, in order; empty: no open loop; "auto": fractions of the
   * rate the closed loop achieved (AUTO_RATE_FRACTIONS), so the steps reach past saturation on any machine.
   */
  rates: number[] | "auto";
  /** Seconds of each open-loop step. */
  rateSeconds: number;
  /** Fresh clients whose time to first payment is measured (one after the other, on an idle node). */
  fresh: number;
  store: StoreChoice;
  /** The soak: seconds at half the closed-loop rate (0: none). Sampled every `sampleSeconds`. */
  soakSeconds: number;
  sampleSeconds: number;
  /** The soak's offered rate; default: half the rate the closed-loop run achieved. */
  soakRate?: number;
  /** Where load.md and load-latency.svg go. */
  outDir: string;
  /** The node's pino level during the run. */
  nodeLog: "info" | "warn" | "error";
  /** Keep the node's log as this file. */
  nodeLogFile?: string;
  /** Run the node with --cpu-prof; the profile goes to this folder. */
  cpuProfDir?: string;
  /** Profile this (the load generator's, the clients') process during the closed loop only, into this folder. */
  clientProfDir?: string;
  /** Seconds of the profiled closed loop (node and clients under the CPU profiler, for "Where the CPU goes"); 0: none. */
  breakdownSeconds: number;
  /** Seed of the random payees and amounts. */
  seed: number;
}

/** The open-loop steps of `--rates auto`, as fractions of the closed loop's rate. */
export const AUTO_RATE_FRACTIONS = [0.25, 0.5, 0.75, 1, 1.25, 1.5];

export const USAGE = `usage: npm run load [-- flags]      (npm run soak = npm run load -- --soak 600)

  --clients <n>        clients paying each other (default 100)
  --duration <s>       closed-loop run length in seconds (default 30)
  --payments <n>       closed-loop run: stop after n payments instead of a duration
  --concurrency <n>    payments each client keeps in flight in the closed loop (default 1)
  --rates <r,r,…>      open-loop offered rates in payments/s; "auto" (default): 0.25, 0.5, 0.75, 1, 1.25 and
                       1.5 × the closed loop's rate; "none": no open loop
  --rate-seconds <s>   seconds per open-loop rate (default 10)
  --fresh <n>          fresh clients timed to their first payment (default 10)
  --store <s>          sqlite (default) | pg (a throwaway PostgreSQL cluster) | postgres://user@host:port/db
                       (an empty database)
  --soak <s>           then soak at half the closed-loop rate for s seconds (default 0: no soak)
  --soak-rate <r>      the soak's offered rate instead of half the closed-loop rate
  --sample <s>         soak sampling interval in seconds (default 10)
  --out <dir>          where load.md and load-latency.svg go (default reports)
  --node-log <level>   the node's log level: warn (default), info, error
  --node-log-file <f>  keep the node's log as file f (default: deleted with the run's temporary folder)
  --cpu-prof <dir>     run the node with --cpu-prof, the profile written to <dir>
  --client-prof <dir>  profile the clients' process (this one) during the closed loop only, into <dir>
  --breakdown <s>      then a closed loop of s seconds with the node and the clients under the CPU profiler:
                       the report's "Where the CPU goes" (default 10; 0: none)
  --seed <n>           seed of the random payees and amounts (default 1)
  --help               print this and exit

Default runtime (no flags): about 3 to 4 minutes (set-up, a 30 s closed loop, six 10 s open-loop steps, a
10 s profiled closed loop).`;

/** A flag refused: the message names it. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

function integer(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text))
    throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, not "${text}"`);
  const value = Number(text);
  if (value < min || value > max) throw new UsageError(`--${flag} must be from ${min} to ${max}, not ${value}`);
  return value;
}

function rates(text: string | undefined): number[] | "auto" {
  if (text === undefined || text === "auto") return "auto";
  if (text === "none") return [];
  const parts = text.split(",").map((p) => p.trim());
  const values = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  if (parts.length === 0 || values.some((v) => !Number.isSafeInteger(v) || v < 1 || v > 100_000))
    throw new UsageError(
      `--rates must be a comma-separated list of rates from 1 to 100000 payments/s (or "auto" or "none"), not "${text}"`,
    );
  return values;
}

function store(text: string | undefined): StoreChoice {
  if (text === undefined || text === "sqlite") return { kind: "sqlite" };
  if (text === "pg") return { kind: "pg" };
  if (/^postgres(ql)?:\/\/[^\s]+$/.test(text)) return { kind: "postgres", url: text };
  throw new UsageError(`--store must be sqlite, pg or a postgres:// URL, not "${text}"`);
}

/** The options, `"help"`, or a UsageError naming what is wrong. */
export function parseLoadArgs(argv: readonly string[]): LoadOptions | "help" {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        clients: { type: "string" },
        duration: { type: "string" },
        payments: { type: "string" },
        concurrency: { type: "string" },
        rates: { type: "string" },
        "rate-seconds": { type: "string" },
        fresh: { type: "string" },
        store: { type: "string" },
        soak: { type: "string" },
        "soak-rate": { type: "string" },
        sample: { type: "string" },
        out: { type: "string" },
        "node-log": { type: "string" },
        "node-log-file": { type: "string" },
        "cpu-prof": { type: "string" },
        "client-prof": { type: "string" },
        breakdown: { type: "string" },
        seed: { type: "string" },
        help: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help === true) return "help";
  const text = (name: string): string | undefined => {
    const v = values[name];
    return typeof v === "string" ? v : undefined;
  };
  const nodeLog = text("node-log") ?? "warn";
  if (nodeLog !== "info" && nodeLog !== "warn" && nodeLog !== "error")
    throw new UsageError(`--node-log must be info, warn or error, not "${nodeLog}"`);
  const out = text("out") ?? "reports";
  if (out === "") throw new UsageError("--out must name a folder");
  const cpuProf = text("cpu-prof");
  if (cpuProf === "") throw new UsageError("--cpu-prof must name a folder");
  const clientProf = text("client-prof");
  if (clientProf === "") throw new UsageError("--client-prof must name a folder");
  const options: LoadOptions = {
    clients: integer("clients", text("clients"), 100, 2, 1000),
    durationSeconds: integer("duration", text("duration"), 30, 1, 3_600),
    concurrency: integer("concurrency", text("concurrency"), 1, 1, 64),
    rates: rates(text("rates")),
    rateSeconds: integer("rate-seconds", text("rate-seconds"), 10, 1, 600),
    fresh: integer("fresh", text("fresh"), 10, 1, 100),
    store: store(text("store")),
    soakSeconds: integer("soak", text("soak"), 0, 0, 86_400),
    sampleSeconds: integer("sample", text("sample"), 10, 1, 600),
    outDir: out,
    nodeLog,
    breakdownSeconds: integer("breakdown", text("breakdown"), 10, 0, 600),
    seed: integer("seed", text("seed"), 1, 0, 2 ** 31),
  };
  if (text("payments") !== undefined) options.payments = integer("payments", text("payments"), 0, 1, 10_000_000);
  if (text("soak-rate") !== undefined) options.soakRate = integer("soak-rate", text("soak-rate"), 0, 1, 100_000);
  if (cpuProf !== undefined) options.cpuProfDir = cpuProf;
  if (clientProf !== undefined) options.clientProfDir = clientProf;
  const logFile = text("node-log-file");
  if (logFile === "") throw new UsageError("--node-log-file must name a file");
  if (logFile !== undefined) options.nodeLogFile = logFile;
  return options;
}
