/**
 * The node's sequencer of a channel (src/node/sequencer.ts) after a commit of unknown outcome: the client's
 * acknowledgement of the node's proposal landed although the node saw its commit fail. The next intent of the
 * client is signed at once on the stored state; before, the sequencer waited on the proposal its copy in memory
 * still held as unanswered, and refused every intent CHANNEL_BUSY.
 */
import { join } from "node:path";

import { expect } from "chai";
import { ZeroAddress } from "ethers";

import { Channel } from "../../../src/channel/channel.js";
import { accept } from "../../../src/channel/sequencing.js";
import { ChannelSequencer } from "../../../src/node/sequencer.js";
import { StoreUnavailableError } from "../../../src/protocol/errors.js";
import { MemoryStore } from "../../../src/stores/store.js";
import { SqliteStore } from "../../../src/stores/sqlite/index.js";
import { rejects } from "../stores/conformance.js";
import { config, hashlockTransfer, tempDir } from "../sdk/helpers.js";

describe("ChannelSequencer after a commit of unknown outcome (src/node/sequencer.ts)", () => {
  it("test_ackLandedButSeenFailing_theNextIntentIsSignedAtOnce", async () => {
    const path = join(await tempDir("sequencer-doubt"), "node.db");
    let armed = false;
    const store = await SqliteStore.open(path, {
      onCommitPoint: (point) => {
        if (point !== "commit-sent" || !armed) return;
        armed = false;
        throw new StoreUnavailableError(path, "Connection terminated unexpectedly (during COMMIT)");
      },
    });
    const client = await Channel.create(config("bob", new MemoryStore()));
    const sequencer = new ChannelSequencer(await Channel.create(config("alice", store)), { push: () => undefined, intentWaitMs: 1_000 });
    const proposal = await sequencer.propose({ type: "deposit", asset: ZeroAddress, totalDepositsAlice: 10n ** 19n, totalDepositsBob: 10n ** 19n });
    const ack = await client.receive(proposal);
    armed = true;
    await rejects(sequencer.acknowledge(ack), StoreUnavailableError);
    expect((await store.load(client.address))?.state.nonce, "the acknowledgement landed").to.equal(ack.nonce);

    const intent = { type: "create", transfer: hashlockTransfer(1, "bob") } as const;
    const signed = await sequencer.intent(intent); // before: CHANNEL_BUSY after intentWaitMs, for good
    await sequencer.acknowledge(await accept(client, signed, intent));
    expect(sequencer.channel.state).to.deep.equal(client.state);
    expect(sequencer.pending).to.equal(undefined);
    await store.close();
  });
});
