/**
 * The bound on payments in flight (src/node/admission.ts): refused at the bound with OVERLOADED and a back-off
 * hint, taken again once a slot is free, one slot per lock hash, and a lock never acknowledged freed by the sweep.
 * Over a real socket (nothing signed, nothing pending): test/ts/node/overload.e2e.test.ts.
 */
import { expect } from "chai";

import { Admission } from "../../../src/node/admission.js";
import { WireError } from "../../../src/wire/codes.js";

function refusal(f: () => void): WireError {
  try {
    f();
  } catch (error) {
    return error as WireError;
  }
  throw new Error("expected a refusal");
}

describe("admission control (payments in flight)", () => {
  it("test_admit_atTheBound_refusedOverloadedWithAHint_thenTakenOnceASlotIsFree", () => {
    let t = 0;
    let refused = 0;
    const a = new Admission({ max: 2, staleMs: 10_000, refused: () => refused++, clock: () => t });
    a.admit("0x01");
    a.admit("0x02");
    const error = refusal(() => a.admit("0x03"));
    expect(error).to.be.instanceOf(WireError);
    expect(error.code).to.equal("OVERLOADED");
    expect(error.rpcCode).to.equal(-32007);
    expect(error.data.retryAfterMs).to.be.within(50, 5_000);
    expect(refused).to.equal(1);
    expect(a.size).to.equal(2);
    a.admit("0x01"); // the same lock hash again (a retry of a lost answer): no second slot, not refused
    expect(a.size).to.equal(2);
    t += 100;
    a.release("0x01", true);
    a.admit("0x03");
    expect(a.size).to.equal(2);
    expect(refused).to.equal(1);
  });

  it("test_retryAfterMs_theTimeToFinishWhatIsHeldAtTheRecentRate", () => {
    let t = 0;
    const a = new Admission({ max: 100, staleMs: 10_000, clock: () => t });
    for (let i = 0; i < 100; i++) a.admit(`0x${i}`);
    expect(a.retryAfterMs()).to.equal(5_000); // nothing finished yet: the longest hint
    for (let i = 0; i < 50; i++) {
      t += 20; // 50 finished per second
      a.release(`0x${i}`, true);
      a.admit(`0xnew${i}`);
    }
    const hint = a.retryAfterMs(); // 100 held at ~50/s over the window: about 1 to 2 s
    expect(hint).to.be.within(1_000, 2_500);
  });

  it("test_sweep_freesOnlyStaleLocksOutOfTheTable", () => {
    let t = 0;
    const a = new Admission({ max: 3, staleMs: 1_000, clock: () => t });
    a.admit("0xacked");
    a.admit("0xlost");
    t = 500;
    a.admit("0xyoung");
    t = 1_200;
    const inTable = new Set(["0xacked"]);
    expect(a.sweep((h) => inTable.has(h))).to.deep.equal(["0xlost"]);
    expect(a.size).to.equal(2);
    a.release("0xnever", false); // not admitted: nothing changes
    expect(a.size).to.equal(2);
  });

  it("test_maxZero_noBound", () => {
    const a = new Admission({ max: 0, staleMs: 1_000 });
    for (let i = 0; i < 1_000; i++) a.admit(`0x${i}`);
    expect(a.size).to.equal(1_000);
  });
});
