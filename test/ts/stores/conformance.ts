/**
 * The conformance suite of SwitchyardStore (not a test file): one set of rules, run unchanged against every
 * backend by a small runner (memory.test.ts, sqlite.test.ts, pglite.test.ts, and the real-server runner).
 * A runner supplies a `StoreHarness`: fresh locations, open, and (when the backend has them) ways to plant bad
 * databases, break the connection, or lose the newest write.
 */
import { expect } from "chai";
import { ZeroAddress as ZERO, id } from "ethers";

import { Channel } from "../../../src/channel/channel.js";
import {
  DoubleSignError,
  SchemaVersionError,
  StoreConflictError,
  StoreCorruptError,
  StoreError,
  StoreLockedError,
  StoreUnavailableError,
} from "../../../src/protocol/errors.js";
import type { ChannelRecord, CoSignedUpdate, PendingSignature } from "../../../src/protocol/record.js";
import { encodeHashlockResolution } from "../../../src/protocol/resolvers.js";
import { transferId } from "../../../src/protocol/transfers.js";
import { MemoryStore } from "../../../src/stores/memory.js";
import type { CommitPointHook, SwitchyardStore } from "../../../src/stores/store.js";
import { CHANNEL, config, fund, hashlockTransfer, pair, preimageOf, run, type Pair } from "../sdk/helpers.js";
import { describeNodeTables } from "./conformanceNode.js";

export interface HarnessOpenOptions {
  onCommitPoint?: CommitPointHook;
}

export type PlantKind = "garbage" | "foreign" | "newer-schema";

export interface StoreHarness {
  name: string;
  /** A new, empty location (a path, a database, a schema...). */
  fresh(): Promise<string>;
  /** Opens (creating on first use) the store at `location`. */
  open(location: string, options?: HarnessOpenOptions): Promise<SwitchyardStore>;
  /** Makes `location` hold a bad database of that kind (only the kinds the backend can have). */
  plant?(location: string, kind: PlantKind): Promise<boolean>;
  /** Cuts the store's connection to its database (backends with a connection). */
  breakConnection?(store: SwitchyardStore): Promise<void>;
  /** Drops the newest committed write behind the store's back (backends that can lose one). */
  loseNewestWrite?(location: string): Promise<void>;
  /** Per-test cleanup after each test (closing stores the test left open). */
  afterEach?(): Promise<void>;
}

export async function rejects<E extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(type);
    return error as E;
  }
  expect.fail(`expected a ${type.name}`);
}

/** Everything a store holds, to compare before and after. */
export async function dump(store: SwitchyardStore): Promise<unknown> {
  const channels = (await store.channels()).sort();
  const records: Array<ChannelRecord | undefined> = [];
  for (const c of channels) records.push(await store.load(c));
  return {
    channels,
    records,
    payments: await store.payments(),
    chainTxs: await store.chainTxs(),
    outbox: await store.outbox(),
  };
}

/** Drives a channel through creates and resolves; leaves alice with a pending signature. */
export async function workload(
  aliceStore: SwitchyardStore,
  count: number,
  bobStore: SwitchyardStore = new MemoryStore(),
): Promise<Pair> {
  const p = await pair(aliceStore, bobStore);
  await fund(p);
  for (let i = 0; i < count; i++) {
    await run(p.alice, p.bob, { type: "create", transfer: hashlockTransfer(i) });
    if (i % 3 === 2) {
      const t = hashlockTransfer(i - 1);
      await run(p.bob, p.alice, {
        type: "resolve",
        transferId: transferId(t),
        toResponder: t.amount,
        resolverData: encodeHashlockResolution(preimageOf(i - 1)),
      });
    }
  }
  await p.alice.propose({ type: "create", transfer: hashlockTransfer(10_000) });
  return p;
}

/** A channel address number `i` (distinct channels for the group-commit tests). */
export function channelAt(i: number): string {
  return `0x${(0xc0ffe00 + i).toString(16).padStart(40, "0")}`;
}

