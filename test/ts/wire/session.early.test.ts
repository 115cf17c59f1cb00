/**
 * A pushed proposal of the node's is co-signed and stored on the client before its acknowledgement leaves, so the
 * client acts on it at once (a payer's payment is complete, a payee looks up its invoice) instead of one commit of
 * the node's later; an intent it sends meanwhile still reaches the node only after that acknowledgement's answer,
 * so the node signs it at once on the settled channel (never held behind its own unanswered proposal).
 */
import { expect } from "chai";
import { ZeroAddress, id, toBeHex, zeroPadValue } from "ethers";

import { encodeHashlockTerms, hashlockLock } from "../../../src/protocol/resolvers.js";
import type { Transfer } from "../../../src/protocol/transfers.js";
import type { Update } from "../../../src/protocol/types.js";
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

/** Holds the node's co-signed writes until `open()` (a slow group commit); `held()` counts the writes waiting. */
function holdCoSignedWrites(node: InProcessNode): { open: () => void; held: () => number } {
  const store = node.store;
  const real = store.write.bind(store);
  let gate: (() => void) | undefined;
  const closed = new Promise<void>((resolve) => (gate = resolve));
  let held = 0;
  store.write = async (unit) => {
    if ((unit.channels ?? []).some((c) => c.op === "entry" && "entry" in c && c.entry.kind === "cosigned")) {
      held++;
      await closed;
    }
    return real(unit);
  };
  return { open: () => gate?.(), held: () => held };
}

describe("client session: a pushed proposal is acted on once co-signed, before the node's answer", function () {
  this.timeout(60_000);
  let node: InProcessNode;

  beforeEach(async () => {
    node = await startInProcessNode({ chain: depositChain({ alice: 10n * ETH, bob: 10n * ETH }), routing: false });
  });
  afterEach(async () => node?.stop());

  it("test_pushedProposal_listenersRunBeforeTheAckIsAnswered_andAnIntentWaitsForTheAnswer", async () => {
    const wallet = clientWalletOf("early listeners");
    const s = await session(node.url, loggingSigner(wallet, []));
    await s.propose(deposit);
    const sequencer = await node.service.nodeChannels.sequencerOf(wallet.address);
    const requests: string[] = [];
    const wire = s.wire;
    const real = wire.request.bind(wire);
    wire.request = (async (method: string, params: unknown) => {
      requests.push(`${method} sent`);
      try {
        return await (real as (m: string, p: unknown) => Promise<unknown>)(method, params);
      } finally {
        requests.push(`${method} answered`);
      }
    }) as typeof wire.request;
    const slow = holdCoSignedWrites(node);
    const seen = new Promise<{ update: Update; heldAcks: number; answered: boolean }>((resolve) =>
      s.onUpdate((update) => resolve({ update, heldAcks: slow.held(), answered: requests.includes("channel.acknowledge answered") })),
    );
    await sequencer.propose({ type: "create", transfer: lock(s, "alice", "node lock") });
    const first = await seen;
    // The client co-signed and stored nonce 2, and its listeners saw it while the node's commit of the ack waited.
    expect(first.update.state.nonce).to.equal(2n);
    expect(first.answered, "the node had not answered the acknowledgement yet").to.equal(false);
    expect(s.channel.state.nonce).to.equal(2n);
    // An intent sent now reaches the node only once that acknowledgement is answered.
    const intent = s.propose({ type: "create", transfer: lock(s, "bob", "client lock") });
    await new Promise((r) => setTimeout(r, 200));
    expect(requests.filter((r) => r.startsWith("channel.propose")), "the intent waits for the ack's answer").to.deep.equal([]);
    slow.open();
    const state = await intent;
    expect(state.state.nonce).to.equal(3n);
    expect(requests.indexOf("channel.acknowledge answered")).to.be.lessThan(requests.indexOf("channel.propose sent"));
    expect(sequencer.pending).to.equal(undefined);
    expect(sequencer.channel.latest).to.deep.equal(s.channel.latest);
    await s.close();
  });
});
