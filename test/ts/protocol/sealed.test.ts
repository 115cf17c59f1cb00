/**
 * Sealed values (src/protocol/sealed.ts): `seal` deep-freezes plain data and records it; only what went through
 * `seal` in this process is sealed; `copyUnsealed` copies as `copyData` does but keeps sealed parts. And what the
 * Channel seals: the store keeps a proposal's entry and co-signed updates uncopied, and since they are frozen no
 * holder (the caller of `propose`, the store) can change what the other holds.
 */
import { expect } from "chai";

import { checkedDetails, checkedProposal } from "../../../src/channel/validate.js";
import { MalformedUpdateError } from "../../../src/protocol/errors.js";
import { copyData } from "../../../src/protocol/record.js";
import { copyUnsealed, isSealed, seal, sealChecked, wasChecked } from "../../../src/protocol/sealed.js";
import type { Transfer } from "../../../src/protocol/transfers.js";
import { MemoryStore } from "../../../src/stores/memory.js";
import { CHANNEL, fund, hashlockTransfer, pair } from "../sdk/helpers.js";

describe("sealed values (src/protocol/sealed.ts)", () => {
  it("test_seal_deepFreezesPlainData_andRecordsEveryPart", () => {
    const value = { a: 1n, list: [{ b: "x" }, 2, true], nested: { c: null } };
    expect(seal(value)).to.equal(value);
    expect(isSealed(value)).to.equal(true);
    for (const part of [value, value.list, value.list[0], value.nested]) {
      expect(Object.isFrozen(part)).to.equal(true);
      expect(isSealed(part)).to.equal(true);
    }
    expect(() => {
      (value.list[0] as { b: string }).b = "y";
    }).to.throw(TypeError);
    expect(() => (value.list as unknown[]).push(3)).to.throw(TypeError);
  });

  it("test_seal_leavesAnythingButPlainDataUnsealedAndUnfrozen", () => {
    class Box {
      v = 1;
    }
    const cases: object[] = [
      { bytes: new Uint8Array(2) },
      { box: new Box() },
      { missing: undefined },
      { date: new Date(0) },
      { fn: () => 1 },
      { map: new Map() },
    ];
    for (const value of cases) {
      expect(seal(value)).to.equal(value);
      expect(isSealed(value)).to.equal(false);
      expect(Object.isFrozen(value)).to.equal(false);
    }
    const frozenElsewhere = Object.freeze({ a: 1 });
    expect(isSealed(frozenElsewhere)).to.equal(false);
    expect(isSealed(structuredClone(seal({ a: 1 })))).to.equal(false);
    expect(isSealed(JSON.parse(JSON.stringify(seal({ a: 2 }))))).to.equal(false);
    expect(seal(5)).to.equal(5);
    expect(isSealed(null)).to.equal(false);
  });

  it("test_copyUnsealed_copiesLikeCopyData_butKeepsSealedParts", () => {
    const shared = seal({ state: { nonce: 3n, assets: [{ asset: "0x00" }] } });
    const unit = { channels: [{ op: "entry", entry: { kind: "cosigned", cosigned: shared }, drop: undefined }] };
    const copy = copyUnsealed(unit);
    expect(copy).to.deep.equal(copyData(unit));
    expect(copy).to.not.equal(unit);
    expect(copy.channels[0]).to.not.equal(unit.channels[0]);
    expect(copy.channels[0]?.entry.cosigned).to.equal(shared);
    expect(Object.keys(copy.channels[0] as object)).to.not.include("drop");
    unit.channels[0]!.entry.kind = "signed";
    expect(copy.channels[0]?.entry.kind).to.equal("cosigned");
  });

  it("test_channel_sealsWhatItStores_andTheStoreKeepsItUncopied", async () => {
    const p = await pair();
    await fund(p);
    const proposal = await p.alice.propose({ type: "create", transfer: hashlockTransfer(1, "alice", 5n) });
    expect(isSealed(proposal.update)).to.equal(true);
    expect(isSealed(proposal.signatures)).to.equal(true);
    // The caller cannot change what alice's store holds for the next nonce (nor what alice will complete).
    expect(() => {
      (proposal.update.state as { nonce: bigint }).nonce = 99n;
    }).to.throw(TypeError);
    const ack = await p.bob.receive(proposal);
    expect(isSealed(ack.signatures)).to.equal(true);
    await p.alice.complete(ack);
    expect(isSealed(p.alice.state)).to.equal(true);
    expect(isSealed(p.bob.state)).to.equal(true);
    const history = await (p.aliceStore as MemoryStore).history(CHANNEL);
    const last = history[history.length - 1];
    expect(last?.update.state).to.deep.equal(p.alice.state);
    // What a store hands out is still a mutable copy.
    expect(isSealed(last?.update)).to.equal(false);
    const loaded = await p.aliceStore.load(CHANNEL);
    expect(isSealed(loaded?.state)).to.equal(false);
    (loaded as { state: { nonce: bigint } }).state.nonce = 0n;
    expect((await p.aliceStore.load(CHANNEL))?.state.nonce).to.equal(p.alice.state.nonce);
  });

  it("test_channelBoundary_recordsWhatItChecked_andNothingElseIsTakenAsChecked", async () => {
    const p = await pair();
    await fund(p);
    const details = checkedDetails({ type: "create", transfer: hashlockTransfer(2, "alice", 5n) }, CHANNEL);
    const transfer = (details as { transfer: Transfer }).transfer;
    expect(wasChecked(transfer, "transfer")).to.equal(true);
    expect(wasChecked(transfer, "update")).to.equal(false);
    expect(isSealed(details)).to.equal(true);
    const proposal = await p.alice.propose(details);
    const checked = checkedProposal(structuredClone(proposal), CHANNEL);
    expect(wasChecked(checked.update, "update")).to.equal(true);
    expect(wasChecked((checked.update.details as { transfer: Transfer }).transfer, "transfer")).to.equal(true);
    expect(wasChecked(structuredClone(checked.update), "update")).to.equal(false);
    expect(wasChecked(proposal.update, "update")).to.equal(false); // sealed by the Channel, not checked as received
    expect(wasChecked(sealChecked({ bytes: new Uint8Array(1) }, "update"), "update")).to.equal(false);
  });

  it("test_receive_ofACheckedUpdate_stillRefusesAnAssetListedTwice", async () => {
    const p = await pair();
    await fund(p);
    const proposal = structuredClone(await p.alice.propose({ type: "create", transfer: hashlockTransfer(3, "alice", 5n) }));
    const asset = proposal.update.state.assets[0];
    proposal.update.state.assets.push(structuredClone(asset) as NonNullable<typeof asset>);
    const error = await p.bob.receive(proposal).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(MalformedUpdateError);
    expect((error as Error).message).to.match(/appears twice/);
  });
});
