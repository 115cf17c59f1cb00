/**
 * A commit whose outcome the writer cannot know (the connection to PostgreSQL lost during COMMIT: the chaos run's
 * PostgreSQL restart, seed 808) may have landed although the Channel was told it failed. The Channel then goes on
 * from the store's record, never from its copy in memory (src/channel/channel.ts `serialize`,
 * ChannelStore.doubtfulCommits). Here a SQLite store commits and then reports the commit failed.
 */
import { join } from "node:path";

import { expect } from "chai";

import { NonceError, StoreUnavailableError } from "../../../src/protocol/errors.js";
import { MemoryStore } from "../../../src/stores/store.js";
import { SqliteStore } from "../../../src/stores/sqlite/index.js";
import { rejects } from "../stores/conformance.js";
import { SETUP, fund, hashlockTransfer, pair, run, tempDir } from "../sdk/helpers.js";

/** A SQLite store whose next COMMIT, once armed, lands and is then reported failed (as a lost connection would). */
async function doubtfulStore(): Promise<{ store: SqliteStore; arm(): void }> {
  const path = join(await tempDir("doubtful"), "alice.db");
  let armed = false;
  const store = await SqliteStore.open(path, {
    onCommitPoint: (point) => {
      if (point !== "commit-sent" || !armed) return;
      armed = false;
      throw new StoreUnavailableError(path, "Connection terminated unexpectedly (during COMMIT)");
    },
  });
  return { store, arm: () => (armed = true) };
}

describe("Channel after a commit of unknown outcome (src/channel/channel.ts)", () => {
  it("test_commitLandedButSeenFailing_theNextUpdateGoesOnFromTheStoresRecord", async () => {
    const { store, arm } = await doubtfulStore();
    const { alice, bob } = await pair(store, new MemoryStore());
    await fund({ alice, bob, aliceStore: store, bobStore: new MemoryStore() });
    const proposal = await alice.propose({ type: "create", transfer: hashlockTransfer(1) });
    const ack = await bob.receive(proposal);
    arm();
    await rejects(alice.complete(ack), StoreUnavailableError);
    const nonce = proposal.update.state.nonce;
    expect((await store.load(SETUP.channel))?.state.nonce, "the commit landed").to.equal(nonce);
    expect(alice.outdated, "the copy in memory may be behind its store").to.equal(true);

    // The acknowledgement sent again is a replay of what the store holds (before: the store refused it for good,
    // "co-signed nonce n does not follow the stored nonce n"), and the next update follows the stored one.
    await rejects(alice.complete(ack), NonceError);
    expect(alice.outdated).to.equal(false);
    expect(alice.state.nonce).to.equal(nonce);
    expect(alice.pending).to.equal(undefined);
    await run(alice, bob, { type: "create", transfer: hashlockTransfer(2) });
    await run(bob, alice, { type: "create", transfer: hashlockTransfer(3, "bob") });
    expect(alice.state).to.deep.equal(bob.state);
    expect(alice.transfers.list().map((t) => t.id)).to.deep.equal(bob.transfers.list().map((t) => t.id));
    expect((await store.load(SETUP.channel))?.state).to.deep.equal(bob.state);
    await store.close();
  });

  it("test_commitOfUnknownOutcome_aChannelThatWroteNothingThenReadsTheStoreOnceAndGoesOn", async () => {
    const { store, arm } = await doubtfulStore();
    const { alice, bob } = await pair(store, new MemoryStore());
    await fund({ alice, bob, aliceStore: store, bobStore: new MemoryStore() });
    arm();
    await rejects(store.write({ preimages: [{ lockHash: "0x" + "11".repeat(32), resolverData: "0x", source: "peer", learnedAt: 1 }] }), StoreUnavailableError);
    expect(alice.outdated).to.equal(true);
    await alice.upToDate();
    expect(alice.outdated).to.equal(false);
    await run(alice, bob, { type: "create", transfer: hashlockTransfer(1) });
    expect(alice.state).to.deep.equal(bob.state);
    await store.close();
  });
});
