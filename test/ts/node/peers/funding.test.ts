/**
 * The peer manager's funding runs (src/node/peers/funding.ts): a drain's `pauseFunding` waits for the top-up a
 * dialed peer's connect started (it was `void fundDialed(d)`, awaited by nothing) as well as the periodic pass,
 * and starts no run after it.
 */
import { expect } from "chai";

import { FundingRuns } from "../../../../src/node/peers/funding.js";

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}
const settled = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
};

describe("peer funding runs (src/node/peers/funding.ts)", () => {
  it("test_pause_waitsForAConnectedPeersTopUpInFlight_andThePass_thenStartsNone", async () => {
    const errors: unknown[] = [];
    const runs = new FundingRuns((e) => errors.push(e));
    const onConnect = deferred();
    const pass = deferred();
    runs.start(() => onConnect.promise);
    runs.passOnce(() => pass.promise);
    let second = 0;
    runs.passOnce(async () => void second++); // a pass still runs: skipped
    expect(runs.inFlight).to.equal(2);

    const paused = runs.pause();
    expect(await settled(paused)).to.equal(false);
    pass.resolve();
    expect(await settled(paused), "the connected peer's top-up is still in flight").to.equal(false);
    onConnect.reject(new Error("deposit refused")); // a failed run is logged, and ends the wait all the same
    expect(await settled(paused)).to.equal(true);
    expect(errors.map((e) => (e as Error).message)).to.deep.equal(["deposit refused"]);

    let started = 0;
    runs.start(async () => void started++);
    runs.passOnce(async () => void started++);
    expect(started + second).to.equal(0);
    expect(runs.inFlight).to.equal(0);
  });
});
