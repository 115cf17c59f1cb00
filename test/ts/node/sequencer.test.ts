/**
 * The node as the sequencer of its channels (src/node/sequencer.ts, docs/PROTOCOL.md "Sequencing"), in process
 * over real sockets: client intents in one round trip, node proposals pushed and acknowledged, both at once
 * (the storm, every signature of both sides logged), re-delivery after a disconnect, a lost acknowledgement,
 * a restart of the node, restore into an empty client store, a forked history, and bad acknowledgements and
 * intents answered with stable codes while the store stays as it was.
 */
import { copyFile, stat } from "node:fs/promises";

import { expect } from "chai";
import { AbiCoder, ZeroAddress, id, toBeHex, zeroPadValue } from "ethers";
import WebSocket from "ws";

import { hashlockLock, encodeHashlockTerms } from "../../../src/protocol/resolvers.js";
import { ForkError } from "../../../src/protocol/errors.js";
import type { Transfer } from "../../../src/protocol/transfers.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import { MemoryStore } from "../../../src/stores/store.js";
import { WireClient } from "../../../src/wire/client.js";
import { RemoteError, WIRE_ERRORS } from "../../../src/wire/codes.js";
import type { ClientSession } from "../../../src/wire/session.js";
import { ADDRESSES, nodeWallet } from "./harness.js";
import { clientWalletOf, depositChain, doubleSigned, type InProcessNode, loggingSigner, session, type SignatureEntry, startInProcessNode, startLoggedNode, tempFile } from "./inProcess.js";

const abi = AbiCoder.defaultAbiCoder();
const ETH = 10n ** 18n;
const DEPOSITS = { alice: 10n * ETH, bob: 10n * ETH };
const now = (): bigint => BigInt(Math.floor(Date.now() / 1000));

function preimage(tag: string): string {
  return zeroPadValue(toBeHex(BigInt(id(tag)) >> 8n), 32);
}

/** A hashlock transfer in `s`'s channel, from the node (alice) or the client (bob). */
function lock(s: ClientSession, from: "alice" | "bob", tag: string, amount = 10n ** 15n): Transfer {
  const setup = s.channel.channelSetup;
  return {
    channel: setup.channel,
    resolver: ADDRESSES.HashlockResolver,
    asset: ZeroAddress,
    amount,
    initiator: from === "alice" ? setup.alice : setup.bob,
    responder: from === "alice" ? setup.bob : setup.alice,
    timeout: 3_600n,
    salt: id(`salt ${tag}`),
    data: encodeHashlockTerms({ lockHash: hashlockLock(preimage(tag)), expiry: now() + 7n * 86_400n }),
  };
}

function resolveWith(transferId: string, tag: string, amount = 10n ** 15n) {
  return {
    type: "resolve" as const,
    transferId,
    toResponder: amount,
    resolverData: abi.encode(["bytes32"], [preimage(tag)]),
  };
}

const deposit = {
  type: "deposit" as const,
  asset: ZeroAddress,
  totalDepositsAlice: DEPOSITS.alice,
  totalDepositsBob: DEPOSITS.bob,
};

