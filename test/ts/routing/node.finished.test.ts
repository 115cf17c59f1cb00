/**
 * The node's payment table keeps only the latest finished payments (`NodeConfig.finishedInMemory`,
 * src/routing/nodeBase.ts `retire`): the soak of session 7 found every payment ever routed held in memory (3.2 KiB
 * each). Older finished payments are in the store only, their lock hashes still refused before the node signs.
 */
import { join } from "node:path";

import { expect } from "chai";
import { Wallet, ZeroAddress, getAddress, id, keccak256 } from "ethers";

import { Channel, type ChannelConfig, type DepositReader } from "../../../src/channel/channel.js";
import { RouteError } from "../../../src/protocol/errors.js";
import { encodeHashlockResolution, hashlockLock } from "../../../src/protocol/resolvers.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import type { ChannelSetup, Party } from "../../../src/protocol/types.js";
import { Node, type PeerLink } from "../../../src/routing/node.js";
import { MemoryStore } from "../../../src/stores/memory.js";
import { SqliteStore } from "../../../src/stores/sqlite/index.js";
import type { SwitchyardStore } from "../../../src/stores/store.js";
import { rejects } from "../stores/conformance.js";
import { CHAIN_ID, HASHLOCK, LIMITS, NOW, POLICIES, TIMEOUT, run, tempDir } from "../sdk/helpers.js";
import { payerLockOf } from "./payerLock.js";

const nodeWallet = new Wallet(keccak256(id("finished node")));
const payerWallet = new Wallet(keccak256(id("finished payer")));
const payeeWallet = new Wallet(keccak256(id("finished payee")));
const setupOf = (bob: string, tail: string): ChannelSetup => ({
  chainId: CHAIN_ID,
  channel: getAddress(`0x${"0".repeat(36)}${tail}`),
  alice: nodeWallet.address,
  bob,
  timeout: TIMEOUT,
});
const UP = setupOf(payerWallet.address, "0b01");
const DOWN = setupOf(payeeWallet.address, "0b02");
const ETH = 10n ** 18n;
const KEEP = 2;

const deposits = (setup: ChannelSetup): DepositReader => async () =>
  setup.channel === UP.channel ? { alice: 0n, bob: 5n * ETH } : { alice: 5n * ETH, bob: 0n };

function cfg(setup: ChannelSetup, me: Party, wallet: Wallet, store: SwitchyardStore): ChannelConfig {
  return { setup, me, signer: walletSigner(wallet), store, limits: LIMITS, resolvers: POLICIES, clock: () => NOW, deposits: deposits(setup) };
}

const link = (channel: Channel): PeerLink => ({ receive: (proposal) => channel.receive(proposal) });

async function nodeOn(store: SwitchyardStore, payer: Channel, payee: Channel, open: boolean): Promise<Node> {
  const node = new Node({ address: nodeWallet.address, hashlock: HASHLOCK, clock: () => NOW, store, finishedInMemory: KEEP });
  const make = open ? Channel.open : Channel.create;
  node.addPeer(payerWallet.address, await make(cfg(UP, "alice", nodeWallet, store)), link(payer));
  node.addPeer(payeeWallet.address, await make(cfg(DOWN, "alice", nodeWallet, store)), link(payee));
  return node;
}

const ROUTE = { recipient: payeeWallet.address, expiry: NOW + 88_000n, amount: ETH - 1_000n };

/** Routes one payment of 1 ETH from the payer to the payee through `node`, the payee claiming it. */
async function pay(node: Node, payer: Channel, payee: Channel, tag: string): Promise<string> {
  const preimage = id(`finished ${tag}`);
  const lockHash = hashlockLock(preimage);
  const lock = payerLockOf({ channel: UP.channel, payer: payerWallet.address, node: nodeWallet.address, lockHash, expiry: NOW + 3n * 86_400n });
  await payer.complete(await node.receive(payerWallet.address, await payer.propose({ type: "create", transfer: lock }), ROUTE));
  const down = node.payment(lockHash)?.downstream?.transferId as string;
  const claim = await payee.propose({ type: "resolve", transferId: down, toResponder: ROUTE.amount, resolverData: encodeHashlockResolution(preimage) });
  await payee.complete(await node.receive(payeeWallet.address, claim));
  expect(node.payment(lockHash)?.status, tag).to.equal("completed");
  return lockHash;
}

describe("Node's table of finished payments (src/routing/nodeBase.ts retire)", function () {
  this.timeout(60_000);

  it("test_retire_keepsTheLatestFinishedPaymentsAndStillRefusesAnOldLockHashBeforeSigning", async () => {
    const path = join(await tempDir("finished"), "node.db");
    let store: SwitchyardStore = await SqliteStore.open(path);
    const payer = await Channel.create(cfg(UP, "bob", payerWallet, new MemoryStore()));
    const payee = await Channel.create(cfg(DOWN, "bob", payeeWallet, new MemoryStore()));
    let node = await nodeOn(store, payer, payee, false);
    await run(node.channel(payerWallet.address), payer, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 0n, totalDepositsBob: 5n * ETH });
    await run(node.channel(payeeWallet.address), payee, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 5n * ETH, totalDepositsBob: 0n });

    const hashes: string[] = [];
    for (const tag of ["a", "b", "c", "d"]) hashes.push(await pay(node, payer, payee, tag));
    // The latest KEEP finished payments stay in the table; the older ones are in the store only.
    expect(node.payments.size).to.equal(KEEP);
    expect(node.versions.size).to.equal(KEEP);
    expect(node.byDownstream.size).to.be.at.most(KEEP);
    expect(node.payment(hashes[0] as string)).to.equal(undefined);
    expect(node.payment(hashes[3] as string)?.status).to.equal("completed");
    for (const h of hashes) expect((await store.payment(h))?.status).to.equal("completed");

    // A payer's new lock with a retired lock hash is refused before the node signs anything.
    const nonce = node.channel(payerWallet.address).state.nonce;
    const replay = payerLockOf({ channel: UP.channel, payer: payerWallet.address, node: nodeWallet.address, lockHash: hashes[0] as string, expiry: NOW + 3n * 86_400n, salt: id("replay") });
    const refused = await rejects(node.receive(payerWallet.address, await payer.propose({ type: "create", transfer: replay }), ROUTE), RouteError);
    expect(refused.message).to.match(/already routed/);
    expect(node.channel(payerWallet.address).state.nonce).to.equal(nonce);
    expect(node.channel(payerWallet.address).pending).to.equal(undefined);
    expect(node.payments.size).to.equal(KEEP);

    // A restarted node loads the store and keeps the same bound, the old lock hashes still refused.
    await store.close();
    store = await SqliteStore.open(path);
    node = await nodeOn(store, payer, payee, true);
    expect(await node.loadPayments()).to.equal(4);
    expect(node.payments.size).to.equal(KEEP);
    expect(node.known(hashes[0] as string)).to.equal(true);
    expect(node.known(hashlockLock(id("never routed")))).to.equal(false);
    await store.close();
  });
});
