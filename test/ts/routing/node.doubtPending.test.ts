/**
 * The routing Node after its own proposal's commit had an unknown outcome (src/routing/doubts.ts): the node signed
 * an update (here a payout to the client), its store reported the commit failed, and the write had landed. The
 * store now holds that signature as the channel's pending proposal, the Node's copy in memory does not. The
 * client's next intent must not be refused: the Node re-reads the channel first, delivers the stored proposal
 * (its `flush`), then signs the intent at the next nonce. Before, `flush` read the pending proposal from memory
 * (none), and signing the intent at the stored proposal's nonce was refused DOUBLE_SIGN (4116, the code of an
 * equivocation) although nothing was wrong with the intent.
 */
import { join } from "node:path";

import { expect } from "chai";
import { ZeroAddress } from "ethers";

import { Channel } from "../../../src/channel/channel.js";
import { accept } from "../../../src/channel/sequencing.js";
import { StoreUnavailableError } from "../../../src/protocol/errors.js";
import { Node } from "../../../src/routing/node.js";
import { MemoryStore } from "../../../src/stores/memory.js";
import { SqliteStore } from "../../../src/stores/sqlite/index.js";
import { rejects } from "../stores/conformance.js";
import { HASHLOCK, NOW, aliceWallet, bobWallet, config, hashlockTransfer, tempDir } from "../sdk/helpers.js";

const ETH = 10n ** 18n;
const deposits = async (): Promise<{ alice: bigint; bob: bigint }> => ({ alice: 5n * ETH, bob: 5n * ETH });

describe("Node after its own proposal's commit of unknown outcome (src/routing/doubts.ts)", function () {
  this.timeout(30_000);

  it("test_ownProposalLandedButSeenFailing_theClientsNextIntentIsSignedAfterItNotRefusedDoubleSign", async () => {
    const path = join(await tempDir("node-doubt-pending"), "node.db");
    let armed = false;
    const store = await SqliteStore.open(path, {
      onCommitPoint: (point) => {
        if (point !== "commit-sent" || !armed) return;
        armed = false;
        throw new StoreUnavailableError(path, "Connection terminated unexpectedly (during COMMIT)");
      },
    });
    const { trustDepositsWithoutChain: _a, ...aliceConfig } = config("alice", store);
    const { trustDepositsWithoutChain: _b, ...bobConfig } = config("bob", new MemoryStore());
    const client = await Channel.create({ ...bobConfig, deposits });
    const delivered: bigint[] = [];
    const node = new Node({
      address: aliceWallet.address,
      hashlock: HASHLOCK,
      clock: () => NOW,
      store,
      peerTimeoutMs: 2_000,
    });
    node.addPeer(bobWallet.address, await Channel.create({ ...aliceConfig, deposits }), {
      receive: (p) => (delivered.push(p.update.state.nonce), client.receive(p)),
    });
    const deposit = {
      type: "deposit",
      asset: ZeroAddress,
      totalDepositsAlice: 5n * ETH,
      totalDepositsBob: 5n * ETH,
    } as const;
    await node.update(bobWallet.address, deposit);
    expect(client.state.nonce).to.equal(1n);

    // The node's payout is signed at nonce 2; its commit lands, and the node is told it failed.
    armed = true;
    await rejects(
      node.update(bobWallet.address, { type: "plain", asset: ZeroAddress, amount: ETH }),
      StoreUnavailableError,
    );
    expect((await store.load(client.address))?.pending?.nonce, "the signature landed").to.equal(2n);
    expect(delivered, "not delivered yet").to.deep.equal([1n]);

    // The client's intent: the stored payout is delivered first (and co-signed), the intent signed at nonce 3.
    const intent = { type: "create", transfer: hashlockTransfer(1, "bob") } as const;
    const proposal = await node.intent(bobWallet.address, intent); // before: DoubleSignError (DOUBLE_SIGN) at nonce 2
    expect(proposal.update.state.nonce).to.equal(3n);
    expect(delivered).to.deep.equal([1n, 2n]);
    await (
      await node.acknowledge(bobWallet.address, await accept(client, proposal, intent))
    ).effects;
    expect(node.channel(bobWallet.address).state).to.deep.equal(client.state);
    expect(client.state.assets[0]?.balanceBob).to.equal(6n * ETH - 10n ** 15n);
    expect((await store.load(client.address))?.state.nonce).to.equal(3n);
    await store.close();
  });
});