async function refused(p: Promise<unknown>): Promise<RemoteError> {
  try {
    await p;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(RemoteError);
    return error as RemoteError;
  }
  throw new Error("expected a JSON-RPC error");
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe("node sequencer (in process, real sockets)", function () {
  this.timeout(120_000);
  let node: InProcessNode;
  const nodeLog: SignatureEntry[] = [];

  beforeEach(async () => {
    node = await startLoggedNode(nodeLog, DEPOSITS, { routing: false });
  });
  afterEach(async () => node?.stop());

  it("test_intent_clientUpdatesInOneRoundTripAndTheNodeStoresThem", async () => {
    const log: SignatureEntry[] = [];
    const wallet = clientWalletOf("one");
    const s = await session(node.url, loggingSigner(wallet, log));
    await s.propose(deposit);
    const t = lock(s, "bob", "one");
    await s.propose({ type: "create", transfer: t });
    const channel = await node.service.nodeChannels.channelOf(wallet.address);
    expect(s.channel.state.nonce).to.equal(2n);
    expect(channel.latest).to.deep.equal(s.channel.latest);
    const record = await node.store.load(s.channel.address);
    expect(record?.state.nonce).to.equal(2n); // durable in the node's SQLite store
    expect(log.filter((e) => e.primaryType === "ChannelState").length).to.equal(2); // one state per update
    await s.close();
  });

  it("test_storm_bothSidesProposeAtOnceHundredsOfTimes_noDoubleSignSameLatest", async () => {
    const clientLog: SignatureEntry[] = [];
    const wallet = clientWalletOf("storm");
    const s = await session(node.url, loggingSigner(wallet, clientLog));
    await s.propose(deposit);
    const sequencer = await node.service.nodeChannels.sequencerOf(wallet.address);
    const rounds = 100;
    let rebased = 0;
    const clientIntent = async (intent: Parameters<ClientSession["propose"]>[0]): Promise<void> => {
      const before = s.channel.state.nonce;
      const state = await s.propose(intent);
      if (state.state.nonce > before + 1n) rebased++;
    };
    let prevA: Transfer | undefined;
    let prevB: Transfer | undefined;
    const idOf = (t: Transfer): string => {
      const found = s.channel.transfers
        .list()
        .find((x) => x.transfer.salt === t.salt.toLowerCase() || x.transfer.salt === t.salt);
      if (found === undefined) throw new Error(`transfer ${t.salt} is not active`);
      return found.id;
    };
    for (let i = 0; i < rounds; i++) {
      const a = lock(s, "alice", `a${i}`);
      const b = lock(s, "bob", `b${i}`);
      const work: Array<Promise<unknown>> = [
        sequencer.propose({ type: "create", transfer: a }),
        clientIntent({ type: "create", transfer: b }),
      ];
      if (prevA !== undefined && prevB !== undefined) {
        work.push(clientIntent(resolveWith(idOf(prevA), `a${i - 1}`)));
        const nodeChannel = sequencer.channel;
        const bId = nodeChannel.transfers.list().find((x) => x.transfer.salt === prevB?.salt.toLowerCase())
          ?.id as string;
        work.push(sequencer.propose(resolveWith(bId, `b${i - 1}`)));
      }
      await Promise.all(work);
      await until(() => s.channel.transfers.list().some((x) => x.transfer.salt === a.salt.toLowerCase()), `push a${i}`);
      prevA = a;
      prevB = b;
    }
    await sequencer.settled();
    await s.sync();
    const updates = 1 + 2 * rounds + 2 * (rounds - 1);
    expect(s.channel.state.nonce).to.equal(BigInt(updates));
    expect(sequencer.channel.latest).to.deep.equal(s.channel.latest);
    expect(doubleSigned(nodeLog), "node").to.deep.equal([]);
    expect(doubleSigned(clientLog), "client").to.deep.equal([]);
    expect(nodeLog.filter((e) => e.primaryType === "ChannelState").length).to.equal(updates);
    expect(clientLog.filter((e) => e.primaryType === "ChannelState").length).to.equal(updates);
    expect(rebased, "intents applied after a node proposal").to.be.greaterThan(0);
    await s.close();
  });

  it("test_nodeProposal_whileClientOffline_isRedeliveredUnchangedOnReconnect", async () => {
    const wallet = clientWalletOf("offline");
    const store = new MemoryStore();
    let s = await session(node.url, loggingSigner(wallet, []), store);
    await s.propose(deposit);
    const t = lock(s, "alice", "offline");
    await s.close();
    const sequencer = await node.service.nodeChannels.sequencerOf(wallet.address);
    const proposal = await sequencer.propose({ type: "create", transfer: t });
    expect(sequencer.pending).to.deep.equal(proposal);
    s = await session(node.url, loggingSigner(wallet, []), store);
    await sequencer.settled();
    expect(sequencer.pending).to.equal(undefined);
    expect(s.channel.state.nonce).to.equal(2n);
    expect(sequencer.channel.latest).to.deep.equal(s.channel.latest);
    expect(doubleSigned(nodeLog)).to.deep.equal([]);
    await s.close();
  });

  it("test_lostAcknowledgement_clientResendsItsStoredSignaturesAfterReconnect", async () => {
    const wallet = clientWalletOf("lost");
    const store = new MemoryStore();
    let s = await session(node.url, loggingSigner(wallet, []), store);
    await s.propose(deposit);
    const intent = { type: "create" as const, transfer: lock(s, "bob", "lost") };
    const proposal = await s.wire.request("channel.propose", { details: intent });
    const { accept } = await import("../../../src/channel/sequencing.js");
    await accept(s.channel, proposal, intent); // signed and stored, the ack never sent (a crash)
    await s.close();
    const sequencer = await node.service.nodeChannels.sequencerOf(wallet.address);
    expect(sequencer.pending?.update.state.nonce).to.equal(2n);
    s = await session(node.url, loggingSigner(wallet, []), store);
    await sequencer.settled();
    expect(sequencer.channel.latest).to.deep.equal(s.channel.latest);
    await s.close();
  });

  it("test_intentAnswerLost_theStoredIntentLetsTheClientAcceptTheRedeliveredProposal", async () => {
    const wallet = clientWalletOf("answer lost");
    const store = new MemoryStore();
    let s = await session(node.url, loggingSigner(wallet, []), store);
    await s.propose(deposit);
    const intent = { type: "create" as const, transfer: lock(s, "bob", "answer lost") };
    const address = s.channel.address;
    await s.close();
    const sequencer = await node.service.nodeChannels.sequencerOf(wallet.address);
    await sequencer.propose({ type: "create", transfer: lock(s, "alice", "queued before") }); // unanswered: offline
    // The client stores its intent and sends it on a connection that dies before the answer.
    await store.write({
      outbox: [
        {
          id: `intent:${address}:lost`,
          recipient: nodeWallet.address,
          channel: address,
          body: intent,
          createdAt: Date.now(),
        },
      ],
    });
    const raw = await WireClient.connect(node.url, { WebSocket: WebSocket as never });
    await raw.login(walletSigner(wallet));
    const lost = raw.request("channel.propose", { details: intent }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    await raw.close();
    await lost;
    s = await session(node.url, loggingSigner(wallet, []), store); // answers the node's proposal: the intent is signed next
    await until(() => sequencer.pending?.update.proposer === "bob", "the node to sign the queued intent");
    await s.close();
    s = await session(node.url, loggingSigner(wallet, []), store); // re-delivered at login, recognised as its own
    await sequencer.settled();
    expect(s.channel.state.nonce).to.equal(3n);
    expect(sequencer.channel.latest).to.deep.equal(s.channel.latest);
    expect(await store.outbox({ recipient: nodeWallet.address })).to.deep.equal([]);
    await s.close();
  });

  it("test_nodeRestart_reloadsChannelsFromItsStoreAndContinues", async () => {
    const wallet = clientWalletOf("restart");
    const store = new MemoryStore();
    let s = await session(node.url, loggingSigner(wallet, []), store);
    await s.propose(deposit);
    await s.propose({ type: "create", transfer: lock(s, "bob", "restart") });
    await s.close();
    await node.stop();
    node = await startInProcessNode({
      file: node.file,
      signer: loggingSigner(nodeWallet, nodeLog),
      chain: depositChain(DEPOSITS),
      routing: false,
    });
    expect(node.service.nodeChannels.clients()).to.include(wallet.address);
    s = await session(node.url, loggingSigner(wallet, []), store);
    const t = lock(s, "bob", "restart 2");
    await s.propose({ type: "create", transfer: t });
    expect(s.channel.state.nonce).to.equal(3n);
    expect((await node.service.nodeChannels.channelOf(wallet.address)).latest).to.deep.equal(s.channel.latest);
    await s.close();
  });

  it("test_restore_intoAnEmptyClientStoreVerifiesAndContinues", async () => {
    const wallet = clientWalletOf("restore");
    let s = await session(node.url, loggingSigner(wallet, []));
    await s.propose(deposit);
    const kept = lock(s, "bob", "kept");
    await s.propose({ type: "create", transfer: kept });
    const latest = s.channel.latest;
    await s.close();
    s = await session(node.url, loggingSigner(wallet, []), new MemoryStore()); // a new device
    expect(s.channel.latest).to.deep.equal(latest);
    expect(s.channel.transfers.list().map((t) => t.transfer.salt)).to.deep.equal([kept.salt.toLowerCase()]);
    await s.propose({ type: "create", transfer: lock(s, "bob", "after restore") });
    expect(s.channel.state.nonce).to.equal(3n);
    await s.close();
  });

  it("test_sync_aForkedNodeHistoryIsRefusedWithForkError", async () => {
    const wallet = clientWalletOf("fork");
    const store = new MemoryStore();
    let s = await session(node.url, loggingSigner(wallet, []), store);
    await s.propose(deposit);
    await s.close();
    // A copy of the node's store at nonce 1 (the node stopped: its SQLite file is whole).
    await node.stop();
    const copy = await tempFile("fork.sqlite");
    await copyFile(node.file, copy);
    await stat(node.file + "-wal").then(
      () => copyFile(node.file + "-wal", copy + "-wal"),
      () => undefined,
    );
    node = await startInProcessNode({ file: node.file, chain: depositChain(DEPOSITS), routing: false });
    s = await session(node.url, loggingSigner(wallet, []), store);
    await s.propose({ type: "create", transfer: lock(s, "bob", "fork one") }); // nonce 2 in `store`
    await s.close();
    await node.stop();
    node = await startInProcessNode({ file: copy, chain: depositChain(DEPOSITS), routing: false });
    const other = await session(node.url, loggingSigner(wallet, []), new MemoryStore());
    await other.propose({ type: "create", transfer: lock(other, "bob", "fork two") }); // another nonce 2
    await other.close();
    let error: unknown;
    try {
      await session(node.url, loggingSigner(wallet, []), store);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ForkError);
    expect((error as ForkError).code).to.equal("FORK");
    expect((await store.load(s.channel.address))?.state.nonce).to.equal(2n); // its own copy is kept
  });

  describe("bad acknowledgements and intents", () => {
    let s: ClientSession;
    let other: ClientSession;
    beforeEach(async () => {
      s = await session(node.url, loggingSigner(clientWalletOf("bad"), []));
      other = await session(node.url, loggingSigner(clientWalletOf("bad other"), []));
      await s.propose(deposit);
      await other.propose(deposit);
    });
    afterEach(async () => {
      await s.close();
      await other.close();
    });

    async function unchanged(task: () => Promise<RemoteError>, name: keyof typeof WIRE_ERRORS): Promise<void> {
      const before = await node.store.load(s.channel.address);
      const history = (await node.store.history(s.channel.address)).length;
      const error = await task();
      expect(error.code, error.message).to.equal(name);
      expect(error.rpcCode).to.equal(WIRE_ERRORS[name]);
      expect(await node.store.load(s.channel.address)).to.deep.equal(before);
      expect((await node.store.history(s.channel.address)).length).to.equal(history);
    }

    it("test_acknowledge_replayedIsRefusedNonce", async () => {
      const intent = { type: "create" as const, transfer: lock(s, "bob", "replay") };
      const proposal = await s.wire.request("channel.propose", { details: intent });
      const { accept } = await import("../../../src/channel/sequencing.js");
      const ack = await accept(s.channel, proposal, intent);
      await s.wire.request("channel.acknowledge", { ack });
      await unchanged(() => refused(s.wire.request("channel.acknowledge", { ack })), "NONCE");
    });

    it("test_acknowledge_outOfOrderIsRefusedNonce", async () => {
      const intent = { type: "create" as const, transfer: lock(s, "bob", "order") };
      const proposal = await s.wire.request("channel.propose", { details: intent });
      const { accept } = await import("../../../src/channel/sequencing.js");
      const ack = await accept(s.channel, proposal, intent);
      await unchanged(
        () => refused(s.wire.request("channel.acknowledge", { ack: { ...ack, nonce: ack.nonce + 1n } })),
        "NONCE",
      );
      await s.wire.request("channel.acknowledge", { ack });
    });

    it("test_acknowledge_wrongSignatureIsRefused", async () => {
      const intent = { type: "create" as const, transfer: lock(s, "bob", "sig") };
      const proposal = await s.wire.request("channel.propose", { details: intent });
      // The node's own signature is not the client's.
      await unchanged(
        () =>
          refused(
            s.wire.request("channel.acknowledge", {
              ack: { nonce: proposal.update.state.nonce, signatures: proposal.signatures },
            }),
          ),
        "SIGNATURE",
      );
    });

    it("test_intent_forAnotherAddressesChannelIsRefused", async () => {
      const t = { ...lock(other, "bob", "theirs") }; // a lock in the other client's channel, from the other client
      await unchanged(
        () => refused(s.wire.request("channel.propose", { details: { type: "create", transfer: t } })),
        "MALFORMED",
      );
    });

    it("test_intent_wrongParamsAreRefusedInvalidParams", async () => {
      await unchanged(
        () =>
          refused(
            s.wire.call("channel.propose", {
              details: { type: "create", transfer: { amount: 5 } },
            }) as Promise<unknown>,
          ),
        "INVALID_PARAMS",
      );
      await unchanged(
        () => refused(s.wire.call("channel.acknowledge", { ack: { nonce: "2" } }) as Promise<unknown>),
        "INVALID_PARAMS",
      );
      await unchanged(() => refused(s.wire.call("channel.sync", {}) as Promise<unknown>), "INVALID_PARAMS");
    });

    it("test_intent_aDepositAboveTheChainIsRefused", async () => {
      const above = { ...deposit, totalDepositsBob: DEPOSITS.bob + 1n };
      await unchanged(() => refused(s.wire.request("channel.propose", { details: above })), "DEPOSIT");
    });
  });
});
