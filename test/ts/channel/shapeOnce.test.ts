/**
 * The shape of a message is checked once (src/channel/validate.ts at the Channel's boundary), and the state
 * machine runs its rules on that fresh output without a second shape check (SHAPE_CHECKED); every other caller of
 * `nextState` / `applyUpdate` still gets the full shape check.
 */
import { expect } from "chai";

import { MalformedMessageError, MalformedUpdateError } from "../../../src/protocol/errors.js";
import { SHAPE_CHECKED, applyUpdate, nextState } from "../../../src/protocol/stateMachine.js";
import { normalizeTransfer, type Transfer } from "../../../src/protocol/transfers.js";
import { fund, hashlockTransfer, pair, context } from "../sdk/helpers.js";

describe("shape checked once (Channel boundary → state machine)", () => {
  it("test_receive_refusesAnAssetListedTwice_afterTheBoundaryAcceptedItsShape", async () => {
    const p = await pair();
    await fund(p);
    const proposal = structuredClone(await p.alice.propose({ type: "create", transfer: hashlockTransfer(3, "alice", 5n) }));
    const asset = proposal.update.state.assets[0];
    proposal.update.state.assets.push(structuredClone(asset) as NonNullable<typeof asset>);
    const error = await p.bob.receive(proposal).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(MalformedUpdateError);
    expect((error as Error).message).to.match(/appears twice/);
  });

  it("test_propose_storesTheCanonicalTransfer_fromASloppyInput", async () => {
    const p = await pair();
    await fund(p);
    const t = hashlockTransfer(4, "alice", 5n);
    const sloppy: Transfer = { ...t, initiator: t.initiator.toLowerCase(), salt: "0x" + t.salt.slice(2).toUpperCase() };
    const proposal = await p.alice.propose({ type: "create", transfer: sloppy });
    expect((proposal.update.details as { transfer: Transfer }).transfer).to.deep.equal(normalizeTransfer(t));
    await p.alice.complete(await p.bob.receive(proposal));
  });

  it("test_stateMachine_checksShapesForEveryOtherCaller", async () => {
    const p = await pair();
    await fund(p);
    const bad = { ...hashlockTransfer(5, "alice", 5n), amount: "5" as unknown as bigint };
    expect(() => nextState(p.alice.snapshot(), "alice", { type: "create", transfer: bad }, context())).to.throw(MalformedUpdateError);
    const proposal = await p.alice.propose({ type: "create", transfer: hashlockTransfer(5, "alice", 5n) });
    const broken = { ...proposal.update, state: { ...proposal.update.state, nonce: 2 as unknown as bigint } };
    expect(() => applyUpdate(p.bob.snapshot(), broken, context())).to.throw(MalformedUpdateError);
    // The same malformed update at the Channel's boundary is refused there, before the state machine.
    const refused = await p.bob.receive({ ...proposal, update: broken }).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(MalformedMessageError);
    // Given as already checked, the rules still run on it.
    const stale = { ...proposal.update, state: { ...proposal.update.state, nonce: 9n } };
    expect(() => applyUpdate(p.bob.snapshot(), stale, context(), SHAPE_CHECKED)).to.throw(/nonce/i);
  });
});
