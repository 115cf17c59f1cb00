/**
 * The client's own store commit with an unknown outcome (the connection to its database lost after COMMIT was
 * sent: the write landed, the session was told it failed), in a ClientSession over real sockets to an in-process
 * node. The client's SQLite store commits and then reports the commit failed, once. The session must go on from
 * what its store holds: its co-signed update is answered from the store (the stored signatures sent again), it
 * signs no nonce twice, and both sides end at the same latest state.
 */
import { join } from "node:path";

import { expect } from "chai";
import { ZeroAddress, id, toBeHex, zeroPadValue } from "ethers";

import { StoreUnavailableError } from "../../../src/protocol/errors.js";
import { encodeHashlockTerms, hashlockLock } from "../../../src/protocol/resolvers.js";
import type { Transfer } from "../../../src/protocol/transfers.js";
import { SqliteStore } from "../../../src/stores/sqlite/index.js";
import type { ClientSession } from "../../../src/wire/session.js";
import { ADDRESSES } from "../node/harness.js";
import {
  clientWalletOf,
  depositChain,
  doubleSigned,
  loggingSigner,
  session,
  startInProcessNode,
  type InProcessNode,
  type SignatureEntry,
} from "../node/inProcess.js";
import { tempDir } from "../sdk/helpers.js";

const ETH = 10n ** 18n;
const DEPOSITS = { alice: 10n * ETH, bob: 10n * ETH };
const deposit = {
  type: "deposit" as const,
  asset: ZeroAddress,
  totalDepositsAlice: DEPOSITS.alice,
  totalDepositsBob: DEPOSITS.bob,
};

function lock(s: ClientSession, tag: string): Transfer {
  const setup = s.channel.channelSetup;
  const preimage = zeroPadValue(toBeHex(BigInt(id(tag)) >> 8n), 32);
  return {
    channel: setup.channel,
    resolver: ADDRESSES.HashlockResolver,
    asset: ZeroAddress,
    amount: 10n ** 15n,
    initiator: setup.bob,
    responder: setup.alice,
    timeout: 3_600n,
    salt: id(`salt ${tag}`),
    data: encodeHashlockTerms({
      lockHash: hashlockLock(preimage),
      expiry: BigInt(Math.floor(Date.now() / 1000)) + 7n * 86_400n,
    }),
  };
}

/** A client SQLite store whose next co-signed write (once `arm()`ed) commits and is then reported failed. */
async function doubtfulStore(tag: string): Promise<{ store: SqliteStore; arm: () => void; fired: () => boolean }> {
  const path = join(await tempDir(`session-doubt-${tag}`), "client.db");
  let armed = false;
  let fired = false;
  const store = await SqliteStore.open(path, {
    onCommitPoint: (point) => {
      if (point !== "commit-sent" || !armed) return;
      armed = false;
      fired = true;
      throw new StoreUnavailableError(path, "Connection terminated unexpectedly (during COMMIT)");
    },
  });
  return { store, arm: () => (armed = true), fired: () => fired };
}

/** The client's ChannelState signatures at `nonce`. */
const statesAt = (log: readonly SignatureEntry[], nonce: bigint): number =>
  log.filter((e) => e.primaryType === "ChannelState" && e.nonce === nonce.toString()).length;

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 25));
  if (!(await check())) throw new Error(`timed out waiting for ${what}`);
}

