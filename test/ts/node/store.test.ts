/**
 * The node's store (src/node/store.ts): opened from the configured location, SQLite by default or PostgreSQL by
 * URL (a real server: scripts/lib/pg-cluster.ts), every client channel kept there and reloaded when the node
 * starts again on the same store.
 */
import { expect } from "chai";
import { ZeroAddress } from "ethers";

import type { StoreLocation } from "../../../src/node/store.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import { MemoryStore } from "../../../src/stores/store.js";
import { useRealPostgres } from "../stores/pgCluster.js";
import { clientWalletOf, depositChain, session, startInProcessNode, tempFile } from "./inProcess.js";

const deposit = {
  type: "deposit" as const,
  asset: ZeroAddress,
  totalDepositsAlice: 10n ** 18n,
  totalDepositsBob: 10n ** 18n,
};
const chain = depositChain({ alice: 10n ** 18n, bob: 10n ** 18n });

async function keepsChannelsAcrossRestarts(location: StoreLocation): Promise<void> {
  const wallet = clientWalletOf(`store ${location.kind}`);
  const clientStore = new MemoryStore();
  let node = await startInProcessNode({ location, chain });
  let s = await session(node.url, walletSigner(wallet), clientStore);
  await s.propose(deposit);
  expect((await s.wire.request("channel.get")).store).to.equal(location.kind);
  await s.close();
  await node.stop();
  node = await startInProcessNode({ location, chain });
  try {
    expect(node.service.nodeChannels.clients()).to.deep.equal([wallet.address]);
    const channel = await node.service.nodeChannels.channelOf(wallet.address);
    expect(channel.state.nonce).to.equal(1n);
    s = await session(node.url, walletSigner(wallet), clientStore);
    expect(channel.latest).to.deep.equal(s.channel.latest);
    await s.close();
  } finally {
    await node.stop();
  }
}

describe("node store (src/node/store.ts)", function () {
  this.timeout(120_000);

  it("test_openNodeStore_sqliteKeepsChannelsAcrossRestarts", async () => {
    await keepsChannelsAcrossRestarts({ kind: "sqlite", url: await tempFile("node.sqlite") });
  });

  describe("PostgreSQL", function () {
    const pg = useRealPostgres(this);
    it("test_openNodeStore_postgresUrlKeepsChannelsAcrossRestarts", async () => {
      await keepsChannelsAcrossRestarts({ kind: "postgres", url: await pg.server.createDatabase("node") });
    });
  });
});
