/**
 * A routed payment's version in a cluster process's table (src/routing/node.ts `committed`, src/routing/payments.ts
 * `committedVersion`) against a read of the stored row that lands between the commit of a payment's change and the
 * moment the Node takes it as committed. In a cluster that read is ordinary: another exchange of the same process
 * on the payment's other channel re-reads the payments that cross it, and the leader's tick reads every open
 * payment (src/node/cluster/routing.ts), each merged with `mergePayments`. The e2e run's rare failure (the
 * leader's tick refused "the stored version is not N" on every tick, the payment left "accepted" in the books)
 * came from counting that version twice: the merge took the row's version, then `committed` added one more.
 *
 * Deterministic here: the node's store merges the stored payments into the Node right after each unit that
 * writes a payment commits (before the write returns to the Node), as such a concurrent read would.
 */
import { expect } from "chai";
import { Wallet, ZeroAddress, getAddress, id, keccak256 } from "ethers";

import { Channel, type ChannelConfig, type DepositReader } from "../../../src/channel/channel.js";
import { encodeHashlockResolution, hashlockLock } from "../../../src/protocol/resolvers.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import type { ChannelSetup, Party } from "../../../src/protocol/types.js";
import { Node, type PeerLink } from "../../../src/routing/node.js";
import { mergePayments } from "../../../src/routing/payments.js";
import { MemoryStore } from "../../../src/stores/memory.js";
import type { SwitchyardStore, WriteUnit } from "../../../src/stores/store.js";
import { CHAIN_ID, HASHLOCK, LIMITS, NOW, POLICIES, TIMEOUT, run } from "../sdk/helpers.js";
import { payerLockOf } from "../routing/payerLock.js";

const nodeWallet = new Wallet(keccak256(id("versions node")));
const payerWallet = new Wallet(keccak256(id("versions payer")));
const payeeWallet = new Wallet(keccak256(id("versions payee")));
const UP: ChannelSetup = { chainId: CHAIN_ID, channel: getAddress(`0x${"0".repeat(36)}0b01`), alice: nodeWallet.address, bob: payerWallet.address, timeout: TIMEOUT };
const DOWN: ChannelSetup = { chainId: CHAIN_ID, channel: getAddress(`0x${"0".repeat(36)}0b02`), alice: nodeWallet.address, bob: payeeWallet.address, timeout: TIMEOUT };
const ETH = 10n ** 18n;

const deposits = (setup: ChannelSetup): DepositReader => async () =>
  setup.channel === UP.channel ? { alice: 0n, bob: 5n * ETH } : { alice: 5n * ETH, bob: 0n };

function cfg(setup: ChannelSetup, me: Party, wallet: Wallet, store: SwitchyardStore): ChannelConfig {
  return { setup, me, signer: walletSigner(wallet), store, limits: LIMITS, resolvers: POLICIES, clock: () => NOW, deposits: deposits(setup) };
}

const link = (channel: Channel): PeerLink => ({ receive: (proposal) => channel.receive(proposal) });

/** The node's store, whose every committed payment change is read back into `node` before the write returns. */
class ReadBackStore extends MemoryStore {
  node: Node | undefined;
  merges = 0;

  override async write(unit: WriteUnit): Promise<void> {
    await super.write(unit);
    if (this.node === undefined || (unit.payments ?? []).length === 0) return;
    mergePayments(this.node, await this.payments());
    this.merges += 1;
  }
}

describe("cluster: a payment's version when its row is read back between its commit and the Node's bookkeeping", function () {
  this.timeout(60_000);

  it("test_paymentVersion_rowMergedBetweenCommitAndCommitted_versionCountedOnce_paymentForwardedAndCompleted", async () => {
    const store = new ReadBackStore();
    const payer = await Channel.create(cfg(UP, "bob", payerWallet, new MemoryStore()));
    const payee = await Channel.create(cfg(DOWN, "bob", payeeWallet, new MemoryStore()));
    const node = new Node({ address: nodeWallet.address, hashlock: HASHLOCK, clock: () => NOW, store });
    node.addPeer(payerWallet.address, await Channel.create(cfg(UP, "alice", nodeWallet, store)), link(payer));
    node.addPeer(payeeWallet.address, await Channel.create(cfg(DOWN, "alice", nodeWallet, store)), link(payee));
    await run(node.channel(payerWallet.address), payer, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 0n, totalDepositsBob: 5n * ETH });
    await run(node.channel(payeeWallet.address), payee, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 5n * ETH, totalDepositsBob: 0n });
    store.node = node;

    const preimage = id("versions invoice");
    const lockHash = hashlockLock(preimage);
    const lock = payerLockOf({ channel: UP.channel, payer: payerWallet.address, node: nodeWallet.address, lockHash, expiry: NOW + 3n * 86_400n });
    const proposal = await payer.propose({ type: "create", transfer: lock });
    await payer.complete(await node.receive(payerWallet.address, proposal, { recipient: payeeWallet.address, expiry: NOW + 88_000n, amount: ETH - 1_000n }));

    // Accepted (v1, read back at once), then forwarded (v2): without the fix the table held v2 after the first
    // commit, the forward's write expected 2 against the row's 1 and was refused, and so was the refund after it.
    expect(node.payment(lockHash)?.status, node.payment(lockHash)?.error).to.equal("forwarded");
    expect(node.payment(lockHash)?.error).to.equal(undefined);
    expect((await store.payment(lockHash))?.status).to.equal("forwarded");
    expect((await store.payment(lockHash))?.version).to.equal(2);
    expect(node.versions.get(lockHash)).to.equal(2);
    expect(payee.transfers.size).to.equal(1);

    const claim = await payee.propose({
      type: "resolve",
      transferId: node.payment(lockHash)?.downstream?.transferId as string,
      toResponder: ETH - 1_000n,
      resolverData: encodeHashlockResolution(preimage),
    });
    await payee.complete(await node.receive(payeeWallet.address, claim));
    expect(node.payment(lockHash)?.status).to.equal("completed");
    expect(payer.transfers.size).to.equal(0); // claimed upstream
    const stored = await store.payment(lockHash);
    expect(stored?.status).to.equal("completed");
    expect(stored?.version).to.equal(4); // + unlocked, + completed: each version counted once
    expect(node.versions.get(lockHash)).to.equal(4);
    expect(store.merges).to.equal(4); // every payment change was read back before the Node took it
  });
});
