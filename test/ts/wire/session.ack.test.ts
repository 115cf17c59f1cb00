/**
 * A client's acknowledgement the node could not store (its database away for a moment: the PostgreSQL restart
 * of the chaos run) is sent again by the session, so the channel never stays blocked on a proposal the client
 * co-signed and the node never got back (docs/NODE.md "Faults"). The node's store fails the write once here.
 */
import { expect } from "chai";
import { ZeroAddress, id, toBeHex, zeroPadValue } from "ethers";

import { StoreUnavailableError } from "../../../src/protocol/errors.js";
import { MemoryStore } from "../../../src/stores/store.js";
import { encodeHashlockTerms, hashlockLock } from "../../../src/protocol/resolvers.js";
import type { Transfer } from "../../../src/protocol/transfers.js";
import { RemoteError, TransportError, toWireError } from "../../../src/wire/codes.js";
import type { ClientSession } from "../../../src/wire/session.js";
import { ADDRESSES } from "../node/harness.js";
import { clientWalletOf, depositChain, loggingSigner, session, startInProcessNode, type InProcessNode } from "../node/inProcess.js";

const ETH = 10n ** 18n;
const deposit = { type: "deposit" as const, asset: ZeroAddress, totalDepositsAlice: 10n * ETH, totalDepositsBob: 10n * ETH };

function lock(s: ClientSession, from: "alice" | "bob", tag: string): Transfer {
  const setup = s.channel.channelSetup;
  const preimage = zeroPadValue(toBeHex(BigInt(id(tag)) >> 8n), 32);
  return {
    channel: setup.channel,
    resolver: ADDRESSES.HashlockResolver,
    asset: ZeroAddress,
    amount: 10n ** 15n,
    initiator: from === "alice" ? setup.alice : setup.bob,
    responder: from === "alice" ? setup.bob : setup.alice,
    timeout: 3_600n,
    salt: id(`salt ${tag}`),
    data: encodeHashlockTerms({ lockHash: hashlockLock(preimage), expiry: BigInt(Math.floor(Date.now() / 1000)) + 7n * 86_400n }),
  };
}

/** Makes the node's store refuse its next `times` co-signed writes as a database that is away would. */
function failCoSignedWrites(node: InProcessNode, times: number): { failed: () => number } {
  const store = node.store;
  const real = store.write.bind(store);
  let failed = 0;
  store.write = async (unit) => {
    const cosigned = (unit.channels ?? []).some((c) => c.op === "entry" && "entry" in c && c.entry.kind === "cosigned");
    if (cosigned && failed < times) {
      failed++;
      throw new StoreUnavailableError("postgres://test", "the database system is starting up");
    }
    return real(unit);
  };
  return { failed: () => failed };
}

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The answers of `s`'s `channel.acknowledge` requests: "stored" or the refusal's code. */
function acknowledgements(s: ClientSession): string[] {
  const answers: string[] = [];
  const wire = s.wire;
  const real = wire.request.bind(wire);
  wire.request = (async (method: string, params: unknown) => {
    try {
      const result = await (real as (m: string, p: unknown) => Promise<unknown>)(method, params);
      if (method === "channel.acknowledge") answers.push("stored");
      return result;
    } catch (error) {
      if (method === "channel.acknowledge") answers.push(error instanceof RemoteError ? error.code : String(error));
      throw error;
    }
  }) as typeof wire.request;
  return answers;
}