describe("ClientSession after its own store commit of unknown outcome", function () {
  this.timeout(60_000);
  let node: InProcessNode;

  beforeEach(async () => {
    node = await startInProcessNode({ chain: depositChain(DEPOSITS), peerTimeoutMs: 5_000 });
  });
  afterEach(async () => node?.stop());

  it("test_pushedProposalStoredButSeenFailing_theSyncSendsTheStoredAckAndSignsNothingTwice", async () => {
    const wallet = clientWalletOf("doubt push");
    const log: SignatureEntry[] = [];
    const { store, arm, fired } = await doubtfulStore("push");
    const s = await session(node.url, loggingSigner(wallet, log), store);
    const errors: Error[] = [];
    s.onError((e) => errors.push(e));
    await s.propose(deposit);

    // The node pays the client: the client co-signs nonce 2, its commit lands, and it is told the commit failed.
    arm();
    const paid = node.service.payClient(wallet.address, ZeroAddress, ETH).then(
      () => "co-signed",
      (e: unknown) => String(e),
    );
    await until(() => fired() && errors.length > 0, "the client's doubtful commit");
    expect((await store.load(s.channel.address))?.state.nonce, "the co-signed update landed").to.equal(2n);

    await s.sync(); // the node still waits on nonce 2: the client answers it from its store
    const channel = await node.service.nodeChannels.channelOf(wallet.address);
    await until(() => channel.pending === undefined, "the node's proposal answered");
    expect(channel.latest).to.deep.equal(s.channel.latest);
    expect(s.channel.state.nonce).to.equal(2n);
    expect(statesAt(log, 2n), "nonce 2 signed once").to.equal(1);
    expect(doubleSigned(log)).to.deep.equal([]);
    expect(await paid).to.equal("co-signed");

    // The channel goes on: the client's next intent is signed at nonce 3.
    const next = await s.propose({ type: "create", transfer: lock(s, "after push") });
    expect(next.state.nonce).to.equal(3n);
    expect((await node.service.nodeChannels.channelOf(wallet.address)).latest).to.deep.equal(s.channel.latest);
    await s.close();
    await store.close();
  });

  it("test_ownIntentStoredButSeenFailing_theProposeReportsItCoSignedAndNothingIsSignedTwice", async () => {
    const wallet = clientWalletOf("doubt intent");
    const log: SignatureEntry[] = [];
    const { store, arm, fired } = await doubtfulStore("intent");
    const s = await session(node.url, loggingSigner(wallet, log), store);
    await s.propose(deposit);

    // The client's own lock: the node signs it at nonce 2; the client's commit of the co-signed update (with its
    // intent leaving the outbox) lands, and the client is told it failed.
    const write = store.write.bind(store);
    store.write = (unit) => {
      if ((unit.delivered ?? []).length > 0) arm();
      return write(unit);
    };
    const outcome = await s.propose({ type: "create", transfer: lock(s, "intent") }).then(
      (state) => `co-signed ${state.state.nonce}`,
      (e: unknown) => `failed: ${e instanceof Error ? e.constructor.name : String(e)}`,
    );
    store.write = write;
    expect(fired(), "the commit was reported failed").to.equal(true);
    expect((await store.load(s.channel.address))?.state.nonce, "the co-signed update landed").to.equal(2n);

    // The propose re-read its store, answered the node's proposal from it and reports the lock co-signed (before:
    // the sync refused the node's proposal NonceError and closed the socket, and the call failed although the lock
    // was co-signed in the client's store).
    expect(outcome).to.equal("co-signed 2");
    const channel = await node.service.nodeChannels.channelOf(wallet.address);
    await until(() => channel.pending === undefined, "the node's proposal answered");
    expect(channel.latest).to.deep.equal(s.channel.latest);
    expect(s.channel.state.nonce).to.equal(2n);
    expect(s.channel.transfers.size).to.equal(1);
    expect(statesAt(log, 2n), "nonce 2 signed once").to.equal(1);
    expect(doubleSigned(log)).to.deep.equal([]);
    expect(await store.outbox(), "the intent left the outbox with its co-signed update").to.deep.equal([]);

    const next = await s.propose({ type: "create", transfer: lock(s, "after intent") });
    expect(next.state.nonce).to.equal(3n);
    expect((await node.service.nodeChannels.channelOf(wallet.address)).latest).to.deep.equal(s.channel.latest);
    await s.close();
    await store.close();
  });
});
