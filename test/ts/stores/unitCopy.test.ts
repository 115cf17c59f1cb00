/**
 * The copy a store keeps of a written unit (src/stores/unitCopy.ts): the same data, key order and JSON as a deep
 * copy, the update objects a Channel remembered shared and everything else copied, so that a caller changing its
 * objects after `write` changes nothing stored.
 */
import { expect } from "chai";

import { copyData, encodeJson, isRemembered, rememberContent, updateContent } from "../../../src/protocol/record.js";
import type { ChannelSetup, Update } from "../../../src/protocol/types.js";
import { MemoryStore } from "../../../src/stores/memory.js";
import type { WriteUnit } from "../../../src/stores/store.js";
import { copyUnit } from "../../../src/stores/unitCopy.js";
import { genesisOf } from "./conformance.js";

function updateAt(nonce: bigint, base: Update["state"]): Update {
  return { proposer: "alice", details: { type: "plain" } as Update["details"], state: { ...base, nonce, assets: base.assets.map((a) => ({ ...a })) } };
}

describe("unitCopy: the store's copy of a written unit", () => {
  it("test_copyUnit_sharesOnlyRememberedUpdates_andOtherwiseEqualsADeepCopy", async () => {
    const genesis = await genesisOf(1);
    const setup: ChannelSetup = genesis.setup;
    const remembered = updateAt(1n, genesis.state);
    rememberContent(setup, remembered, updateContent(setup, remembered));
    const foreign = updateAt(2n, genesis.state);
    expect(isRemembered(remembered)).to.equal(true);
    expect(isRemembered(foreign)).to.equal(false);
    const channel = setup.channel;
    const unit: WriteUnit = {
      channels: [
        { op: "entry", channel, entry: { kind: "signed", pending: { nonce: 1n, content: "0x01", update: remembered, signatures: { state: "0xaa" } } } },
        { op: "entry", channel, entry: { kind: "cosigned", cosigned: { update: remembered, transferId: "0x02", alice: { state: "0xaa" }, bob: { state: "0xbb" } } } },
        { op: "entry", channel, entry: { kind: "cosigned", cosigned: { update: foreign, alice: { state: "0xcc" }, bob: { state: "0xdd" } } } },
        { op: "entry", channel, entry: { kind: "resolution", transferId: "0x03", resolverData: "0x04" } },
        { op: "create", record: genesis },
      ],
      payments: [{ payment: { lockHash: "0x05", status: "accepted", upstreamPeer: channel, upstreamTransferId: "0x06", body: { a: [1n, { b: undefined }] }, updatedAt: 1 }, expectedVersion: 0 }],
      delivered: ["x"],
    };
    const copy = copyUnit(unit);
    expect(copy).to.deep.equal(copyData(unit));
    expect(encodeJson(copy)).to.equal(encodeJson(unit));
    const ops = copy.channels ?? [];
    const entry = (i: number): unknown => (ops[i]?.op === "entry" ? ops[i].entry : undefined);
    const signed = entry(0) as { pending: { update: Update; signatures: object } };
    const mine = entry(1) as { cosigned: { update: Update; alice: object } };
    const theirs = entry(2) as { cosigned: { update: Update } };
    expect(signed.pending.update).to.equal(remembered); // shared
    expect(mine.cosigned.update).to.equal(remembered);
    expect(theirs.cosigned.update).to.not.equal(foreign); // copied
    expect(theirs.cosigned.update).to.deep.equal(foreign);
    const original = unit.channels?.[1];
    expect(mine.cosigned.alice).to.not.equal(original?.op === "entry" && original.entry.kind === "cosigned" ? original.entry.cosigned.alice : undefined);
    expect(copy.payments?.[0]?.payment.body).to.not.equal(unit.payments?.[0]?.payment.body);
    // Malformed units are copied as copyData copies them (the engine's checks refuse them after).
    for (const odd of [{ channels: "x" }, { channels: [null, 1, { op: "entry", entry: null }] }] as unknown as WriteUnit[])
      expect(copyUnit(odd)).to.deep.equal(copyData(odd));
  });

  it("test_write_keepsTheUnitAsWritten_whenTheCallerChangesItsObjectsAfterwards", async () => {
    const store = await MemoryStore.open();
    const genesis = await genesisOf(2);
    await store.create(genesis);
    const setup = genesis.setup;
    const update = updateAt(1n, genesis.state);
    const content = updateContent(setup, update);
    rememberContent(setup, update, content);
    const pending = { nonce: 1n, content, update, signatures: { state: "0x" + "aa".repeat(65) } };
    const signedWrite = store.write({ channels: [{ op: "entry", channel: setup.channel, entry: { kind: "signed", pending } }] });
    pending.signatures.state = "0x" + "ee".repeat(65); // after write, before the commit
    pending.nonce = 9n;
    await signedWrite;
    const stored = await store.load(setup.channel);
    expect(stored?.pending?.signatures.state).to.equal("0x" + "aa".repeat(65));
    expect(stored?.pending?.nonce).to.equal(1n);
    const cosigned = { update, alice: { state: "0x" + "aa".repeat(65) }, bob: { state: "0x" + "bb".repeat(65) } };
    const cosignedWrite = store.write({ channels: [{ op: "entry", channel: setup.channel, entry: { kind: "cosigned", cosigned } }] });
    cosigned.bob.state = "0x" + "ff".repeat(65);
    await cosignedWrite;
    expect((await store.load(setup.channel))?.latest?.bobSignature).to.equal("0x" + "bb".repeat(65));
    await store.close();
  });
});
