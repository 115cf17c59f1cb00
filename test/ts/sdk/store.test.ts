import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { expect } from "chai";
import { id } from "ethers";

import { Channel } from "../../../src/channel/channel.js";
import { DoubleSignError, StoreCorruptError, StoreError } from "../../../src/protocol/errors.js";
import { decodeJson, type ChannelRecord, type CoSignedUpdate, type PendingSignature } from "../../../src/protocol/record.js";
import { encodeHashlockResolution } from "../../../src/protocol/resolvers.js";
import { FileChannelStore, readStoreFile } from "../../../src/stores/file.js";
import { MemoryChannelStore, type ChannelStore } from "../../../src/stores/store.js";
import { transferId } from "../../../src/protocol/transfers.js";
import { CHANNEL, config, fund, hashlockTransfer, pair, preimageOf, run, snapshotDir, tempDir } from "./helpers.js";

async function rejects<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await promise;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(type);
    return error as E;
  }
  expect.fail(`expected a ${type.name}`);
}

/** Drives a channel through creates and resolves on the given stores. */
async function workload(aliceStore: ChannelStore, bobStore: ChannelStore, count: number): Promise<void> {
  const p = await pair(aliceStore, bobStore);
  await fund(p);
  for (let i = 0; i < count; i++) {
    await run(p.alice, p.bob, { type: "create", transfer: hashlockTransfer(i) });
    if (i % 3 === 2) {
      const t = hashlockTransfer(i - 1);
      await run(p.bob, p.alice, { type: "resolve", transferId: transferId(t), toResponder: t.amount, resolverData: encodeHashlockResolution(preimageOf(i - 1)) });
    }
  }
  await p.alice.propose({ type: "create", transfer: hashlockTransfer(10_000) }); // leaves a pending signature
}

