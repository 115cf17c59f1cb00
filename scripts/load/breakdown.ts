/**
 * Where a process's CPU goes: a V8 CPU profile (Chrome DevTools' `.cpuprofile` format, as the inspector's
 * `Profiler.stop` returns it) folded into a few categories a reader of the load report can act on (signatures,
 * hashing, the store, the wire codec, sockets, …), by the self time of each sampled frame. Pure: no I/O.
 *
 * Self time, not inclusive: each sample is counted once, in the category of the frame that was running, so the
 * rows add up to the process's busy time. A native call made from JavaScript (SQLite's statements through
 * node:sqlite, libsecp256k1 through the native addon) runs inside its caller's frame as far as the sampler sees,
 * so it lands in its caller's category: SQLite's own work in "store", libsecp256k1's in "signatures".
 *
 * Only the main thread is sampled: work on libuv's thread pool (the WAL's fsync, file writes) and the kernel's
 * part of it are not in the profile; the report sets the profile's busy time against the process's CPU time.
 */

/** The parts of a `.cpuprofile` this reads. */
export interface CpuProfile {
  nodes: ReadonlyArray<{ id: number; callFrame: { functionName: string; url: string } }>;
  samples: readonly number[];
  /** Microseconds before each sample (the first: since the profile's start). */
  timeDeltas: readonly number[];
}

export interface CategoryRow {
  category: string;
  /** Self time in this category, in milliseconds. */
  ms: number;
}

export interface Breakdown {
  /** Sampled time the thread was running something (every row together), in milliseconds. */
  busyMs: number;
  /** Sampled time the thread was idle (waiting in the event loop), in milliseconds. */
  idleMs: number;
  /** By self time, largest first; every category with time in it. */
  rows: CategoryRow[];
}

/** A category and what puts a frame in it (first match wins, in this order). */
interface Rule {
  category: string;
  match(url: string, name: string): boolean;
}

const has = (...parts: string[]) => (url: string) => parts.some((p) => url.includes(p));

/**
 * Native frames (no URL) by name, as V8 names the C++ function JavaScript called: libsecp256k1's addon class;
 * node:sqlite's statement and database methods and the file system's calls (the store is the node's only file
 * user on the hot path: its WAL's fsync); the socket bindings' writes and ws's UTF-8 check.
 */
const SECP256K1_NATIVE = new Set(["Secp256k1Addon"]);
const STORE_NATIVE = new Set(["run", "get", "all", "exec", "prepare", "iterate", "fsync", "fdatasync"]);
const SOCKET_NATIVE = new Set(["writev", "writeBuffer", "writeUtf8String", "writeLatin1String", "onStreamRead", "isUtf8", "readStop", "readStart"]);
const native = (url: string, name: string, names: ReadonlySet<string>): boolean => url === "" && names.has(name);

/** The categories, in the order they are tried. The report lists them by time, not in this order. */
export const RULES: readonly Rule[] = [
  {
    category: "signatures (secp256k1 sign, recover)",
    match: (url, name) =>
      has("/src/crypto/", "/secp256k1/", "/src/protocol/secp256k1.", "/@noble/curves/")(url) || native(url, name, SECP256K1_NATIVE),
  },
  {
    category: "hashing (keccak, EIP-712 digests, merkle, address checksums)",
    match: (url) =>
      has("/@noble/hashes/", "/hash-wasm/", "/src/protocol/digests.", "/src/protocol/hashes.", "/src/protocol/merkle.", "/src/protocol/address.")(url) ||
      url.startsWith("wasm://"),
  },
  {
    category: "store (SQLite or PostgreSQL, the store engine, row codecs, file I/O)",
    match: (url, name) =>
      has("/src/stores/", "node:sqlite", "/node_modules/pg", "/@electric-sql/", "node:internal/fs/")(url) || native(url, name, STORE_NATIVE),
  },
  { category: "wire codec (JSON records, envelopes, message schemas)", match: has("/src/protocol/record.", "/src/wire/", "/node_modules/zod/") },
  { category: "channel updates (state machine, validation, transfers, signing)", match: has("/src/channel/", "/src/protocol/") },
  { category: "routing, client and node logic", match: has("/src/routing/", "/src/node/", "/src/client/", "/scripts/") },
  {
    category: "sockets (WebSocket, TCP, HTTP, streams)",
    match: (url, name) =>
      has("/node_modules/ws/", "node:net", "node:_http", "node:internal/stream", "node:internal/net", "node:internal/http", "node:stream")(url) ||
      native(url, name, SOCKET_NATIVE),
  },
  { category: "metrics and logging (prom-client, pino)", match: has("/prom-client/", "/pino", "/sonic-boom/", "/thread-stream/") },
  { category: "ethers (ABI, bytes, addresses)", match: has("/node_modules/ethers/") },
  { category: "garbage collection", match: (url, name) => url === "" && name === "(garbage collector)" },
  { category: "the embedded chain (EDR: this process serves the node's chain reads)", match: has("/@nomicfoundation/", "/hardhat/") },
  { category: "V8 and Node.js runtime (compiled code, microtasks, timers, other built-ins)", match: () => true },
];

/** The category of one frame. */
export function categoryOf(url: string, functionName: string): string {
  for (const rule of RULES) if (rule.match(url, functionName)) return rule.category;
  return RULES[RULES.length - 1]!.category; // unreachable: the last rule matches everything
}

/** The category of a native frame V8 may have named after another N-API addon's function (see `breakdownOf`). */
export const ADDON_CATEGORY = "native addons: libsecp256k1 (sign, recover) or EDR (the embedded chain)";

