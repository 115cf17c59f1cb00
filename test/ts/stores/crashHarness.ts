/**
 * The parent side of the database crash campaigns (not a test): runs crashChild.ts again and again on the same
 * stores, SIGKILLs it (by its own commit-point hook, or by a timer), and after every kill reopens both parties'
 * stores to check that everything a party had let leave is still held, that no nonce was ever signed with two
 * contents, and that the channels still open and carry on.
 *
 * The child is bundled once with esbuild (TypeScript compiled, ethers inlined) so that each of the many runs
 * starts in a fraction of the time `tsx` takes; `pg` stays external.
 */
import { fork } from "node:child_process";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { expect } from "chai";
import { build } from "esbuild";

import { Channel } from "../../../src/channel/channel.js";
import { verifySignature } from "../../../src/protocol/signing.js";
import { channelStateDigest } from "../../../src/protocol/typedData.js";
import type { Party } from "../../../src/protocol/types.js";
import type { CommitPoint } from "../../../src/stores/store.js";
import { CHAIN_ID, SETUP, prng } from "../sdk/helpers.js";
import {
  CRASH_PLAN_ENV,
  channelAddress,
  channelConfig,
  openStore,
  type CrashPlan,
  type Sent,
  type StoreLocation,
} from "./crashStores.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../../..");

/**
 * Bundles a child script (crashChild.ts by default) into node_modules/.cache/switchyard, one file per test
 * process (delete it after); returns its path.
 */
export async function bundleChild(entry: string = path.join(HERE, "crashChild.ts")): Promise<string> {
  const outdir = path.join(ROOT, "node_modules", ".cache", "switchyard");
  await mkdir(outdir, { recursive: true });
  const outfile = path.join(outdir, `${path.basename(entry, ".ts")}-${process.pid}.mjs`);
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    outfile,
    external: ["pg", "pg-native", "@electric-sql/pglite"],
    // CommonJS dependencies inlined into an ES module need `require`.
    banner: {
      js: 'import { createRequire as __syCreateRequire } from "node:module"; const require = __syCreateRequire(import.meta.url);',
    },
    logLevel: "warning",
  });
  if (result.errors.length > 0) throw new Error(`bundling ${entry} failed: ${JSON.stringify(result.errors)}`);
  return outfile;
}

interface RunResult {
  sent: Sent[];
  kill?: { point: CommitPoint; units: number };
  ready: boolean;
  signal: NodeJS.Signals | null;
  errors: string[];
}

/** Runs the child once; the parent kills it `killAfterMs` after READY, or after `backstopMs` at the latest. */
function runChild(
  bundle: string,
  plan: CrashPlan,
  killAfterMs: number | undefined,
  backstopMs: number,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = fork(bundle, [], {
      env: { ...process.env, [CRASH_PLAN_ENV]: JSON.stringify(plan) },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      execArgv: ["--no-warnings"],
    });
    const result: RunResult = { sent: [], ready: false, signal: null, errors: [] };
    let buffer = "";
    const kill = (): boolean => child.kill("SIGKILL");
    const backstop = setTimeout(kill, backstopMs);
    child.stdout?.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const [tag, a, b, c, d] = line.split(" ");
        if (tag === "SENT")
          result.sent.push({ index: Number(a), party: b as Party, nonce: BigInt(c as string), content: d as string });
        else if (tag === "KILL") result.kill = { point: a as CommitPoint, units: Number(b) };
        else if (tag === "READY") {
          result.ready = true;
          if (killAfterMs !== undefined) setTimeout(kill, killAfterMs);
        } else if (tag === "ERROR") result.errors.push(line);
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => result.errors.push(chunk.toString("utf8")));
    child.on("error", reject);
    child.on("exit", (_code, signal) => {
      clearTimeout(backstop);
      result.signal = signal;
      resolve(result);
    });
  });
}

/** Everything the campaign learned across runs: what left each party, and the content signed per nonce. */
export class Ledger {
  readonly signed = new Map<string, string>();
  readonly sent: Sent[] = [];
  readonly nonces = new Map<number, bigint>();
  /** Co-signed states whose two signatures were already checked (a state unchanged since is not rechecked). */
  readonly verified = new Set<string>();

  /** Records what left in a run; fails on a second content at a nonce. */
  add(items: readonly Sent[], where: string): void {
    for (const s of items) {
      const key = `${s.index} ${s.party} ${s.nonce}`;
      const before = this.signed.get(key);
      expect(
        before === undefined || before === s.content,
        `${where}: channel ${key} signed with two contents`,
      ).to.equal(true);
      this.signed.set(key, s.content);
      this.sent.push(s);
    }
  }
}

/**
 * Reopens both stores and checks every channel against the ledger: each signature that left a party is held
 * (as the pending signature, or folded into a co-signed state at or past its nonce), the latest state carries
 * both valid signatures, the stored transfers give the stored root, the parties are at most one nonce apart and
 * no channel went backwards. Returns the sum of alice's nonces (progress).
 */
