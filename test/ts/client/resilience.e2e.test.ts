/**
 * The client when the network does not hold (issue 14 item 2), against a real node process and anvil: the node
 * killed and restarted (reconnect with backoff, sync first, pending payments resumed), a payment whose node
 * vanishes mid-way (typed error within its timeout, settled after the restart), a socket cut between the
 * client's signature and the node's receipt of it (the same signed update re-delivered, never re-signed), a node
 * answering garbage or a forged signature (typed error, nothing signed), and two devices of one user (the second
 * syncs, or gets ForkError when the node's history forks from its store, never diverging silently).
 */
import { copyFile, readdir } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import { ZeroAddress, type Wallet } from "ethers";
import WebSocket from "ws";

import {
  NodeMisbehaviourError,
  NodeUnavailableError,
  PayeeUnavailableError,
  PaymentTimeoutError,
  SwitchyardClient,
  type ClientEvents,
  type ConnectionEvent,
} from "../../../src/client/index.js";
import { ForkError } from "../../../src/protocol/errors.js";
import { MemoryStore } from "../../../src/stores/store.js";
import { until } from "../node/harness.js";
import { doubleSigned, loggingSigner, type SignatureEntry } from "../node/inProcess.js";
import { ETH, connectClient, startNetwork, type Network } from "./fixture.js";
import { startRelay, type Relay } from "./proxy.js";

function collect<E extends keyof ClientEvents>(client: SwitchyardClient, event: E): Array<ClientEvents[E]> {
  const seen: Array<ClientEvents[E]> = [];
  client.on(event, (e) => seen.push(e));
  return seen;
}

async function rejects<E extends Error>(promise: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  try {
    await promise;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(type);
    return error as E;
  }
  expect.fail(`expected a ${type.name}`);
}

const statuses = (events: ConnectionEvent[]): string[] => events.map((e) => e.status);

