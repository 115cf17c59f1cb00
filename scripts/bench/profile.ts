/**
 * Where a full update's CPU goes: the same updates as the bench's memory-store row (one channel pair,
 * alternating hashlock creates and resolves), under V8's sampling profiler (node:inspector, in this process),
 * with each sample given to the part of the SDK its innermost frame belongs to. `npm run bench:profile` prints
 * the table reports/bench.md quotes. The profiler slows everything by a similar factor, so read the shares;
 * the µs column applies the shares to the CPU time per update measured without the profiler in the same run.
 */
import { Session } from "node:inspector/promises";

import type { Channel } from "../../src/channel/channel.js";
import { MemoryChannelStore } from "../../src/stores/store.js";
import { fundedPair, runSteps, startClock, workload } from "./common.js";

/** The parts an update's work is split into, matched on the innermost frame (first match wins). */
const PARTS: Array<{ part: string; match: (fn: string, url: string) => boolean }> = [
  {
    part: "native sign + recover (libsecp256k1)",
    match: (f, u) => f === "Secp256k1Addon" || u.includes("/secp256k1/") || u.endsWith("src/crypto/native.ts"),
  },
  {
    part: "keccak256 / sha256 (hash-wasm)",
    match: (f, u) =>
      u.includes("hash-wasm") ||
      u.startsWith("wasm://") ||
      u.endsWith("src/protocol/hashes.ts") ||
      f.startsWith("js-to-wasm"),
  },
  {
    part: "state machine (rules, transfer ids, merkle, policies)",
    match: (_f, u) => /src\/protocol\/(stateMachine|transfers|merkle|policies|resolvers)\.ts$/.test(u),
  },
  { part: "EIP-712 digests and content hash encoding", match: (_f, u) => u.endsWith("src/protocol/digests.ts") },
  {
    part: "signature framing (checks, hex, recovered address)",
    match: (_f, u) => /src\/protocol\/(signing|secp256k1|hex|address)\.ts$/.test(u),
  },
  {
    part: "store: copy, checks, fold, group commit",
    match: (_f, u) => u.includes("src/stores/") || u.endsWith("src/protocol/record.ts"),
  },
  { part: "Channel (propose / receive / complete)", match: (_f, u) => u.endsWith("src/channel/channel.ts") },
  { part: "garbage collector", match: (f) => f === "(garbage collector)" },
  { part: "ethers", match: (_f, u) => u.includes("/ethers/") },
];
const OTHER = "the rest (promise jobs, timers, loader helpers)";
const SKIP = new Set(["(idle)", "(program)"]);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

/** One row of the split: a part, its share of the samples, and the µs per update that share stands for. */
export interface ProfileRow {
  part: string;
  share: number;
  microseconds: number;
}

/** Runs `count` full updates unprofiled (the CPU time per update), then profiled; the split per part. */
export async function profileUpdates(
  count: number,
  intervalMicros = 100,
): Promise<{ cpuMs: number; rows: ProfileRow[]; top: ProfileRow[] }> {
  const [a, b]: [Channel, Channel] = await fundedPair(new MemoryChannelStore(), new MemoryChannelStore());
  await runSteps(a, b, workload(5_000, 0)); // warm-up: the JIT's steady state takes a few thousand updates
  const plain = workload(count, 2_500);
  const stop = startClock();
  await runSteps(a, b, plain);
  const cpuMs = stop().cpu / count;

  const profiled = workload(count, 2_500 + count);
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: intervalMicros });
  await session.post("Profiler.start");
  await runSteps(a, b, profiled);
  const { profile } = await session.post("Profiler.stop");
  session.disconnect();

  const byId = new Map<number, ProfileNode>((profile.nodes as ProfileNode[]).map((n) => [n.id, n]));
  const tally = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const id of profile.samples ?? []) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const { functionName, url } = node.callFrame;
    if (SKIP.has(functionName)) continue;
    const part = PARTS.find((p) => p.match(functionName, url))?.part ?? OTHER;
    tally.set(part, (tally.get(part) ?? 0) + 1);
    const where = `${functionName || "(anonymous)"} ${url.replace(/^.*\/(node_modules|src)\//, "$1/")}`;
    byFunction.set(where, (byFunction.get(where) ?? 0) + 1);
    total++;
  }
  const rows = [...PARTS.map((p) => p.part), OTHER]
    .map((part) => {
      const share = (tally.get(part) ?? 0) / Math.max(1, total);
      return { part, share, microseconds: share * cpuMs * 1000 };
    })
    .filter((r) => r.share > 0);
  const top = [...byFunction]
    .sort((x, y) => y[1] - x[1])
    .slice(0, 30)
    .map(([part, n]) => ({
      part,
      share: n / Math.max(1, total),
      microseconds: (n / Math.max(1, total)) * cpuMs * 1000,
    }));
  return { cpuMs, rows, top };
}