export async function verifyStores(
  plan: Pick<CrashPlan, "alice" | "bob" | "channels">,
  ledger: Ledger,
  where: string,
): Promise<bigint> {
  let progress = 0n;
  const nonces: Record<Party, bigint[]> = { alice: [], bob: [] };
  for (const party of ["alice", "bob"] as const) {
    const store = await openStore(plan[party]);
    try {
      for (let index = 0; index < plan.channels; index++) {
        const channel = channelAddress(index);
        const record = await store.load(channel);
        const mine = ledger.sent.filter((s) => s.index === index && s.party === party);
        if (record === undefined) {
          expect(mine, `${where}: ${party} lost channel ${index}`).to.deep.equal([]);
          nonces[party].push(0n);
          continue;
        }
        // Opening checks that the stored transfers give the stored root.
        const opened = await Channel.open(channelConfig(index, party, store));
        expect(opened.state).to.deep.equal(record.state);
        if (record.latest !== undefined) {
          const digest = channelStateDigest(CHAIN_ID, channel, record.latest.state);
          const key = `${digest} ${record.latest.aliceSignature} ${record.latest.bobSignature}`;
          if (!ledger.verified.has(key)) {
            await verifySignature(SETUP.alice, digest, record.latest.aliceSignature);
            await verifySignature(SETUP.bob, digest, record.latest.bobSignature);
            ledger.verified.add(key);
          }
        }
        for (const s of mine) {
          const held =
            (record.pending?.nonce === s.nonce && record.pending.content === s.content) ||
            record.state.nonce > s.nonce ||
            (record.state.nonce === s.nonce && ledger.signed.get(`${index} ${party} ${s.nonce}`) === s.content);
          expect(
            held,
            `${where}: ${party}'s signature at nonce ${s.nonce} on channel ${index} is not in its store`,
          ).to.equal(true);
        }
        // A pending signature never contradicts one that left earlier at that nonce.
        if (record.pending !== undefined) {
          const known = ledger.signed.get(`${index} ${party} ${record.pending.nonce}`);
          expect(
            known === undefined || known === record.pending.content,
            `${where}: ${party} holds another content at ${record.pending.nonce}`,
          ).to.equal(true);
        }
        nonces[party].push(record.state.nonce);
      }
    } finally {
      await store.close();
    }
  }
  for (let index = 0; index < plan.channels; index++) {
    const a = nonces.alice[index] as bigint;
    const b = nonces.bob[index] as bigint;
    expect(a - b <= 1n && b - a <= 1n, `${where}: channel ${index}: alice at ${a}, bob at ${b}`).to.equal(true);
    const before = ledger.nonces.get(index) ?? 0n;
    expect(a >= before, `${where}: channel ${index} went back from ${before} to ${a}`).to.equal(true);
    ledger.nonces.set(index, a);
    progress += a;
  }
  return progress;
}

export interface CampaignResult {
  kills: number;
  /** Kills by the child's own hook, by point, and how many of them fell in a group commit of 2+ units. */
  byPoint: Partial<Record<CommitPoint, number>>;
  inGroupCommit: number;
  progress: bigint;
  signatures: number;
}

/**
 * Runs `kills` child runs on the stores of `plan`: most kill themselves at a commit point (cycling through
 * `points`, half of them only in a group commit of 2+ units), the rest are killed by the parent at a random
 * moment. Verifies the stores after every kill.
 */
export async function campaign(
  bundle: string,
  plan: Omit<CrashPlan, "crash">,
  options: { kills: number; points: readonly CommitPoint[]; seed: number; timerKills: number },
): Promise<CampaignResult> {
  const random = prng(options.seed);
  const ledger = new Ledger();
  const result: CampaignResult = { kills: 0, byPoint: {}, inGroupCommit: 0, progress: 0n, signatures: 0 };
  for (let run = 0; run < options.kills; run++) {
    const timer = run >= options.kills - options.timerKills;
    const point = options.points[run % options.points.length] as CommitPoint;
    const groupOnly = Math.floor(run / options.points.length) % 2 === 1;
    const crash = timer ? undefined : { point, at: 1 + Math.floor(random() * 8), groupOnly };
    const outcome = await runChild(
      bundle,
      { ...plan, ...(crash === undefined ? {} : { crash }) },
      timer ? Math.floor(random() * 400) : undefined,
      15_000,
    );
    const where = `run ${run} (${crash === undefined ? "timer" : `${crash.point}#${crash.at}${crash.groupOnly ? " in a group commit" : ""}`})`;
    expect(outcome.errors, `${where}: ${outcome.errors.join("\n")}`).to.deep.equal([]);
    expect(outcome.signal, `${where}: the child was not killed`).to.equal("SIGKILL");
    result.kills++;
    if (outcome.kill !== undefined) {
      result.byPoint[outcome.kill.point] = (result.byPoint[outcome.kill.point] ?? 0) + 1;
      if (outcome.kill.units >= 2) result.inGroupCommit++;
    }
    ledger.add(outcome.sent, where);
    result.progress = await verifyStores(plan, ledger, where);
  }
  result.signatures = ledger.sent.length;
  return result;
}