describe("SwitchyardClient resilience (real node process, anvil)", function () {
  this.timeout(240_000);
  let net: Network;
  const clients: SwitchyardClient[] = [];
  const relays: Relay[] = [];

  before(async () => {
    net = await startNetwork();
  });
  after(async () => {
    for (const c of clients) await c.disconnect().catch(() => undefined);
    for (const r of relays) await r.close().catch(() => undefined);
    await net?.stop();
  });

  async function user(name: string, deposit = 2n * ETH, store = new MemoryStore()): Promise<{ client: SwitchyardClient; wallet: Wallet; store: MemoryStore }> {
    const wallet = await net.user(name);
    const client = await connectClient(net, wallet, store, { requestTimeoutMs: 5_000 });
    clients.push(client);
    if (deposit > 0n) await client.deposit({ asset: ZeroAddress, amount: deposit });
    return { client, wallet, store };
  }

  it("test_reconnect_nodeKilledAndRestarted_backsOffSyncsAndPaysAgain", async () => {
    const payer = await user("restart payer");
    const payee = await user("restart payee", 0n);
    await payer.client.pay(await payee.client.invoice({ asset: ZeroAddress, amount: ETH / 10n })); // collateral in place
    const events = collect(payer.client, "connection");
    const before = payer.client.balances();

    await net.stopNode(true); // SIGKILL: no drain, no goodbye
    await until(() => statuses(events).includes("reconnecting"), "the client noticing the loss");
    expect(payer.client.connected).to.equal(false);
    // An action while the node is gone fails typed once the wait for a reconnect runs out; nothing is signed.
    await rejects(payer.client.payNode({ asset: ZeroAddress, amount: 1n }), NodeUnavailableError);
    const attempts = events.filter((e) => e.status === "reconnecting");
    expect(attempts.length).to.be.greaterThan(1);
    for (const a of attempts) expect(a.delayMs).to.be.within(0, 1_000); // full jitter under maxMs
    expect(attempts.map((a) => a.attempt)).to.deep.equal(attempts.map((_, i) => i + 1));

    await net.restartNode();
    await until(() => statuses(events).includes("restored"), "the reconnect", 30_000);
    expect(statuses(events)[0]).to.equal("lost");
    expect(payer.client.balances()).to.deep.equal(before);
    await until(() => payee.client.connected, "the payee's reconnect", 30_000);
    const again = await payer.client.pay(await payee.client.invoice({ asset: ZeroAddress, amount: ETH / 10n }));
    expect(again.status).to.equal("completed");
    expect(payee.client.balances()[ZeroAddress]?.mine).to.equal(ETH / 5n);
  });

  it("test_pay_nodeVanishesMidPayment_rejectsTypedWithinItsTimeoutThenSettlesAfterTheRestart", async () => {
    const payer = await user("vanish payer");
    const payeeWallet = await net.user("vanish payee");
    const payeeStore = new MemoryStore();
    let payee = await connectClient(net, payeeWallet, payeeStore);
    await payer.client.pay(await payee.invoice({ asset: ZeroAddress, amount: ETH / 10n }));
    const invoice = await payee.invoice({ asset: ZeroAddress, amount: ETH / 10n });
    await payee.disconnect(); // the payee will claim only after the node is back

    const completed = collect(payer.client, "payment-completed");
    const failed = collect(payer.client, "payment-failed");
    const before = payer.client.balances()[ZeroAddress]?.mine ?? 0n;
    const started = Date.now();
    const pending = payer.client.pay({ ...invoice, timeoutMs: 6_000 }).then(
      () => expect.fail("the payment cannot complete while the payee is away"),
      (e: unknown) => e,
    );
    await until(() => (payer.client.balances()[ZeroAddress]?.lockedByMe ?? 0n) > 0n, "the lock co-signed");
    await net.stopNode(true);
    const error = await pending;
    expect(Date.now() - started).to.be.lessThan(9_000); // never hangs past its timeout
    expect(error instanceof PaymentTimeoutError || error instanceof PayeeUnavailableError, String(error)).to.equal(true);
    expect((await payer.store.payment(invoice.lockHash))?.status).to.equal("locked"); // kept, to be resumed

    // After the restart the payment ends cleanly one way or the other: completed (the node had the lock's
    // acknowledgement and forwards it to the returning payee), or refunded (the node died before it held the
    // acknowledgement, so it holds no route for the lock, and gives it back). Never both, never stuck.
    await net.restartNode();
    await until(() => payer.client.connected, "the payer's reconnect", 30_000);
    payee = await connectClient(net, payeeWallet, payeeStore);
    clients.push(payee);
    await until(() => completed.length + failed.length > 0, "the resumed payment ending", 30_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(completed.length + failed.length).to.equal(1);
    expect(payer.client.balances()[ZeroAddress]?.lockedByMe).to.equal(0n);
    const fee = payer.client.feeFor(ZeroAddress, ETH / 10n);
    if (completed.length === 1) {
      expect(completed[0]?.lockHash).to.equal(invoice.lockHash);
      expect((await payer.store.payment(invoice.lockHash))?.status).to.equal("completed");
      expect(payer.client.balances()[ZeroAddress]?.mine).to.equal(before - ETH / 10n - fee);
      await until(() => payee.balances()[ZeroAddress]?.mine === ETH / 5n, "the payee's claim");
    } else {
      expect(failed[0]).to.deep.include({ lockHash: invoice.lockHash, status: "refunded" });
      expect((await payer.store.payment(invoice.lockHash))?.status).to.equal("refunded");
      expect(payer.client.balances()[ZeroAddress]?.mine).to.equal(before);
      expect(payee.balances()[ZeroAddress]?.mine).to.equal(ETH / 10n);
    }
  });

  it("test_socketCutAfterSigning_theSameSignedUpdateReDeliveredNeverReSigned", async () => {
    const wallet = await net.user("cut");
    const log: SignatureEntry[] = [];
    const relay = await startRelay(net.node.ws);
    relays.push(relay);
    const store = new MemoryStore();
    const client = await SwitchyardClient.connect({
      node: relay.url,
      signer: loggingSigner(wallet, log),
      sender: wallet,
      store,
      chain: net.provider,
      WebSocket: WebSocket as never,
      reconnect: { initialMs: 100, maxMs: 500 },
      requestTimeoutMs: 10_000,
      watch: false,
    });
    clients.push(client);
    await client.deposit({ asset: ZeroAddress, amount: ETH });
    const events = collect(client, "connection");
    const nonce = client.balances() && (await store.load(client.channelAddress))?.state.nonce;
    const cut = relay.dropNextRequest("channel.acknowledge");
    const result = await client.payNode({ asset: ZeroAddress, amount: ETH / 4n }); // co-signed here before the cut
    await cut;
    await until(() => statuses(events).includes("restored"), "the reconnect through the relay");
    expect(result.nonce).to.equal((nonce ?? 0n) + 1n);
    expect(result.balance.mine).to.equal((3n * ETH) / 4n);
    // The node completed the update with the re-sent acknowledgement: the next one goes through on top of it.
    const next = await client.payNode({ asset: ZeroAddress, amount: 1n });
    expect(next.nonce).to.equal(result.nonce + 1n);
    expect(doubleSigned(log)).to.deep.equal([]);
    const signedAt = log.filter((e) => e.primaryType === "ChannelState" && e.nonce === String(result.nonce));
    expect(signedAt).to.have.length(1); // signed once, re-delivered from the store
  });

  /** A client reaching the node through a relay, its signatures logged. */
  async function relayed(name: string): Promise<{ client: SwitchyardClient; relay: Relay; log: SignatureEntry[]; store: MemoryStore }> {
    const wallet = await net.user(name);
    const relay = await startRelay(net.node.ws);
    relays.push(relay);
    const log: SignatureEntry[] = [];
    const store = new MemoryStore();
    const client = await SwitchyardClient.connect({
      node: relay.url,
      signer: loggingSigner(wallet, log),
      sender: wallet,
      store,
      chain: net.provider,
      WebSocket: WebSocket as never,
      reconnect: { initialMs: 100, maxMs: 500 },
      requestTimeoutMs: 15_000,
      watch: false,
    });
    clients.push(client);
    await client.deposit({ asset: ZeroAddress, amount: ETH });
    return { client, relay, log, store };
  }

  /** Flips the first byte of the proposal's state signature in a node answer. */
  const forgeSignature = (text: string): string =>
    text.replace(/("signatures":\{"state":")0x([0-9a-f]{2})/, (_m, p: string, b: string) => `${p}0x${b === "00" ? "01" : "00"}`);
  const garbage = (text: string): string => text.replace(/"result":\{.*\}\}$/, '"result":{"garbage":true}}');

  it("test_answerTamperedOnTheWay_theSyncRedeliversTheNodesOwnProposalAndItIsTakenOnce", async () => {
    const { client, relay, log } = await relayed("tampered link");
    relay.rewriteNextAnswer("channel.propose", forgeSignature);
    const result = await client.payNode({ asset: ZeroAddress, amount: 1n });
    expect(result.balance.mine).to.equal(ETH - 1n);
    expect(doubleSigned(log)).to.deep.equal([]);
    expect(log.filter((e) => e.primaryType === "ChannelState" && e.nonce === String(result.nonce))).to.have.length(1);
  });

  it("test_nodeAnswersAForgedSignature_NodeMisbehaviourErrorAndNothingSigned", async () => {
    const { client, relay, log, store } = await relayed("forged");
    const signatures = log.length;
    const latest = (await store.load(client.channelAddress))?.state;
    relay.rewriteNextAnswer("channel.propose", forgeSignature);
    relay.rewriteNextAnswer("channel.sync", forgeSignature); // the pending proposal the sync carries, forged too
    const forged = await rejects(client.payNode({ asset: ZeroAddress, amount: 1n }), NodeMisbehaviourError);
    expect(forged.message).to.match(/signature/i);
    expect(log.length).to.equal(signatures); // nothing signed
    expect((await store.load(client.channelAddress))?.state).to.deep.equal(latest);
  });

  it("test_nodeAnswersGarbage_NodeMisbehaviourErrorAndNothingSigned", async () => {
    const { client, relay, log, store } = await relayed("garbage");
    const signatures = log.length;
    const latest = (await store.load(client.channelAddress))?.state;
    relay.rewriteNextAnswer("channel.propose", garbage);
    relay.rewriteNextAnswer("channel.sync", garbage);
    const error = await rejects(client.payNode({ asset: ZeroAddress, amount: 1n }), NodeMisbehaviourError);
    expect(error.message).to.contain("garbage");
    expect(log.length).to.equal(signatures);
    expect((await store.load(client.channelAddress))?.state).to.deep.equal(latest);
  });

  it("test_twoDevicesOfOneUser_theSecondSyncsOrGetsForkErrorNeverDiverges", async () => {
    const wallet = await net.user("two devices");
    const storeA = new MemoryStore();
    const storeB = new MemoryStore();
    const a = await connectClient(net, wallet, storeA, { requestTimeoutMs: 5_000 });
    clients.push(a);
    await a.deposit({ asset: ZeroAddress, amount: 2n * ETH });
    await a.payNode({ asset: ZeroAddress, amount: ETH / 10n });
    // Device B starts with an empty store: it restores the channel from the node (every signature verified).
    const b = await connectClient(net, wallet, storeB, { requestTimeoutMs: 5_000, watch: false });
    clients.push(b);
    expect(b.balances()).to.deep.equal(a.balances());
    // Both act in turn; each catches up with the other's updates before its own (sync, checked continuous).
    await a.payNode({ asset: ZeroAddress, amount: 1n });
    await b.payNode({ asset: ZeroAddress, amount: 2n });
    await a.payNode({ asset: ZeroAddress, amount: 3n });
    await b.sync();
    expect(b.balances()).to.deep.equal(a.balances());
    expect(a.balances()[ZeroAddress]?.mine).to.equal(2n * ETH - ETH / 10n - 6n);

    // The node loses its latest updates (restored from a backup) and co-signs another content at that nonce with
    // a third device; device B, holding the original, refuses the node's history: ForkError, its store kept.
    await b.disconnect();
    await a.disconnect();
    await net.stopNode();
    const dir = path.dirname(net.config);
    const files = (await readdir(dir)).filter((f) => f.startsWith("node.sqlite"));
    for (const f of files) await copyFile(path.join(dir, f), path.join(dir, `backup-${f}`));
    await net.restartNode();
    const b2 = await connectClient(net, wallet, storeB, { requestTimeoutMs: 5_000, watch: false });
    await b2.payNode({ asset: ZeroAddress, amount: 5n }); // the update the node will lose
    const kept = (await storeB.load(b2.channelAddress))?.latest;
    await b2.disconnect();
    await net.stopNode();
    for (const f of files) await copyFile(path.join(dir, `backup-${f}`), path.join(dir, f));
    await net.restartNode();
    const c = await connectClient(net, wallet, new MemoryStore(), { requestTimeoutMs: 5_000, watch: false });
    clients.push(c);
    await c.payNode({ asset: ZeroAddress, amount: 7n }); // another content at the same nonce
    const fork = await rejects(connectClient(net, wallet, storeB, { requestTimeoutMs: 5_000, watch: false }), ForkError);
    expect(fork.nonce).to.equal(kept?.state.nonce);
    expect((await storeB.load(c.channelAddress))?.latest).to.deep.equal(kept); // never overwritten
  });
});
