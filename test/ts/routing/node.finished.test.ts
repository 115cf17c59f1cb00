/**
 * The node's payment table keeps only the latest finished payments (`NodeConfig.finishedInMemory`,
 * src/routing/nodeBase.ts `retire`): the soak of session 7 found every payment ever routed held in memory (3.2 KiB
 * each). Older finished payments are in the store only, and nothing of them stays in memory (a set of their lock
 * hashes grew by ~100 bytes a payment): a payer's later lock with one is refused before the node signs by a read
 * of the store. A restart reads the open payments and the latest finished ones only (`recentPayments`).
 */
import { join } from "node:path";

import { expect } from "chai";
import { id } from "ethers";

import type { Channel } from "../../../src/channel/channel.js";
import { RouteError } from "../../../src/protocol/errors.js";
import { encodeHashlockResolution, hashlockLock } from "../../../src/protocol/resolvers.js";
import type { Node } from "../../../src/routing/node.js";
import { SqliteStore } from "../../../src/stores/sqlite/index.js";
import type { SwitchyardStore } from "../../../src/stores/store.js";
import { rejects } from "../stores/conformance.js";
import { NOW, tempDir } from "../sdk/helpers.js";
import { durableRoute, ETH } from "./durableRoute.js";
import { payerLockOf } from "./payerLock.js";

const { nodeWallet, payerWallet, payeeWallet, UP, counterparties, nodeOn, fund } = durableRoute("finished", "0b01", "0b02");
const KEEP = 2;
const ROUTE = { recipient: payeeWallet.address, expiry: NOW + 88_000n, amount: ETH - 1_000n };
const lockWith = (lockHash: string, salt?: string): ReturnType<typeof payerLockOf> =>
  payerLockOf({ channel: UP.channel, payer: payerWallet.address, node: nodeWallet.address, lockHash, expiry: NOW + 3n * 86_400n, ...(salt !== undefined ? { salt } : {}) });

/** Routes one payment of 1 ETH from the payer to the payee through `node`, the payee claiming it. */
async function pay(node: Node, payer: Channel, payee: Channel, tag: string): Promise<string> {
  const preimage = id(`finished ${tag}`);
  const lockHash = hashlockLock(preimage);
  await payer.complete(await node.receive(payerWallet.address, await payer.propose({ type: "create", transfer: lockWith(lockHash) }), ROUTE));
  const down = node.payment(lockHash)?.downstream?.transferId as string;
  const claim = await payee.propose({ type: "resolve", transferId: down, toResponder: ROUTE.amount, resolverData: encodeHashlockResolution(preimage) });
  await payee.complete(await node.receive(payeeWallet.address, claim));
  expect(node.payment(lockHash)?.status, tag).to.equal("completed");
  await new Promise((r) => setTimeout(r, 5)); // each payment finishes at its own millisecond (updatedAt orders them)
  return lockHash;
}

/**
 * A payer's lock with the used `lockHash` is refused before the node signs anything: as the payer's intent, which
 * the node signs first (a client's payment), and with `proposed` as a lock the payer signed first (that leaves the
 * payer's channel with its refused proposal pending: the test's last step).
 */
async function refusedBeforeSigning(node: Node, payer: Channel, lockHash: string, proposed = false): Promise<void> {
  const up = node.channel(payerWallet.address);
  const nonce = up.state.nonce;
  const replay = lockWith(lockHash, id(`replay ${nonce}`));
  const intent = await rejects(node.intent(payerWallet.address, { type: "create", transfer: replay }, ROUTE), RouteError);
  expect(intent.message).to.match(/already routed/);
  if (proposed) {
    const refused = await rejects(node.receive(payerWallet.address, await payer.propose({ type: "create", transfer: replay }), ROUTE), RouteError);
    expect(refused.message).to.match(/already routed/);
  }
  expect(up.state.nonce).to.equal(nonce);
  expect(up.pending).to.equal(undefined);
}

describe("Node's table of finished payments (src/routing/nodeBase.ts retire)", function () {
  this.timeout(60_000);

  it("test_retire_keepsTheLatestFinishedPaymentsAndStillRefusesAnOldLockHashBeforeSigning", async () => {
    const path = join(await tempDir("finished"), "node.db");
    let store: SwitchyardStore = await SqliteStore.open(path);
    const { payer, payee } = await counterparties();
    let node = await nodeOn(store, payer, payee, false, { finishedInMemory: KEEP });
    await fund(node, payer, payee);

    const hashes: string[] = [];
    for (const tag of ["a", "b", "c", "d"]) hashes.push(await pay(node, payer, payee, tag));
    // The latest KEEP finished payments stay in the table; the older ones are in the store only.
    expect(node.payments.size).to.equal(KEEP);
    expect(node.versions.size).to.equal(KEEP);
    expect(node.byDownstream.size).to.be.at.most(KEEP);
    expect(node.payment(hashes[0] as string)).to.equal(undefined);
    expect(node.payment(hashes[3] as string)?.status).to.equal("completed");
    for (const h of hashes) expect((await store.payment(h))?.status).to.equal("completed");
    await refusedBeforeSigning(node, payer, hashes[0] as string);
    expect(node.payments.size).to.equal(KEEP);

    // A restarted node reads the open payments and the latest KEEP finished ones only, the old lock hashes still refused.
    await store.close();
    store = await SqliteStore.open(path);
    node = await nodeOn(store, payer, payee, true, { finishedInMemory: KEEP });
    expect(await node.loadPayments()).to.equal(KEEP);
    expect([...node.payments.keys()].sort()).to.deep.equal([hashes[2], hashes[3]].sort());
    expect(await node.routed(hashes[0] as string)).to.equal(true);
    expect(node.known(hashes[0] as string)).to.equal(false); // not in memory
    expect(await node.routed(hashlockLock(id("never routed")))).to.equal(false);
    await refusedBeforeSigning(node, payer, hashes[1] as string);
    // And it routes on: a new payment, the oldest in the table dropped.
    const e = await pay(node, payer, payee, "e");
    expect([...node.payments.keys()].sort()).to.deep.equal([hashes[3], e].sort());
    await store.close();
  });

  it("test_retire_holdsNothingOfTheDroppedPaymentsInMemory_howeverManyWereRouted", async () => {
    const store = await SqliteStore.open(join(await tempDir("finished"), "node.db"));
    const { payer, payee } = await counterparties();
    const node = await nodeOn(store, payer, payee, false, { finishedInMemory: 1 });
    await fund(node, payer, payee);
    const hashes: string[] = [];
    for (const tag of ["f", "g", "h", "i"]) hashes.push(await pay(node, payer, payee, tag));
    // Every table the Node keeps (its payments, their versions and downstream ids, the finished ones' order, any
    // set of lock hashes) holds at most one entry after 4 payments: its memory does not grow with the history.
    const tables = Object.entries(node).filter((e): e is [string, Map<unknown, unknown> | Set<unknown>] => e[1] instanceof Map || e[1] instanceof Set);
    expect(tables.map(([k]) => k)).to.include.members(["payments", "versions", "byDownstream", "finished"]);
    for (const [name, table] of tables.filter(([k]) => k !== "peers")) expect(table.size, name).to.be.at.most(1);
    await refusedBeforeSigning(node, payer, hashes[0] as string, true);
    await store.close();
  });
});
