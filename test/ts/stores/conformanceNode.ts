/**
 * The node tables part of the conformance suite (conformance.ts): routed payments, learned preimages, outgoing
 * chain transactions and the outbox, each with its compare-and-set or uniqueness rule, across reopen.
 */
import { expect } from "chai";
import { getAddress, id } from "ethers";

import { StoreConflictError, StoreError } from "../../../src/protocol/errors.js";
import type { ChainTxRecord, PaymentRecord, SwitchyardStore } from "../../../src/stores/store.js";

interface Fixture {
  openStore(location: string): Promise<SwitchyardStore>;
  reopen(store: SwitchyardStore, location: string): Promise<SwitchyardStore>;
  fresh(): Promise<string>;
}

const PEER_A = getAddress("0x00000000000000000000000000000000000000a1");
const PEER_B = getAddress("0x00000000000000000000000000000000000000b2");
const NODE = getAddress("0x00000000000000000000000000000000000000c3");
const TARGET = getAddress("0x00000000000000000000000000000000000000d4");

async function conflict(promise: Promise<unknown>): Promise<StoreConflictError> {
  try {
    await promise;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(StoreConflictError);
    return error as StoreConflictError;
  }
  expect.fail("expected a StoreConflictError");
}

function payment(n: number, status: string): Omit<PaymentRecord, "version"> {
  return {
    lockHash: id(`lock ${n}`),
    status,
    upstreamPeer: PEER_A,
    upstreamTransferId: id(`up ${n}`),
    downstreamPeer: PEER_B,
    downstreamTransferId: id(`down ${n}`),
    body: { amount: BigInt(n) * 10n ** 18n, expiry: 1_800_000_000n, note: "fee 1" },
    updatedAt: 1_000 + n,
  };
}

function chainTx(
  name: string,
  nonce: bigint | undefined,
  status: ChainTxRecord["status"] = "queued",
): Omit<ChainTxRecord, "version"> {
  return {
    id: name,
    sender: NODE,
    ...(nonce === undefined ? {} : { nonce }),
    to: TARGET,
    data: "0xabcdef",
    value: 10n ** 18n,
    purpose: "deposit",
    status,
    attempts: [],
    createdAt: 5,
  };
}

