/**
 * A graceful drain leaves both sides of a channel at the same latest co-signed state (in process, real sockets).
 * The node pushes its own update (here a payout to the client; on CI it was a peer channel's collateral top-up,
 * which left the peer node one nonce ahead in test/ts/network/payments.test.ts) and the client answers it only
 * once the drain has started: its acknowledgement is the answer to an exchange the node started, so the node
 * takes it (before, it was refused SHUTTING_DOWN after the client had stored its signature) and the drain ends
 * once it is stored, well before the drain timeout (with routing on, the drain waited the whole timeout).
 */
import { expect } from "chai";
import { ZeroAddress } from "ethers";

import { DEFAULT_WIRE_LIMITS } from "../../../src/node/options.js";
import { openNodeStore } from "../../../src/node/store.js";
import { walletSigner, type ChannelSigner } from "../../../src/protocol/signing.js";
import { MemoryStore } from "../../../src/stores/store.js";
import { clientWalletOf, depositChain, session, startInProcessNode } from "../node/inProcess.js";

const ETH = 10n ** 18n;
const DEPOSITS = { alice: 10n * ETH, bob: 10n * ETH };

describe("drain: both sides of a channel keep the same latest state", function () {
  this.timeout(60_000);

  for (const routing of [true, false]) {
    it(`test_drain_clientAnswersTheNodesProposalAfterTheDrainStarted_bothSidesHoldIt (routing ${routing ? "on" : "off"})`, async () => {
      const node = await startInProcessNode({ chain: depositChain(DEPOSITS), routing });
      const wallet = clientWalletOf(`drain routing ${routing}`);
      const inner = walletSigner(wallet);
      let draining: Promise<void> | undefined;
      let drainStarted = 0;
      // The client signs the node's payout (nonce 2) only once the node is draining.
      const signer: ChannelSigner = {
        address: inner.address,
        sign: async (request) => {
          if (draining === undefined && request.primaryType === "ChannelState" && request.message.nonce === 2n) {
            drainStarted = Date.now();
            draining = node.service.drain();
            await new Promise((r) => setTimeout(r, 50)); // the node's drain is under way (sockets still open)
          }
          return inner.sign(request);
        },
      };
      const store = new MemoryStore();
      const s = await session(node.url, signer, store);
      try {
        await s.propose({
          type: "deposit",
          asset: ZeroAddress,
          ...{ totalDepositsAlice: DEPOSITS.alice, totalDepositsBob: DEPOSITS.bob },
        });
        const paid = node.service.payClient(wallet.address, ZeroAddress, ETH).then(
          () => "co-signed",
          (e: unknown) => `failed: ${e instanceof Error ? e.message : String(e)}`,
        );
        for (let i = 0; i < 200 && draining === undefined; i++) await new Promise((r) => setTimeout(r, 10));
        expect(draining, "the client was asked to sign the payout").to.not.equal(undefined);
        await draining;
        const drainMs = Date.now() - drainStarted;
        const unanswered = new Promise<string>((r) =>
          setTimeout(() => r("unanswered 2 s after the drain"), 2_000).unref(),
        );
        expect(await Promise.race([paid, unanswered])).to.equal("co-signed");

        const nodeStore = await openNodeStore({ kind: "sqlite", url: node.file });
        const nodeRecord = await nodeStore.load(s.channel.address).finally(() => nodeStore.close());
        const clientRecord = await store.load(s.channel.address);
        expect(clientRecord?.latest?.state.nonce).to.equal(2n);
        expect(nodeRecord?.latest?.state).to.deep.equal(clientRecord?.latest?.state);
        expect(nodeRecord?.latest?.state.assets[0]?.balanceBob).to.equal(DEPOSITS.bob + ETH);
        // Ended once the answer was stored, not at the drain timeout.
        expect(drainMs).to.be.below(DEFAULT_WIRE_LIMITS.drainTimeoutMs / 2);
      } finally {
        await s.close().catch(() => undefined);
        await node.stop();
      }
    });
  }
});
