/**
 * The shared PostgreSQL store of cluster mode (`PostgresStore.open({shared: true})`, docs/NODE.md "Running N
 * processes") on a real server: two writers of one schema, each with its own cache, and the database deciding
 * which one signs a nonce; a single (exclusive) writer and shared ones refuse each other.
 */
import { expect } from "chai";
import pg from "pg";

import { Channel } from "../../../src/channel/channel.js";
import { StoreConflictError, StoreLockedError } from "../../../src/protocol/errors.js";
import { encodeHashlockResolution } from "../../../src/protocol/resolvers.js";
import { transferId } from "../../../src/protocol/transfers.js";
import { PostgresStore } from "../../../src/stores/postgres/index.js";
import { MemoryStore } from "../../../src/stores/memory.js";
import { CHANNEL, config, fund, hashlockTransfer, pair, preimageOf, run, type Pair } from "../sdk/helpers.js";
import { rejects } from "../stores/conformance.js";
import { useRealPostgres } from "../stores/pgCluster.js";

/**
 * A pool whose sessions hold the first query matching `pattern` after `arm()` until `release()` (another writer
 * commits meanwhile): how two node processes interleave, made deterministic.
 */
function gatedPool(url: string, pattern: RegExp): { pool: pg.Pool; arm(): Promise<void>; release(): void } {
  let gate: { reached: () => void; opened: Promise<void> } | undefined;
  let open!: () => void;
  class GatedClient extends pg.Client {
    override query(...args: unknown[]): never {
      const first = args[0];
      const text = typeof first === "string" ? first : ((first as { text?: string } | undefined)?.text ?? "");
      const held = gate;
      const run = (): unknown => (super.query as (...a: unknown[]) => unknown).apply(this, args);
      if (held === undefined || !pattern.test(text)) return run() as never;
      gate = undefined;
      held.reached();
      if (typeof args.at(-1) === "function") return void held.opened.then(run) as never;
      return held.opened.then(run) as never;
    }
  }
  const pool = new pg.Pool({ connectionString: url, Client: GatedClient, max: 4 });
  return {
    pool,
    arm: () =>
      new Promise<void>((reached) => (gate = { reached, opened: new Promise<void>((resolve) => (open = resolve)) })),
    release: () => open(),
  };
}

describe("cluster: the shared PostgreSQL store", function () {
  this.timeout(120_000);
  const pg = useRealPostgres(this);

  /** A funded channel written by `writer` (one process) and read by `reader` (another) through a gated pool. */
  async function twoProcesses(
    name: string,
    body: (s: { p: Pair; reader: PostgresStore; gated: ReturnType<typeof gatedPool> }) => Promise<void>,
    gate = /sy_transfers WHERE channel/,
  ): Promise<void> {
    const url = await pg.server.createDatabase(name);
    const gated = gatedPool(url, gate);
    const writer = await PostgresStore.open({ url, shared: true });
    const reader = await PostgresStore.open({ pool: gated.pool, shared: true });
    try {
      const p = await pair(writer, new MemoryStore());
      await fund(p);
      await body({ p, reader, gated });
    } finally {
      await writer.close();
      await reader.close();
      await gated.pool.end();
    }
  }

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

  // Found by `npm run cluster:measure` (two processes): "stored transfers give root X, the state says Y" refused a
  // client's intent, because a load read the channel's row and its transfers in separate autocommit reads.
  it("test_sharedStore_aLoadSeesOneSnapshot_aCommitBetweenTheChannelRowAndItsTransfersIsNotMixedIn", () =>
    twoProcesses("snapshot", async ({ p, reader, gated }) => {
      await run(p.alice, p.bob, { type: "create", transfer: hashlockTransfer(1) });
      const before = p.alice.state;
      const reached = gated.arm();
      const loading = reader.load(CHANNEL); // reads the channel's row, then waits before its transfers
      await reached;
      await run(p.alice, p.bob, { type: "create", transfer: hashlockTransfer(2) }); // another process commits
      gated.release();
      const loaded = await loading;
      expect(loaded?.state).to.deep.equal(before);
      expect(loaded?.transfers.map((t) => t.transfer)).to.deep.equal([hashlockTransfer(1)]);
      const copy = await Channel.open(config("alice", reader)); // adopts it: its transfers give its root
      expect(copy.state).to.deep.equal(before);
      await copy.reload();
      expect(copy.state).to.deep.equal(p.alice.state);
    }));

  // Found with the one above: after an evict, a load joined a read begun before it (another process's commit
  // between them), so a process holding the channel's lock could work on a stale nonce (StoreConflictError).
  it("test_sharedStore_aLoadAfterAnEvictNeverTakesAReadBegunBeforeIt", () =>
    twoProcesses("evict", async ({ p, reader, gated }) => {
      const before = p.alice.state.nonce;
      const reached = gated.arm();
      const early = reader.load(CHANNEL); // begun before the commit below
      await reached;
      await run(p.alice, p.bob, { type: "create", transfer: hashlockTransfer(1) });
      reader.evict(CHANNEL);
      const late = reader.load(CHANNEL); // begun after it
      gated.release();
      expect((await early)?.state.nonce).to.equal(before);
      expect((await late)?.state.nonce).to.equal(p.alice.state.nonce);
      expect((await reader.load(CHANNEL))?.state.nonce).to.equal(p.alice.state.nonce); // the early read is not cached
    }));

  // Found by `npm run cluster:measure` (session 6): a payee's claim on channel B records the preimage on the
  // upstream channel A in the same unit, under B's lock. While that unit was in flight, an evict of A (by the same
  // process, now holding A's lock) was skipped, so the exchange on A worked on a copy nonces behind the row:
  // StoreConflictError on a client's intent, or on the node's forward (the payment refunded, "the payee did not
  // claim it"). The evict now waits for this writer's unit and the load reads the row.
  it("test_sharedStore_anEvictWhileThisWritersUnitForTheChannelIsInFlight_theNextLoadReadsTheRow", () =>
    twoProcesses(
      "inflight",
      async ({ p, reader, gated }) => {
        const t = hashlockTransfer(1);
        await run(p.alice, p.bob, { type: "create", transfer: t });
        expect((await reader.load(CHANNEL))?.state.nonce).to.equal(p.alice.state.nonce); // cached by this process
        const reached = gated.arm();
        const recorded = reader.putResolution(CHANNEL, transferId(t), encodeHashlockResolution(preimageOf(1)));
        await reached; // this process's unit is being committed
        await run(p.alice, p.bob, { type: "create", transfer: hashlockTransfer(2) }); // another process moves the row
        reader.evict(CHANNEL);
        const loaded = reader.load(CHANNEL);
        gated.release();
        await recorded;
        const record = await loaded;
        expect(record?.state.nonce).to.equal(p.alice.state.nonce);
        expect(record?.resolutions[transferId(t).toLowerCase()]).to.equal(encodeHashlockResolution(preimageOf(1)));
      },
      /sy_resolutions/,
    ));

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