/** A genesis record of channel `i`, as `Channel.create` stores it. */
export async function genesisOf(i: number): Promise<ChannelRecord> {
  const scratch = new MemoryStore();
  const cfg = config("alice", scratch);
  const ch = await Channel.create({ ...cfg, setup: { ...cfg.setup, channel: channelAt(i) } });
  return (await scratch.load(ch.address)) as ChannelRecord;
}

export function describeConformance(harness: StoreHarness): void {
  describe(`SwitchyardStore conformance: ${harness.name}`, function () {
    this.timeout(120_000);
    const open: SwitchyardStore[] = [];
    const openStore = async (location: string, options?: HarnessOpenOptions): Promise<SwitchyardStore> => {
      const store = await harness.open(location, options);
      open.push(store);
      return store;
    };
    const reopen = async (store: SwitchyardStore, location: string): Promise<SwitchyardStore> => {
      await store.close();
      return openStore(location);
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close().catch(() => undefined);
      await harness.afterEach?.();
    });

    it("folds a channel's updates into the same record as the memory store, and keeps it across reopen", async () => {
      const location = await harness.fresh();
      const store = await openStore(location);
      await workload(store, 14);
      const reference = new MemoryStore();
      await workload(reference, 14);
      const expected = await reference.load(CHANNEL);
      expect(await store.load(CHANNEL)).to.deep.equal(expected);
      const again = await reopen(store, location);
      const record = (await again.load(CHANNEL)) as ChannelRecord;
      expect(record).to.deep.equal(expected);
      expect(record.pending?.nonce).to.equal(record.state.nonce + 1n);
      expect(Object.keys(record.resolutions)).to.have.length(4);
      expect(await again.channels()).to.deep.equal([CHANNEL]);
      // The reopened party goes on from the stored record.
      const alice = await Channel.open(config("alice", again));
      expect(alice.pending?.update.state.nonce).to.equal(record.state.nonce + 1n);
    });

    it("refuses entries that do not follow the record and leaves the store exactly as it was, also after reopen", async () => {
      const location = await harness.fresh();
      const store = await openStore(location);
      const p = await pair(store, new MemoryStore());
      await fund(p);
      const proposal = await p.alice.propose({ type: "create", transfer: hashlockTransfer(1) });
      const before = await dump(store);
      const pending = (await store.load(CHANNEL))?.pending as PendingSignature;
      await rejects(store.putSigned(CHANNEL, { ...pending, nonce: pending.nonce + 1n }), StoreError);
      await rejects(store.putSigned(CHANNEL, { ...pending, content: id("other content") }), DoubleSignError);
      await rejects(
        store.putCoSigned(CHANNEL, {
          update: { ...proposal.update, state: { ...proposal.update.state, nonce: 7n } },
          alice: {},
          bob: {},
        }),
        StoreError,
      );
      const other = { ...proposal.update, state: { ...proposal.update.state, transfersRoot: id("another root") } };
      await rejects(
        store.putCoSigned(CHANNEL, { update: other, alice: { state: "0x01" }, bob: { state: "0x02" } }),
        DoubleSignError,
      );
      await rejects(
        store.putCoSigned(CHANNEL, {
          update: proposal.update,
          transferId: transferId(hashlockTransfer(1)),
          alice: proposal.signatures,
          bob: {},
        }),
        StoreError,
      );
      await rejects(store.putSigned("0x00000000000000000000000000000000000beef0", pending), StoreError);
      await rejects(store.create((await store.load(CHANNEL)) as ChannelRecord), StoreError);
      expect(await dump(store)).to.deep.equal(before);
      expect(await dump(await reopen(store, location))).to.deep.equal(before);
    });

    it("refuses every update of a closed channel", async () => {
      const location = await harness.fresh();
      const store = await openStore(location);
      const p = await pair(store, new MemoryStore());
      await fund(p);
      await run(p.alice, p.bob, { type: "close" });
      const record = (await store.load(CHANNEL)) as ChannelRecord;
      expect(record.closed).to.equal(true);
      expect(record.final?.state.nonce).to.equal(2n);
      const before = await dump(store);
      const late: PendingSignature = { nonce: 3n, content: id("late"), update: undefined as never, signatures: {} };
      await rejects(store.putSigned(CHANNEL, late), StoreError);
      expect(await dump(await reopen(store, location))).to.deep.equal(before);
    });

    it("commits a unit atomically: a refused part leaves every other part of it unwritten", async () => {
      const location = await harness.fresh();
      const store = await openStore(location);
      const p = await pair(store, new MemoryStore());
      await fund(p);
      const proposal = await p.alice.propose({ type: "create", transfer: hashlockTransfer(1) });
      const ack = await p.bob.receive(proposal);
      const cosigned: CoSignedUpdate = {
        update: proposal.update,
        transferId: transferId(hashlockTransfer(1)),
        alice: proposal.signatures,
        bob: ack.signatures,
      };
      const payment = {
        lockHash: id("lock 1"),
        status: "forwarded",
        upstreamPeer: p.bob.channelSetup.bob,
        upstreamTransferId: transferId(hashlockTransfer(1)),
        body: { amount: 5n },
        updatedAt: 1,
      };
      const before = await dump(store);
      // The payment expects version 3 of a payment that does not exist: the whole unit is refused.
      await rejects(
        store.write({
          channels: [{ op: "entry", channel: CHANNEL, entry: { kind: "cosigned", cosigned } }],
          payments: [{ payment, expectedVersion: 3 }],
          outbox: [{ id: "m1", recipient: "bob", body: { ack: 1n }, createdAt: 1 }],
        }),
        StoreConflictError,
      );
      expect(await dump(store)).to.deep.equal(before);
      await store.write({
        channels: [{ op: "entry", channel: CHANNEL, entry: { kind: "cosigned", cosigned } }],
        payments: [{ payment, expectedVersion: 0 }],
        outbox: [{ id: "m1", recipient: "bob", body: { ack: 1n }, createdAt: 1 }],
      });
      const again = await reopen(store, location);
      expect((await again.load(CHANNEL))?.state.nonce).to.equal(2n);
      expect((await again.payment(payment.lockHash))?.version).to.equal(1);
      expect((await again.outbox()).map((m) => m.body)).to.deep.equal([{ ack: 1n }]);
    });

    it("group-commits units on different channels that arrive together; a refused one fails alone", async () => {
      const location = await harness.fresh();
      const store = await openStore(location);
      const n = 16;
      const geneses = await Promise.all(Array.from({ length: n }, (_, i) => genesisOf(i)));
      const start = store.stats();
      await Promise.all(geneses.map((g) => store.create(g)));
      const created = store.stats();
      expect(created.units - start.units).to.equal(n);
      expect(created.commits - start.commits).to.be.lessThan(n / 2);
      expect(created.maxUnitsPerCommit).to.be.greaterThan(1);
      const writes = geneses.map((g, i) =>
        i === 5
          ? store.putSigned(g.setup.channel, {
              nonce: 9n,
              content: id("skip"),
              update: undefined as never,
              signatures: {},
            }) // skips nonces
          : store.putResolution(g.setup.channel, id(`t${i}`), `0x0${i % 10}`),
      );
      const settled = await Promise.allSettled(writes);
      expect(settled.filter((s) => s.status === "rejected")).to.have.length(1);
      expect((settled[5] as PromiseRejectedResult).reason).to.be.instanceOf(StoreError);
      const after = store.stats();
      expect(after.units - created.units).to.equal(n - 1);
      expect(after.refused - created.refused).to.equal(1);
      expect(after.commits - created.commits).to.be.lessThan(n / 2);
      const again = await reopen(store, location);
      expect((await again.channels()).length).to.equal(n);
      expect((await again.load(channelAt(3)))?.resolutions[id("t3").toLowerCase()]).to.equal("0x03");
      expect((await again.load(channelAt(5)))?.pending).to.equal(undefined);
    });

    it("keeps every co-signed update with both signatures, in nonce order, across reopen", async () => {
      const location = await harness.fresh();
      const store = await openStore(location);
      await workload(store, 14);
      const record = (await store.load(CHANNEL)) as ChannelRecord;
      const all = await (await reopen(store, location)).history(CHANNEL);
      expect(all.map((c) => c.update.state.nonce)).to.deep.equal(
        Array.from({ length: Number(record.state.nonce) }, (_, i) => BigInt(i + 1)),
      );
      expect(all[all.length - 1]?.update.state).to.deep.equal(record.state);
      const again = open[open.length - 1] as SwitchyardStore;
      expect((await again.history(CHANNEL, 9n)).map((c) => c.update.state.nonce)).to.deep.equal(
        all.filter((c) => c.update.state.nonce > 9n).map((c) => c.update.state.nonce),
      );
      expect(all.every((c) => c.alice.state !== undefined && c.bob.state !== undefined)).to.equal(true);
      expect(await again.history(channelAt(77))).to.deep.equal([]);
    });

    it("batches full updates of many channels running at once into shared commits", async () => {
      const location = await harness.fresh();
      const store = await openStore(location);
      const n = 12;
      const pairs = await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const setup = { ...config("alice", store).setup, channel: channelAt(100 + i) };
          const alice = await Channel.create({ ...config("alice", store), setup });
          const bob = await Channel.create({ ...config("bob", new MemoryStore()), setup });
          return { alice, bob };
        }),
      );
      const start = store.stats();
      const rounds = 3;
      await Promise.all(
        pairs.map(async ({ alice, bob }, i) => {
          await run(alice, bob, { type: "deposit", asset: ZERO, totalDepositsAlice: 10n ** 18n, totalDepositsBob: 0n });
          for (let r = 1; r < rounds; r++) {
            await run(alice, bob, {
              type: "deposit",
              asset: ZERO,
              totalDepositsAlice: BigInt(r + 1) * 10n ** 18n,
              totalDepositsBob: BigInt(i),
            });
          }
        }),
      );
      const after = store.stats();
      // Each update writes alice's store twice (her signature, then the co-signed update).
      expect(after.units - start.units).to.equal(n * rounds * 2);
      expect(after.commits - start.commits).to.be.lessThan((n * rounds * 2) / 2);
      const again = await reopen(store, location);
      for (const { alice } of pairs) {
        expect((await again.load(alice.address))?.state.nonce).to.equal(BigInt(rounds));
      }
    });

    it("keeps writes on one channel in the order they were made", async () => {
      const location = await harness.fresh();
      const store = await openStore(location);
      const p = await pair(store, new MemoryStore());
      await fund(p);
      const proposal = await p.alice.propose({ type: "create", transfer: hashlockTransfer(1) });
      const ack = await p.bob.receive(proposal);
      const pending = (await store.load(CHANNEL))?.pending as PendingSignature;
      const cosigned: CoSignedUpdate = {
        update: proposal.update,
        transferId: transferId(hashlockTransfer(1)),
        alice: proposal.signatures,
        bob: ack.signatures,
      };
      const key = id("ordered");
      // Fired together, not awaited one by one: each must see the one before it.
      const writes = [
        store.putSigned(CHANNEL, pending),
        store.putCoSigned(CHANNEL, cosigned),
        ...Array.from({ length: 10 }, (_, i) =>
          store.putResolution(CHANNEL, key, `0x${i.toString(16).padStart(2, "0")}`),
        ),
      ];
      await Promise.all(writes);
      const record = (await (await reopen(store, location)).load(CHANNEL)) as ChannelRecord;
      expect(record.state.nonce).to.equal(2n);
      expect(record.resolutions[key.toLowerCase()]).to.equal("0x09");
    });

    it("acknowledges nothing before its commit", async () => {
      const location = await harness.fresh();
      const seen: string[] = [];
      let resolved = false;
      const store = await openStore(location, {
        onCommitPoint: (point) => {
          if (point === "before-commit" || point === "unit-written" || point === "begin")
            seen.push(`${point}:${resolved}`);
        },
      });
      await store.create(await genesisOf(1)).then(() => {
        resolved = true;
      });
      expect(seen).to.include("before-commit:false");
      expect(seen.every((s) => s.endsWith(":false"))).to.equal(true);
    });

    it("allows one writer only: a second one is refused by a lock or fences the first", async () => {
      const location = await harness.fresh();
      const first = await openStore(location);
      await first.create(await genesisOf(1));
      let second: SwitchyardStore | undefined;
      try {
        second = await openStore(location);
      } catch (error) {
        expect(error).to.be.instanceOf(StoreLockedError);
      }
      if (second !== undefined) {
        // Fencing: the first may never write again, the second may.
        await rejects(first.putResolution(channelAt(1), id("x"), "0x01"), StoreLockedError);
        await rejects(first.putResolution(channelAt(1), id("x"), "0x02"), StoreLockedError);
        await second.putResolution(channelAt(1), id("x"), "0x03");
        expect((await second.load(channelAt(1)))?.resolutions[id("x").toLowerCase()]).to.equal("0x03");
      } else {
        await first.putResolution(channelAt(1), id("x"), "0x01");
        await first.close();
        const next = await openStore(location); // released by close
        expect((await next.load(channelAt(1)))?.resolutions[id("x").toLowerCase()]).to.equal("0x01");
      }
    });

    it("refuses a database with a newer schema, a corrupt or a foreign one, with typed errors", async function () {
      if (harness.plant === undefined) this.skip();
      const plant = harness.plant.bind(harness);
      const kinds: Array<[PlantKind, abstract new (...args: never[]) => Error]> = [
        ["newer-schema", SchemaVersionError],
        ["garbage", StoreCorruptError],
        ["foreign", StoreCorruptError],
      ];
      let ran = 0;
      for (const [kind, type] of kinds) {
        const location = await harness.fresh();
        if (!(await plant(location, kind))) continue;
        ran++;
        const error = await rejects(openStore(location), type);
        expect(error.message).to.include(kind === "newer-schema" ? "schema version" : "corrupt or foreign");
      }
      expect(ran).to.be.greaterThan(0);
    });

    it("fails a write with StoreUnavailableError when the connection is lost, acknowledging nothing", async function () {
      if (harness.breakConnection === undefined) this.skip();
      const location = await harness.fresh();
      const store = await openStore(location);
      await store.create(await genesisOf(1));
      await harness.breakConnection(store);
      await rejects(store.putResolution(channelAt(1), id("x"), "0x01"), StoreUnavailableError);
    });

    it("never reopens silently at an older state when the newest write disappeared", async function () {
      if (harness.loseNewestWrite === undefined) this.skip();
      const location = await harness.fresh();
      const store = await openStore(location);
      const p = await pair(store, new MemoryStore());
      await fund(p);
      await p.alice.propose({ type: "create", transfer: hashlockTransfer(1) });
      await store.close();
      await harness.loseNewestWrite(location);
      try {
        const again = await openStore(location);
        const record = (await again.load(CHANNEL)) as ChannelRecord;
        expect(record.pending?.nonce, "the signed nonce must still be known").to.equal(2n);
      } catch (error) {
        expect(error).to.be.instanceOf(StoreCorruptError);
      }
    });

    describeNodeTables({ openStore, reopen, fresh: () => harness.fresh() });
  });
}