/**
 * Folds `profile` into categories (see the module comment). "(idle)" samples are counted apart; "(root)" is
 * never sampled. `addonNames`: in a process with more than one N-API addon (the load generator holds EDR, the
 * embedded chain, besides libsecp256k1), V8 names every N-API call after one of the addons' functions, whichever
 * it is: a native frame with one of these names is counted as ADDON_CATEGORY, not as the runtime.
 */
export function breakdownOf(profile: CpuProfile, addonNames: ReadonlySet<string> = new Set()): Breakdown {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const perNode = new Map<number, number>();
  const n = Math.min(profile.samples.length, profile.timeDeltas.length);
  // Each delta is the time before its sample: the sampled frame ran for (about) the delta after it.
  for (let i = 0; i < n; i++) {
    const next = i + 1 < n ? profile.timeDeltas[i + 1]! : 0;
    const id = profile.samples[i]!;
    perNode.set(id, (perNode.get(id) ?? 0) + Math.max(0, next));
  }
  let idle = 0;
  const byCategory = new Map<string, number>();
  for (const [id, us] of perNode) {
    const frame = byId.get(id);
    if (frame === undefined) continue;
    if (frame.url === "" && (frame.functionName === "(idle)" || frame.functionName === "(root)")) {
      idle += us;
      continue;
    }
    const category =
      frame.url === "" && addonNames.has(frame.functionName) ? ADDON_CATEGORY : categoryOf(frame.url, frame.functionName);
    byCategory.set(category, (byCategory.get(category) ?? 0) + us);
  }
  const rows = [...byCategory]
    .map(([category, us]) => ({ category, ms: us / 1000 }))
    .filter((r) => r.ms > 0)
    .sort((a, b) => b.ms - a.ms);
  return { busyMs: rows.reduce((s, r) => s + r.ms, 0), idleMs: idle / 1000, rows };
}

/** The profiled closed loop's figures, as the report gets them (scripts/load/main.ts). */
export interface ProfiledPhase {
  /** Payments completed in the profiled phase. */
  completed: number;
  rate: number;
  seconds: number;
  /** The node process's CPU (user + system, all its threads) per payment in that phase. */
  nodeCpuMsPerPayment: number;
  /** The load generator's CPU per payment in that phase. */
  clientCpuMsPerPayment: number;
}

const f2 = (v: number): string => (Number.isFinite(v) ? v.toFixed(v < 0.1 ? 3 : 2) : "–");

/**
 * The report's "Where the CPU goes" section: both processes' categories side by side, sorted by the node's. The
 * sampler takes a sample every 500 µs of wall time, so on a shared machine a sample's interval also holds time the
 * thread waited for a core: the shares are the measured figure, and each is turned into milliseconds per payment
 * by the process's own CPU time per payment (/proc: user + system, all threads). `unprofiledNodeMs` is the node's
 * CPU per payment in the unprofiled closed loop, to show the profiler's cost.
 */
export function renderBreakdown(
  phase: ProfiledPhase,
  node: Breakdown,
  clients: Breakdown,
  unprofiledNodeMs: number,
  seconds: number,
): string[] {
  const categories = [...new Set([...node.rows, ...clients.rows].map((r) => r.category))];
  const share = (b: Breakdown, c: string): number => (b.busyMs > 0 ? (b.rows.find((r) => r.category === c)?.ms ?? 0) / b.busyMs : 0);
  categories.sort((a, b) => share(node, b) - share(node, a) || share(clients, b) - share(clients, a));
  const overhead = unprofiledNodeMs > 0 ? (phase.nodeCpuMsPerPayment / unprofiledNodeMs - 1) * 100 : Number.NaN;
  const pc = (v: number): string => `${(100 * v).toFixed(v < 0.01 ? 1 : 0)} %`;
  return [
    "## Where the CPU goes",
    "",
    `A closed loop of ${seconds} s after the phases above, with the node and the load generator under V8's sampling ` +
      `profiler (a sample of each process's main thread every 500 µs, through its inspector; scripts/load/breakdown.ts): ` +
      `${phase.rate.toFixed(0)} payments/s, ${phase.completed.toLocaleString("en-US")} payments, node CPU ` +
      `${f2(phase.nodeCpuMsPerPayment)} ms and clients' CPU ${f2(phase.clientCpuMsPerPayment)} ms per payment` +
      (Number.isFinite(overhead)
        ? ` (node: ${overhead >= 0 ? "+" : ""}${overhead.toFixed(0)} % against the unprofiled closed loop, the profiler's cost and the run's noise).`
        : ".") +
      " A share is the part of the main thread's samples whose running frame is in that category (self time: each " +
      "sample counted once); a native call (SQLite through node:sqlite, libsecp256k1 through its addon) counts in the " +
      "category of the JavaScript that made it, or in the runtime's where V8 sees no JavaScript frame. The milliseconds " +
      "are the share times the process's CPU per payment (user + system, all threads), so they add up to it; work on " +
      "other threads (libuv's pool: the WAL's fsync; V8's collector helpers) is not sampled and is spread by the shares.",
    "",
    "| category | node: share | node: ms per payment | clients: share | clients: ms per payment |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...categories.map(
      (c) =>
        `| ${c} | ${pc(share(node, c))} | ${f2(share(node, c) * phase.nodeCpuMsPerPayment)} | ${pc(share(clients, c))} | ${f2(share(clients, c) * phase.clientCpuMsPerPayment)} |`,
    ),
    `| **all** | 100 % | **${f2(phase.nodeCpuMsPerPayment)}** | 100 % | **${f2(phase.clientCpuMsPerPayment)}** |`,
  ];
}