describe("client session: an acknowledgement the node could not store", function () {
  this.timeout(60_000);
  let node: InProcessNode;

  beforeEach(async () => {
    node = await startInProcessNode({ chain: depositChain({ alice: 10n * ETH, bob: 10n * ETH }), routing: false });
  });
  afterEach(async () => node?.stop());

  it("test_storeUnavailable_crossesTheWireAsUnavailableWithoutItsLocation", () => {
    const wire = toWireError(new StoreUnavailableError("postgres://secret-host/db", "connect ECONNREFUSED"));
    expect(wire.data.name).to.equal("UNAVAILABLE");
    expect(wire.rpcCode).to.equal(-32006);
    expect(wire.message).to.not.include("secret-host");
  });

  it("test_nodeProposal_ackRefusedWhileTheStoreIsAway_isSentAgainAndTheChannelMovesOn", async () => {
    const wallet = clientWalletOf("ack store away");
    const s = await session(node.url, loggingSigner(wallet, []));
    await s.propose(deposit);
    const sequencer = await node.service.nodeChannels.sequencerOf(wallet.address);
    const broken = failCoSignedWrites(node, 1);
    await sequencer.propose({ type: "create", transfer: lock(s, "alice", "node lock") });
    // Without the re-send the client holds nonce 2 co-signed and the node waits on its proposal for good.
    await within(sequencer.settled(), 10_000, "the node's proposal answered");
    expect(broken.failed()).to.equal(1);
    expect(sequencer.pending).to.equal(undefined);
    expect(s.channel.state.nonce).to.equal(2n);
    expect(sequencer.channel.latest).to.deep.equal(s.channel.latest);
    await s.close();
  });

  it("test_clientIntent_ackRefusedWhileTheStoreIsAway_isSentAgainAndBothSidesHoldIt", async () => {
    const wallet = clientWalletOf("intent store away");
    const s = await session(node.url, loggingSigner(wallet, []));
    await s.propose(deposit);
    const broken = failCoSignedWrites(node, 1);
    const state = await within(s.propose({ type: "create", transfer: lock(s, "bob", "client lock") }), 10_000, "the intent");
    expect(broken.failed()).to.equal(1);
    expect(state.state.nonce).to.equal(2n);
    const sequencer = await node.service.nodeChannels.sequencerOf(wallet.address);
    expect(sequencer.pending).to.equal(undefined);
    expect(sequencer.channel.latest).to.deep.equal(s.channel.latest);
    await s.close();
  });

  it("test_intentSignedWhileTheNodeSawItsCommitFail_theKeptIntentTakesItsProposalAfterARestart", async () => {
    const wallet = clientWalletOf("intent commit unseen");
    const store = new MemoryStore();
    let s = await session(node.url, loggingSigner(wallet, []), store);
    await s.propose(deposit);
    // The node's signed proposal for the intent is committed, but the node is told the commit failed (the
    // connection to its database dropped during COMMIT): the client's request is refused, the row stays.
    const real = node.store.write.bind(node.store);
    node.store.write = async (unit) => {
      await real(unit);
      if ((unit.channels ?? []).some((c) => c.op === "entry" && "entry" in c && c.entry.kind === "signed"))
        throw new StoreUnavailableError("postgres://test", "connection terminated during COMMIT");
    };
    const refused = await s.propose({ type: "create", transfer: lock(s, "bob", "unseen commit") }).then(
      () => "stored",
      (error: unknown) => (error instanceof RemoteError ? error.code : String(error)),
    );
    expect(refused).to.equal("UNAVAILABLE");
    await s.close();
    await node.stop();
    node = await startInProcessNode({ file: node.file, chain: depositChain({ alice: 10n * ETH, bob: 10n * ETH }), routing: false });
    // The restarted node holds the signed proposal as pending; without the kept intent the client refuses it as
    // "matches none of its open intents" on every connect, and the channel is blocked for good.
    s = await session(node.url, loggingSigner(wallet, []), store);
    const sequencer = await node.service.nodeChannels.sequencerOf(wallet.address);
    await within(sequencer.settled(), 10_000, "the node's pending proposal answered");
    expect(s.channel.state.nonce).to.equal(2n);
    expect(sequencer.channel.latest).to.deep.equal(s.channel.latest);
    expect(await store.outbox({ recipient: s.info.node }), "the intent, answered, left the outbox").to.deep.equal([]);
    await s.close();
  });

  it("test_intentAnswerLostOnAnOpenSocket_aSyncTakesTheNodesProposalAtOnce", async () => {
    const wallet = clientWalletOf("answer lost, socket open");
    const s = await session(node.url, loggingSigner(wallet, []));
    await s.propose(deposit);
    // The node signs the intent; its answer is lost to a timeout while the socket stays open (a slow node).
    const wire = s.wire;
    const real = wire.request.bind(wire);
    wire.request = (async (method: string, params: unknown) => {
      const result = await (real as (m: string, p: unknown) => Promise<unknown>)(method, params);
      if (method === "channel.propose") throw new TransportError("TIMEOUT", "channel.propose: no answer within 10000 ms");
      return result;
    }) as typeof wire.request;
    const state = await within(s.propose({ type: "create", transfer: lock(s, "bob", "answer lost") }), 10_000, "the intent");
    // Without the sync the node waits for the answer of its proposal 2 for good: each later intent is refused PEER.
    const sequencer = await node.service.nodeChannels.sequencerOf(wallet.address);
    expect(state.state.nonce).to.equal(2n);
    expect(sequencer.pending).to.equal(undefined);
    expect(sequencer.channel.latest).to.deep.equal(s.channel.latest);
    expect(s.wire.closed, "the socket stays open").to.equal(undefined);
    await s.close();
  });

  describe("with routing (the node's proposals delivered over its socket link)", () => {
    let routed: InProcessNode;
    beforeEach(async () => {
      routed = await startInProcessNode({ chain: depositChain({ alice: 10n * ETH, bob: 10n * ETH }), routing: true });
    });
    afterEach(async () => routed?.stop());

    it("test_routedNodeProposal_ackNotStored_isNeverAnsweredStoredAndIsSentAgain", async () => {
      const wallet = clientWalletOf("routed ack store away");
      const s = await session(routed.url, loggingSigner(wallet, []));
      await s.propose(deposit);
      const answers = acknowledgements(s);
      const broken = failCoSignedWrites(routed, 1);
      const router = routed.service.router;
      if (router === undefined) throw new Error("the node routes payments here");
      // The Node's delivery gets the ack and fails to store it: the link must not tell the client it is stored.
      await router.node.update(wallet.address, { type: "create", transfer: lock(s, "alice", "routed node lock") }).catch(() => undefined);
      const node = await routed.service.nodeChannels.channelOf(wallet.address);
      for (let i = 0; i < 300 && (node.pending !== undefined || answers.length < 2); i++) await new Promise((r) => setTimeout(r, 50));
      expect(broken.failed()).to.equal(1);
      expect(answers[0], "the first answer to the client's ack").to.equal("UNAVAILABLE");
      expect(answers.slice(1), "the answers to its re-sent ack").to.deep.equal(["stored"]);
      expect(node.pending).to.equal(undefined);
      expect(node.latest).to.deep.equal(s.channel.latest);
      await s.close();
    });
  });
});