/** Opens the file store in `dir`, runs `use` on it, and closes it (releasing its lock) whatever happens. */
async function withFileStore<T>(dir: string, use: (store: FileChannelStore) => Promise<T>, options = {}): Promise<T> {
  const store = await FileChannelStore.open(dir, options);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** A store that delegates to another but fails the chosen write. */
class FailingStore extends MemoryChannelStore {
  failSigned = false;
  failCoSigned = false;
  override async putSigned(channel: string, pending: PendingSignature): Promise<void> {
    if (this.failSigned) throw new Error("disk full");
    return super.putSigned(channel, pending);
  }
  override async putCoSigned(channel: string, cosigned: CoSignedUpdate): Promise<void> {
    if (this.failCoSigned) throw new Error("disk full");
    return super.putCoSigned(channel, cosigned);
  }
}

describe("SDK store (src/store.ts, src/fileStore.ts)", () => {
  it("folds updates into the same record on files as in memory, across reopen and checkpoints", async () => {
    const dir = await tempDir("store");
    const memory = new MemoryChannelStore();
    const files = await FileChannelStore.open(join(dir, "alice"), { checkpointEvery: 4 });
    await workload(files, new MemoryChannelStore(), 20);
    await workload(memory, new MemoryChannelStore(), 20);
    const expected = await memory.load(CHANNEL);
    expect(await files.load(CHANNEL)).to.deep.equal(expected);
    await files.close();
    const reopened = await FileChannelStore.open(join(dir, "alice"), { checkpointEvery: 4 });
    const record = (await reopened.load(CHANNEL)) as ChannelRecord;
    expect(record).to.deep.equal(expected);
    expect(record.pending?.nonce).to.equal(record.state.nonce + 1n);
    expect(record.transfers.length).to.be.greaterThan(5);
    expect(Object.keys(record.resolutions)).to.have.length(6); // preimages learned from resolves
    // Checkpoints folded the journal: it holds fewer entries than max(checkpointEvery, active transfers).
    const channelDir = join(dir, "alice", CHANNEL.toLowerCase());
    const journal = await readdir(join(channelDir, "journal"));
    expect(journal.length).to.be.lessThan(Math.max(4, record.transfers.length));
    const checkpoint = decodeJson<{ seq: number }>(await readStoreFile(join(channelDir, "checkpoint.json")));
    expect(checkpoint.seq).to.be.greaterThan(20);
    expect(await reopened.channels()).to.deep.equal([CHANNEL]);
    await reopened.close();
  });

  it("refuses an entry that does not follow the record and leaves the files byte-identical", async () => {
    const dir = await tempDir("store");
    const store = await FileChannelStore.open(dir);
    const p = await pair(store, new MemoryChannelStore());
    await fund(p);
    const proposal = await p.alice.propose({ type: "create", transfer: hashlockTransfer(1) });
    const before = await snapshotDir(dir);
    const pending = (await store.load(CHANNEL))?.pending as PendingSignature;
    await rejects(store.putSigned(CHANNEL, { ...pending, nonce: pending.nonce + 1n }), StoreError);
    await rejects(store.putSigned(CHANNEL, { ...pending, content: "0x" + "11".repeat(32) }), DoubleSignError);
    await rejects(store.putCoSigned(CHANNEL, { update: { ...proposal.update, state: { ...proposal.update.state, nonce: 7n } }, alice: {}, bob: {} }), StoreError);
    // Co-signed content other than the signature this party already gave for that nonce.
    const other = { ...proposal.update, state: { ...proposal.update.state, transfersRoot: id("another root") } };
    await rejects(store.putCoSigned(CHANNEL, { update: other, alice: { state: "0x01" }, bob: { state: "0x02" } }), DoubleSignError);
    await rejects(store.putCoSigned(CHANNEL, { update: proposal.update, transferId: transferId(hashlockTransfer(1)), alice: proposal.signatures, bob: {} }), StoreError);
    expect(await snapshotDir(dir)).to.deep.equal(before);
    await store.putSigned(CHANNEL, pending); // the same content again is fine
    await store.close();
  });

  it("detects a corrupt file instead of loading it", async () => {
    const dir = await tempDir("store");
    await withFileStore(dir, (store) => workload(store, new MemoryChannelStore(), 3));
    const journal = join(dir, CHANNEL.toLowerCase(), "journal");
    const [first] = (await readdir(journal)).sort();
    const path = join(journal, first as string);
    const text = await readFile(path, "utf8");
    const flipped = text.slice(0, 20) + (text[20] === "a" ? "b" : "a") + text.slice(21); // one byte of the body
    expect(flipped).to.not.equal(text);
    await writeFile(path, flipped);
    await withFileStore(dir, (store) => rejects(store.load(CHANNEL), StoreCorruptError));
    await writeFile(path, text.slice(0, text.length - 20));
    await withFileStore(dir, (store) => rejects(store.load(CHANNEL), StoreCorruptError));
  });

  it("ignores and removes what a crash leaves behind: temp files and already-checkpointed journal files", async () => {
    const dir = await tempDir("store");
    await withFileStore(dir, (store) => workload(store, new MemoryChannelStore(), 3), { checkpointEvery: 1_000 });
    const expected = await withFileStore(dir, (store) => store.load(CHANNEL));
    const channelDir = join(dir, CHANNEL.toLowerCase());
    const journal = join(channelDir, "journal");
    const names = (await readdir(journal)).sort();
    // A crash during a checkpoint's cleanup: the checkpoint covers entries 1..k but their files remain.
    const checkpointText = await readFile(join(channelDir, "checkpoint.json"), "utf8");
    await writeFile(join(journal, ".000000000099.json.tmp"), "half a wri");
    await writeFile(join(channelDir, ".checkpoint.json.tmp"), "half a checkpo");
    const store = await FileChannelStore.open(dir);
    expect(await store.load(CHANNEL)).to.deep.equal(expected);
    expect((await readdir(journal)).sort()).to.deep.equal(names);
    expect(await readFile(join(channelDir, "checkpoint.json"), "utf8")).to.equal(checkpointText);
    await store.close();
    // A journal file at or below the checkpoint's seq (a crash between a checkpoint and its cleanup) is ignored.
    const small = await FileChannelStore.open(join(dir, "second"), { checkpointEvery: 2 });
    await workload(small, new MemoryChannelStore(), 3);
    const secondJournal = join(dir, "second", CHANNEL.toLowerCase(), "journal");
    const oldEntry = await readFile(join(journal, names[0] as string), "utf8");
    await writeFile(join(secondJournal, names[0] as string), oldEntry); // seq 1 ≤ the checkpoint's seq
    const expectedSecond = await small.load(CHANNEL);
    await small.close();
    const reopened = await FileChannelStore.open(join(dir, "second"));
    expect(await reopened.load(CHANNEL)).to.deep.equal(expectedSecond);
    expect(await readdir(secondJournal)).to.not.include(names[0]);
    await reopened.close();
  });

  it("returns no signature unless the store persisted it first", async () => {
    const aliceStore = new FailingStore();
    const bobStore = new FailingStore();
    const p = await pair(aliceStore, bobStore);
    await fund(p);
    aliceStore.failSigned = true;
    await rejects(p.alice.propose({ type: "create", transfer: hashlockTransfer(1) }), Error);
    expect(p.alice.pending).to.equal(undefined);
    aliceStore.failSigned = false;
    const proposal = await p.alice.propose({ type: "create", transfer: hashlockTransfer(1) });
    bobStore.failCoSigned = true;
    const state = p.bob.state;
    await rejects(p.bob.receive(proposal), Error);
    expect(p.bob.state).to.equal(state);
    expect(p.bob.transfers.size).to.equal(0);
    bobStore.failCoSigned = false;
    aliceStore.failCoSigned = true;
    const ack = await p.bob.receive(proposal);
    await rejects(p.alice.complete(ack), Error);
    expect(p.alice.state.nonce).to.equal(1n);
    aliceStore.failCoSigned = false;
    await p.alice.complete(ack);
    expect(p.alice.state).to.deep.equal(p.bob.state);
    // A reopened channel needs its own record: another party's store is refused.
    await rejects(Channel.open(config("bob", aliceStore)), StoreError);
  });
});
