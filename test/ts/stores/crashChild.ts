/**
 * The child process of crash.test.ts (not a test): both parties of several channels, each party on its own
 * database store (SQLite file or PostgreSQL schema), updating all channels concurrently (so their writes share
 * group commits) until it is killed. The plan comes as JSON in SWITCHYARD_CRASH_PLAN (crashStores.ts).
 *
 * It prints, synchronously, `SENT <channel index> <party> <nonce> <content>` each time a signature leaves a party
 * (right after `propose` or `receive` returned it: the store had committed it), `READY` once it has finished
 * what a previous run left half done, and `ERROR <stack>` on any unexpected error. With a crash point in the plan
 * it SIGKILLs itself, synchronously inside the store's commit-point hook, the n-th time that point is reached.
 *
 * Loaded by Mocha as a test file it does nothing (it runs only as the main module with the env variable set).
 */
import { writeSync } from "node:fs";
import { pathToFileURL } from "node:url";

import type { CommitPoint } from "../../../src/stores/store.js";
import { CRASH_PLAN_ENV, openSides, recover, updateOnce, type CrashPlan, type Sent } from "./crashStores.js";

function say(line: string): void {
  writeSync(1, `${line}\n`);
}

function sent(s: Sent): void {
  say(`SENT ${s.index} ${s.party} ${s.nonce} ${s.content}`);
}

async function main(plan: CrashPlan): Promise<void> {
  let hits = 0;
  const crash = plan.crash;
  const onCommitPoint = (point: CommitPoint, units: number): void => {
    if (crash === undefined || point !== crash.point || (crash.groupOnly && units < 2)) return;
    if (++hits === crash.at) {
      say(`KILL ${point} ${units}`);
      process.kill(process.pid, "SIGKILL");
    }
  };
  const sides = await openSides(plan, onCommitPoint);
  await Promise.all(sides.map((side, index) => recover(index, side, sent)));
  say("READY");
  await Promise.all(
    sides.map(async (side, index) => {
      for (;;) await updateOnce(index, side, sent);
    }),
  );
}

const isMain =
  process.env[CRASH_PLAN_ENV] !== undefined &&
  process.argv[1] !== undefined &&
  import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  main(JSON.parse(process.env[CRASH_PLAN_ENV] as string) as CrashPlan).catch((error: unknown) => {
    say(`ERROR ${String(error instanceof Error ? error.stack : error).replace(/\n/g, " | ")}`);
    process.exit(1);
  });
}
