/**
 * The routing Node after a commit of its store whose outcome is unknown (the chaos run's PostgreSQL restart, seed
 * 808: an acknowledgement the node saw fail had landed): the Node goes on from its store, not its memory
 * (src/routing/doubts.ts). The payer's lock, acknowledged in that commit with its payment "accepted", is then
 * known to the Node and refunded by its tick, and the intent the Node waited for no longer blocks the channel.
 * Here a SQLite store commits and then reports the commit failed, as a lost connection would.
 */
import { join } from "node:path";

import { expect } from "chai";
import { Wallet, ZeroAddress, getAddress, id, keccak256 } from "ethers";

import { Channel, type ChannelConfig, type DepositReader } from "../../../src/channel/channel.js";
import { accept } from "../../../src/channel/sequencing.js";
import { NonceError, StoreUnavailableError } from "../../../src/protocol/errors.js";
import { hashlockLock } from "../../../src/protocol/resolvers.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import type { ChannelSetup, Party } from "../../../src/protocol/types.js";
import { Node, hashlockTransfer, type RouteInstruction } from "../../../src/routing/node.js";
import { MemoryStore } from "../../../src/stores/memory.js";
import { SqliteStore } from "../../../src/stores/sqlite/index.js";
import type { SwitchyardStore } from "../../../src/stores/store.js";
import { payerLockOf } from "./payerLock.js";
import { rejects } from "../stores/conformance.js";
import { CHAIN_ID, HASHLOCK, LIMITS, NOW, POLICIES, TIMEOUT, run, tempDir } from "../sdk/helpers.js";

const nodeWallet = new Wallet(keccak256(id("doubt node")));
const payerWallet = new Wallet(keccak256(id("doubt payer")));
const payeeWallet = new Wallet(keccak256(id("doubt payee")));
const UP: ChannelSetup = { chainId: CHAIN_ID, channel: getAddress(`0x${"0".repeat(36)}0d01`), alice: nodeWallet.address, bob: payerWallet.address, timeout: TIMEOUT };
const DOWN: ChannelSetup = { chainId: CHAIN_ID, channel: getAddress(`0x${"0".repeat(36)}0d02`), alice: nodeWallet.address, bob: payeeWallet.address, timeout: TIMEOUT };
const ETH = 10n ** 18n;

const deposits = (setup: ChannelSetup): DepositReader => async () =>
  setup.channel === UP.channel ? { alice: 0n, bob: 5n * ETH } : { alice: 5n * ETH, bob: 0n };

function cfg(setup: ChannelSetup, me: Party, wallet: Wallet, store: SwitchyardStore): ChannelConfig {
  return { setup, me, signer: walletSigner(wallet), store, limits: LIMITS, resolvers: POLICIES, clock: () => NOW, deposits: deposits(setup) };
}

function lockOf(tag: string): { lockHash: string; transfer: ReturnType<typeof hashlockTransfer> } {
  const lockHash = hashlockLock(id(`doubt invoice ${tag}`));
  const transfer = payerLockOf({ channel: UP.channel, payer: payerWallet.address, node: nodeWallet.address, lockHash, expiry: NOW + 3n * 86_400n, salt: id(`doubt salt ${tag}`) });
  return { lockHash, transfer };
}

const ROUTE: RouteInstruction = { recipient: payeeWallet.address, expiry: NOW + 88_000n, amount: ETH - 1_000n };

describe("Node after a commit of unknown outcome (src/routing/doubts.ts)", function () {
  this.timeout(60_000);

  it("test_acknowledgementLandedButSeenFailing_theNodeTakesThePaymentFromItsStoreAndTheChannelGoesOn", async () => {
    const path = join(await tempDir("node-doubt"), "node.db");
    let armed = false;
    const store = await SqliteStore.open(path, {
      onCommitPoint: (point) => {
        if (point !== "commit-sent" || !armed) return;
        armed = false;
        throw new StoreUnavailableError(path, "Connection terminated unexpectedly (during COMMIT)");
      },
    });
    const payer = await Channel.create(cfg(UP, "bob", payerWallet, new MemoryStore()));
    const payee = await Channel.create(cfg(DOWN, "bob", payeeWallet, new MemoryStore()));
    const node = new Node({ address: nodeWallet.address, hashlock: HASHLOCK, clock: () => NOW, store, peerTimeoutMs: 2_000 });
    node.addPeer(payerWallet.address, await Channel.create(cfg(UP, "alice", nodeWallet, store)), { receive: (p) => payer.receive(p) });
    node.addPeer(payeeWallet.address, await Channel.create(cfg(DOWN, "alice", nodeWallet, store)), { receive: (p) => payee.receive(p) });
    await run(node.channel(payerWallet.address), payer, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 0n, totalDepositsBob: 5n * ETH });
    await run(node.channel(payeeWallet.address), payee, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 5n * ETH, totalDepositsBob: 0n });

    // The node signs the payer's lock first; the payer co-signs it; the acknowledgement's commit lands, and the
    // node is told it failed.
    const first = lockOf("first");
    const intent = { type: "create", transfer: first.transfer } as const;
    const ack = await accept(payer, await node.intent(payerWallet.address, intent, ROUTE), intent);
    armed = true;
    await rejects(node.acknowledge(payerWallet.address, ack), StoreUnavailableError);
    expect((await store.payment(first.lockHash))?.status, "stored with the acknowledgement").to.equal("accepted");

    // Sent again, the acknowledgement is a replay of the stored update (before: STORE "co-signed nonce n does not
    // follow the stored nonce n", for good), and the node knows the payment its commit stored.
    await rejects(node.acknowledge(payerWallet.address, ack), NonceError);
    expect(node.payment(first.lockHash)?.status).to.equal("accepted");
    expect(node.channel(payerWallet.address).state).to.deep.equal(payer.state);

    // Nothing was forwarded: the tick refunds the lock (before: the payment was unknown, the lock stayed for good).
    await node.tick();
    expect(node.payment(first.lockHash)?.status).to.equal("refunded");
    expect((await store.payment(first.lockHash))?.status).to.equal("refunded");
    expect(payer.transfers.list()).to.deep.equal([]);
    expect(node.channel(payerWallet.address).state).to.deep.equal(payer.state);

    // The next payment is signed at once (the intent the node waited for is no longer waited for) and forwarded.
    const second = lockOf("second");
    const next = { type: "create", transfer: second.transfer } as const;
    const started = Date.now();
    const { effects } = await node.acknowledge(payerWallet.address, await accept(payer, await node.intent(payerWallet.address, next, ROUTE), next));
    await effects;
    expect(Date.now() - started, "no wait for the old intent").to.be.lessThan(1_500);
    expect(node.payment(second.lockHash)?.status).to.equal("forwarded");
    expect(payee.transfers.list()).to.have.length(1);
    expect(node.channel(payeeWallet.address).state).to.deep.equal(payee.state);
    await store.close();
  });
});
