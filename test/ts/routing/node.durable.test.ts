/**
 * The node's payment table in its store (src/routing/node.ts with `NodeConfig.store`): each payment change
 * commits with the channel update that causes it, and a node restarted on the reopened store finishes what the
 * old one started (here: claims upstream what the payee took downstream, which an in-memory table forgets).
 */
import { join } from "node:path";

import { expect } from "chai";
import { id } from "ethers";

import { Channel } from "../../../src/channel/channel.js";
import { RouteError } from "../../../src/protocol/errors.js";
import { encodeHashlockResolution, hashlockLock } from "../../../src/protocol/resolvers.js";
import { Node } from "../../../src/routing/node.js";
import { MemoryStore } from "../../../src/stores/memory.js";
import { SqliteStore } from "../../../src/stores/sqlite/index.js";
import type { SwitchyardStore } from "../../../src/stores/store.js";
import { HASHLOCK, NOW, tempDir } from "../sdk/helpers.js";
import { durableRoute, ETH } from "./durableRoute.js";
import { payerLockOf } from "./payerLock.js";

const { nodeWallet, payerWallet, payeeWallet, UP, cfg, link, counterparties, nodeOn, fund } = durableRoute("durable", "0a01", "0a02");

describe("Node with a durable payment table (src/routing/node.ts)", function () {
  this.timeout(60_000);

  it("claims upstream after a restart what the payee took downstream, from the reopened store", async () => {
    const path = join(await tempDir("node"), "node.db");
    let store: SwitchyardStore = await SqliteStore.open(path);
    const { payer, payee } = await counterparties();
    let node = await nodeOn(store, payer, payee, false);
    await fund(node, payer, payee);

    const preimage = id("durable invoice");
    const lockHash = hashlockLock(preimage);
    // Within both route rules (PROTOCOL §12): the downstream lock outlives a dispute of its own channel
    // (>= now + T + margin) and ends before the upstream transfer's earliest settle deadline
    // (<= now + T_up + its settle window - margin); the upstream one leaves T_up + margin after it.
    const downExpiry = NOW + 88_000n;
    const upExpiry = NOW + 3n * 86_400n;
    const lock = payerLockOf({ channel: UP.channel, payer: payerWallet.address, node: nodeWallet.address, lockHash, expiry: upExpiry });
    const proposal = await payer.propose({ type: "create", transfer: lock });
    await payer.complete(
      await node.receive(payerWallet.address, proposal, {
        recipient: payeeWallet.address,
        expiry: downExpiry,
        amount: ETH - 1_000n,
      }),
    );
    const forwarded = node.payment(lockHash);
    expect(forwarded?.status).to.equal("forwarded");
    // accepted (with the upstream lock), then forwarded (with the downstream lock): two versions, each with its update.
    expect((await store.payment(lockHash))?.status).to.equal("forwarded");
    expect((await store.payment(lockHash))?.version).to.equal(2);
    expect(payee.transfers.size).to.equal(1);

    // The node process dies; a new one opens the same file.
    await store.close();
    store = await SqliteStore.open(path);
    node = await nodeOn(store, payer, payee, true);
    expect(await node.loadPayments()).to.equal(1);
    expect(node.payment(lockHash)?.status).to.equal("forwarded");

    const downId = forwarded?.downstream?.transferId as string;
    const claim = await payee.propose({
      type: "resolve",
      transferId: downId,
      toResponder: ETH - 1_000n,
      resolverData: encodeHashlockResolution(preimage),
    });
    await payee.complete(await node.receive(payeeWallet.address, claim));
    expect(node.payment(lockHash)?.status).to.equal("completed");
    expect(payer.transfers.size).to.equal(0); // the upstream lock is claimed
    const stored = await store.payment(lockHash);
    expect(stored?.status).to.equal("completed");
    expect(stored?.version).to.equal(4); // + unlocked (with the payee's resolve), + completed (with the claim)
    expect((await store.preimage(lockHash))?.resolverData).to.equal(encodeHashlockResolution(preimage).toLowerCase());
    const upRecord = await store.load(UP.channel);
    expect(upRecord?.resolutions[forwarded?.upstream.transferId as string]).to.equal(
      encodeHashlockResolution(preimage).toLowerCase(),
    );
    await store.close();
  });

  it("refuses a peer channel that writes to another store than the node's", async () => {
    const store = new MemoryStore();
    const node = new Node({ address: nodeWallet.address, hashlock: HASHLOCK, clock: () => NOW, store });
    const payer = await Channel.create(cfg(UP, "bob", payerWallet, new MemoryStore()));
    const own = await Channel.create(cfg(UP, "alice", nodeWallet, new MemoryStore()));
    expect(() => node.addPeer(payerWallet.address, own, link(payer))).to.throw(RouteError, /node's store/);
  });
});