export function describeNodeTables(f: Fixture): void {
  describe("node tables", () => {
    it("keeps payments with compare-and-set versions, filtered by status, across reopen", async () => {
      const location = await f.fresh();
      const store = await f.openStore(location);
      await store.write({
        payments: [
          { payment: payment(1, "accepted"), expectedVersion: 0 },
          { payment: payment(2, "accepted"), expectedVersion: 0 },
        ],
      });
      await conflict(store.write({ payments: [{ payment: payment(1, "accepted"), expectedVersion: 0 }] })); // exists already
      await store.write({ payments: [{ payment: payment(1, "forwarded"), expectedVersion: 1 }] });
      await conflict(store.write({ payments: [{ payment: payment(1, "unlocked"), expectedVersion: 1 }] })); // stale version
      const again = await f.reopen(store, location);
      const p1 = (await again.payment(id("lock 1").toUpperCase().replace("0X", "0x"))) as PaymentRecord;
      expect(p1).to.deep.equal({ ...payment(1, "forwarded"), version: 2 });
      expect((await again.payments({ statuses: ["accepted"] })).map((p) => p.lockHash)).to.deep.equal([id("lock 2")]);
      expect(await again.payments()).to.have.length(2);
      expect(await again.payment(id("lock 3"))).to.equal(undefined);
    });

    it("tells whether a lock hash is stored (hasPayment): once written, in any case of its hex, across reopen; not an unknown one's nor a refused unit's", async () => {
      const location = await f.fresh();
      const store = await f.openStore(location);
      const upper = (h: string): string => `0x${h.slice(2).toUpperCase()}`;
      expect(await store.hasPayment(id("lock 1"))).to.equal(false);
      await store.write({ payments: [{ payment: payment(1, "accepted"), expectedVersion: 0 }] });
      // Refused as a whole (its second payment expects a version never stored): its new payment is not stored.
      const refused = [{ payment: payment(2, "accepted"), expectedVersion: 0 }, { payment: payment(1, "forwarded"), expectedVersion: 5 }];
      await conflict(store.write({ payments: refused }));
      expect(await store.hasPayment(id("lock 1"))).to.equal(true);
      expect(await store.hasPayment(upper(id("lock 1")))).to.equal(true);
      expect(await store.hasPayment(id("lock 2"))).to.equal(false);
      // During a group commit: a payment stored before is found; the unit in flight may be (SwitchyardStore.hasPayment).
      const inFlight = store.write({ payments: [{ payment: payment(3, "accepted"), expectedVersion: 0 }] });
      expect(await store.hasPayment(id("lock 1"))).to.equal(true);
      await inFlight;
      expect(await store.hasPayment(id("lock 3"))).to.equal(true);
      const again = await f.reopen(store, location);
      expect([await again.hasPayment(id("lock 1")), await again.hasPayment(id("lock 2")), await again.hasPayment(id("lock 3"))]).to.deep.equal([true, false, true]);
      expect(await again.hasPayment(id("lock 4"))).to.equal(false);
    });

    it("reads the open payments and only the latest finished ones (recentPayments), by last change, across reopen", async () => {
      const location = await f.fresh();
      const store = await f.openStore(location);
      const at = (n: number, status: string, updatedAt: number): Omit<PaymentRecord, "version"> => ({ ...payment(n, status), updatedAt });
      // Finished at 50, 10, 40, 20 (not in lock hash order); two open ones, one of them changed long ago; a tie at 40.
      const rows = [at(1, "completed", 50), at(2, "refunded", 10), at(3, "completed", 40), at(4, "completed", 20), at(5, "accepted", 5), at(6, "forwarded", 60), at(7, "refunded", 40)];
      await store.write({ payments: rows.map((payment) => ({ payment, expectedVersion: 0 })) });
      const again = await f.reopen(store, location);
      const finished = ["completed", "refunded"];
      const hashes = async (latest: number): Promise<string[]> => (await again.recentPayments({ finished, latest })).map((p) => p.lockHash);
      const [l3, l7] = [id("lock 3"), id("lock 7")].sort(); // equal updatedAt: by lock hash
      expect(await hashes(3)).to.deep.equal([id("lock 5"), l3, l7, id("lock 1"), id("lock 6")]);
      expect(await hashes(2)).to.deep.equal([id("lock 5"), l7, id("lock 1"), id("lock 6")]); // the tie: the greater lock hash is the later
      expect(await hashes(0)).to.deep.equal([id("lock 5"), id("lock 6")]);
      expect(await hashes(100)).to.have.length(7);
      expect((await again.recentPayments({ finished: [], latest: 1 })).map((p) => p.lockHash)).to.have.length(7); // none final
      expect((await again.recentPayments({ finished, latest: 1 }))[1]).to.deep.equal({ ...at(1, "completed", 50), version: 1 });
    });

    it("writes a payment's changes of status alone and of hops, each against its version, across reopen", async () => {
      const location = await f.fresh();
      const store = await f.openStore(location);
      const { downstreamPeer: _peer, downstreamTransferId: _id, ...upstreamOnly } = payment(3, "accepted");
      await store.write({ payments: [{ payment: upstreamOnly, expectedVersion: 0 }] });
      await store.write({ payments: [{ payment: { ...upstreamOnly, status: "cancelling", body: { n: 1n } }, expectedVersion: 1 }] });
      await conflict(store.write({ payments: [{ payment: { ...upstreamOnly, status: "x" }, expectedVersion: 1 }] })); // stale
      await conflict(store.write({ payments: [{ payment: payment(3, "forwarded"), expectedVersion: 1 }] })); // stale, new hop
      await store.write({ payments: [{ payment: payment(3, "forwarded"), expectedVersion: 2 }] }); // the downstream hop added
      await store.write({ payments: [{ payment: payment(3, "unlocked"), expectedVersion: 3 }] }); // the status alone
      const moved = { ...payment(3, "forwarded"), downstreamPeer: NODE, downstreamTransferId: id("down 3 again") };
      await store.write({ payments: [{ payment: moved, expectedVersion: 4 }] }); // another downstream hop
      await store.write({ payments: [{ payment: { ...moved, upstreamTransferId: id("up 3 again") }, expectedVersion: 5 }] });
      const again = await f.reopen(store, location);
      expect(await again.payment(id("lock 3"))).to.deep.equal({ ...moved, upstreamTransferId: id("up 3 again"), version: 6 });
      await again.write({ payments: [{ payment: upstreamOnly, expectedVersion: 6 }] }); // the downstream hop dropped
      expect(await again.payment(id("lock 3"))).to.deep.equal({ ...upstreamOnly, version: 7 });
    });

    it("keeps the first preimage of a lock and refuses another one", async () => {
      const location = await f.fresh();
      const store = await f.openStore(location);
      const preimage = { lockHash: id("lock"), resolverData: id("pre"), source: "peer", learnedAt: 7 };
      await store.write({ preimages: [preimage] });
      await store.write({ preimages: [{ ...preimage, source: "chain", learnedAt: 8 }] }); // the same preimage again: kept as first learned
      await conflict(store.write({ preimages: [{ ...preimage, resolverData: id("other") }] }));
      const again = await f.reopen(store, location);
      expect(await again.preimage(id("lock"))).to.deep.equal(preimage);
      expect(await again.preimage(id("unknown"))).to.equal(undefined);
    });

    it("keeps chain transactions with attempts and receipts, one per sender nonce", async () => {
      const location = await f.fresh();
      const store = await f.openStore(location);
      expect(await store.nextNonce(NODE)).to.equal(undefined);
      await store.write({
        chainTxs: [
          { tx: chainTx("a", undefined), expectedVersion: 0 },
          { tx: chainTx("b", 4n, "sent"), expectedVersion: 0 },
        ],
      });
      expect(await store.nextNonce(NODE)).to.equal(5n);
      await conflict(store.write({ chainTxs: [{ tx: chainTx("a", 4n, "sent"), expectedVersion: 1 }] })); // nonce 4 is b's
      const attempt = { hash: id("h1"), maxFeePerGas: 3n * 10n ** 9n, maxPriorityFeePerGas: 10n ** 9n, sentAt: 11 };
      await store.write({
        chainTxs: [{ tx: { ...chainTx("a", 5n, "sent"), attempts: [attempt] }, expectedVersion: 1 }],
      });
      const receipt = { hash: id("h1"), blockNumber: 12n, status: 1, gasUsed: 21_000n };
      await store.write({
        chainTxs: [{ tx: { ...chainTx("a", 5n, "mined"), attempts: [attempt], receipt }, expectedVersion: 2 }],
      });
      await conflict(store.write({ chainTxs: [{ tx: chainTx("a", 5n, "failed"), expectedVersion: 2 }] }));
      const again = await f.reopen(store, location);
      expect(await again.chainTx("a")).to.deep.equal({
        ...chainTx("a", 5n, "mined"),
        attempts: [attempt],
        receipt,
        version: 3,
      });
      expect((await again.chainTxs({ statuses: ["sent"] })).map((t) => t.id)).to.deep.equal(["b"]);
      expect((await again.chainTxs({ sender: NODE.toLowerCase() })).map((t) => t.id)).to.deep.equal(["a", "b"]);
      expect(await again.nextNonce(NODE)).to.equal(6n);
    });

    it("delivers the outbox in order, removes delivered messages and refuses a reused id", async () => {
      const location = await f.fresh();
      const store = await f.openStore(location);
      await store.write({ outbox: [{ id: "m1", recipient: "bob", body: { n: 1n }, createdAt: 1 }] });
      await store.write({
        outbox: [
          { id: "m2", recipient: "carol", channel: PEER_A.toLowerCase(), body: { n: 2n }, createdAt: 2 },
          { id: "m3", recipient: "bob", body: { n: 3n }, createdAt: 3 },
        ],
      });
      await conflict(store.write({ outbox: [{ id: "m2", recipient: "bob", body: {}, createdAt: 4 }] }));
      let again = await f.reopen(store, location);
      expect((await again.outbox()).map((m) => m.id)).to.deep.equal(["m1", "m2", "m3"]);
      expect((await again.outbox({ recipient: "bob" })).map((m) => m.body)).to.deep.equal([{ n: 1n }, { n: 3n }]);
      expect((await again.outbox({ limit: 1 })).map((m) => m.id)).to.deep.equal(["m1"]);
      expect((await again.outbox({ recipient: "carol" }))[0]?.channel).to.equal(PEER_A);
      await again.write({ delivered: ["m1", "m3", "never-queued"] });
      again = await f.reopen(again, location);
      expect((await again.outbox()).map((m) => m.id)).to.deep.equal(["m2"]);
    });

    it("refuses malformed node rows before writing anything", async () => {
      const store = await f.openStore(await f.fresh());
      const bad = [
        { payments: [{ payment: { ...payment(1, "accepted"), lockHash: "lock" }, expectedVersion: 0 }] },
        { payments: [{ payment: payment(1, "accepted"), expectedVersion: -1 }] },
        { chainTxs: [{ tx: { ...chainTx("x", undefined), sender: "not an address" }, expectedVersion: 0 }] },
        { outbox: [{ id: "", recipient: "bob", body: {}, createdAt: 1 }] },
      ];
      for (const unit of bad) {
        try {
          await store.write(unit as never);
          expect.fail("a malformed unit was written");
        } catch (error) {
          expect(error).to.be.instanceOf(Error);
          expect(error).to.not.be.instanceOf(StoreConflictError);
          if (!(error instanceof StoreError)) expect(String(error)).to.match(/address|hex/i);
        }
      }
      expect(await store.payments()).to.deep.equal([]);
      expect(await store.chainTxs()).to.deep.equal([]);
      expect(await store.outbox()).to.deep.equal([]);
    });
  });
}
