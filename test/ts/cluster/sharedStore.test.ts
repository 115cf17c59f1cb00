/**
 * The shared PostgreSQL store of cluster mode (`PostgresStore.open({shared: true})`, docs/NODE.md "Running N
 * processes") on a real server: two writers of one schema, each with its own cache, and the database deciding
 * which one signs a nonce; a single (exclusive) writer and shared ones refuse each other.
 */
import { expect } from "chai";

import { Channel } from "../../../src/channel/channel.js";
import { StoreConflictError, StoreLockedError } from "../../../src/protocol/errors.js";
import { PostgresStore } from "../../../src/stores/postgres/index.js";
import { MemoryStore } from "../../../src/stores/memory.js";
import { CHANNEL, config, fund, hashlockTransfer, pair, run } from "../sdk/helpers.js";
import { rejects } from "../stores/conformance.js";
import { useRealPostgres } from "../stores/pgCluster.js";

describe("cluster: the shared PostgreSQL store", function () {
  this.timeout(120_000);
  const pg = useRealPostgres(this);

  it("test_sharedStore_secondContentAtASignedNonceIsRefusedByTheDatabase", async () => {
    const url = await pg.server.createDatabase("shared");
    const first = await PostgresStore.open({ url, shared: true });
    const second = await PostgresStore.open({ url, shared: true });
    try {
      const p = await pair(first, new MemoryStore());
      await fund(p);
      // A second process's copy of the channel, read before the first one signs nonce 2.
      const stale = await Channel.open(config("alice", second));
      const signed = await p.alice.propose({ type: "create", transfer: hashlockTransfer(1) });
      // Its cache and memory say nonce 2 is free; the row says it is signed: refused, no signature returned.
      await rejects(stale.propose({ type: "create", transfer: hashlockTransfer(2) }), StoreConflictError);
      expect(stale.pending).to.equal(undefined);
      await stale.reload();
      expect(stale.pending?.update).to.deep.equal(signed.update);
      // The co-signed update one process stores is what the other reads after a reload.
      const ack = await p.bob.receive(signed);
      await p.alice.complete(ack);
      await stale.reload();
      expect(stale.state).to.deep.equal(p.alice.state);
      expect(stale.pending).to.equal(undefined);
      // A channel moved by one writer is behind in the other's cache until evicted (what a cluster does first).
      await run(p.alice, p.bob, { type: "create", transfer: hashlockTransfer(3) });
      expect((await second.load(CHANNEL))?.state.nonce).to.equal(p.alice.state.nonce - 1n);
      second.evict(CHANNEL);
      expect((await second.load(CHANNEL))?.state.nonce).to.equal(p.alice.state.nonce);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it("test_sharedStore_anExclusiveWriterAndSharedOnesRefuseEachOther", async () => {
    const url = await pg.server.createDatabase("exclusive");
    const shared = await PostgresStore.open({ url, shared: true });
    await rejects(PostgresStore.open({ url }), StoreLockedError);
    await shared.close();
    const single = await PostgresStore.open({ url });
    await rejects(PostgresStore.open({ url, shared: true }), StoreLockedError);
    await single.close();
  });
});
