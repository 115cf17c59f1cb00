/**
 * The bound on payments in flight (src/node/admission.ts): refused at the bound with OVERLOADED and a back-off
 * hint, taken again once a slot is free, one slot per lock hash, and a lock never acknowledged freed by the sweep.
 * Over a real socket (nothing signed, nothing pending): test/ts/node/overload.e2e.test.ts.
 */
import { expect } from "chai";

import { Admission, payerShare } from "../../../src/node/admission.js";
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

  it("test_admit_onePayerPastItsShareWhileTheNodeIsBusy_refusedOthersStillTaken", () => {
    let refused = 0;
    // Bound 8, a payer's share 2 once 4 are in flight.
    const a = new Admission({ max: 8, perPayer: 2, staleMs: 10_000, refused: () => refused++ });
    for (let i = 0; i < 4; i++) a.admit(`0xhog${i}`, "hog"); // the node is not busy yet: no share applies
    expect(a.heldBy("hog")).to.equal(4);
    const error = refusal(() => a.admit("0xhog4", "hog"));
    expect(error.code).to.equal("OVERLOADED");
    expect(error.message).to.match(/this payer holds 4 of the node's 4 payments in flight/);
    expect(error.data.retryAfterMs).to.be.within(50, 5_000);
    expect(refused).to.equal(1);
    a.admit("0xother0", "other"); // another payer is taken: the hog cannot keep the node from everyone
    a.admit("0xother1", "other");
    expect(() => a.admit("0xother2", "other")).to.throw(WireError, /this payer holds 2/);
    a.admit("0xpeer0"); // a payment pushed by a peer node names no payer: only the bound applies
    expect(a.size).to.equal(7);
    a.release("0xhog0", true);
    a.release("0xhog1", false);
    expect(a.heldBy("hog")).to.equal(2);
    expect(() => a.admit("0xhog5", "hog")).to.throw(WireError, /this payer holds 2/); // still at its share
    a.release("0xhog2", true);
    a.admit("0xhog5", "hog"); // under its share again
    expect(a.heldBy("hog")).to.equal(2);
    expect(refused).to.equal(3);
  });

  it("test_sweep_freesAPayersShareToo", () => {
    let t = 0;
    const a = new Admission({ max: 4, perPayer: 1, staleMs: 1_000, clock: () => t });
    a.admit("0x01", "p");
    a.admit("0x02", "q");
    expect(() => a.admit("0x03", "p")).to.throw(WireError, /this payer holds 1/);
    t += 2_000;
    expect(a.sweep(() => false)).to.deep.equal(["0x01", "0x02"]);
    expect(a.heldBy("p")).to.equal(0);
    a.admit("0x03", "p");
  });

  it("test_payerShare_aSixteenthOfTheBoundAtLeastOne", () => {
    expect(payerShare(256)).to.equal(16);
    expect(payerShare(10)).to.equal(1);
    expect(payerShare(0)).to.equal(1);
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
