/**
 * The client when its node goes away (issue 14 item 2), against a real node process and anvil: the node killed
 * and restarted (reconnect with backoff and jitter, sync first, payments again), and a payment whose node
 * vanishes mid-way (a typed error within its timeout, then completed or refunded after the restart, never both),
 * and a payee that dies between its co-signed claim and its record (the record caught up from the channel).
 */

import { expect } from "chai";
import { ZeroAddress } from "ethers";

import {
  NodeUnavailableError,
  PayeeUnavailableError,
  PaymentTimeoutError,
} from "../../../src/client/index.js";
import { MemoryDatabase, MemoryStore, type WriteUnit } from "../../../src/stores/store.js";
import { TransportError } from "../../../src/wire/codes.js";
import type { ClientSession } from "../../../src/wire/session.js";
import { until } from "../node/harness.js";

import { ETH, clientSuite, collect, rejects, statuses, connectClient, type Network } from "./fixture.js";

/** A payee's store that fails the write of a "received" record: the process dying right after its co-signed claim. */
class DiesBeforeReceived extends MemoryStore {
  override async write(unit: WriteUnit): Promise<void> {
    if (unit.payments?.some((w) => w.payment.status === "received")) throw new Error("the payee's process died here");
    return super.write(unit);
  }
}

/** A payer's store that fails the write of a "locked" record: the process dying right after its lock was co-signed. */
class DiesBeforeLocked extends MemoryStore {
  override async write(unit: WriteUnit): Promise<void> {
    if (unit.payments?.some((w) => w.payment.status === "locked")) throw new Error("the payer's process died here");
    return super.write(unit);
  }
}

describe("SwitchyardClient when its node restarts (real node process, anvil)", function () {
  this.timeout(240_000);
  const suite = clientSuite();
  const { clients } = suite;
  let net: Network;
  before(() => (net = suite.net));
  const user = (name: string, deposit = 2n * ETH, store = new MemoryStore()): ReturnType<typeof suite.funded> =>
    suite.funded(name, deposit, { store, options: { requestTimeoutMs: 5_000 } });

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

  // Found by `npm run chaos` (a client SIGKILLed mid-payment): the claim was co-signed and the money received, but
  // the payee's record stayed "invoiced" for good, since a restart only looked at locks still active.
  it("test_invoice_payeeDiesBetweenItsClaimAndItsRecord_recordMarkedReceivedOnRestart", async () => {
    const payer = await user("record payer");
    const payeeWallet = await net.user("record payee");
    const db = new MemoryDatabase();
    const dying = new DiesBeforeReceived(db);
    const payee = await connectClient(net, payeeWallet, dying);
    clients.push(payee);
    const invoice = await payee.invoice({ asset: ZeroAddress, amount: ETH / 10n });
    expect((await payer.client.pay(invoice)).status).to.equal("completed");
    expect(payee.balances()[ZeroAddress]?.mine).to.equal(ETH / 10n); // the claim is co-signed…
    expect((await dying.payment(invoice.lockHash))?.status).to.equal("invoiced"); // …and the record fell behind
    await payee.disconnect();

    const store = new MemoryStore(db); // the restarted process, on the same data
    const again = await connectClient(net, payeeWallet, store);
    clients.push(again);
    const row = await store.payment(invoice.lockHash);
    expect(row?.status).to.equal("received");
    const history = await store.history(again.channelAddress);
    const claim = history.find((c) => c.update.details.type === "resolve");
    expect(claim?.update.details.type === "resolve" && claim.update.details.transferId.toLowerCase()).to.equal((row?.body as { transferId?: string }).transferId);
    expect(again.balances()[ZeroAddress]?.mine).to.equal(ETH / 10n); // received once, nothing claimed again
  });

  // Found by `npm run chaos` (a payer killed mid-payment): a payment whose record stayed "locking" (or was given up
  // as "abandoned") while its lock was co-signed was never looked at again, so it stayed open for good after the
  // node claimed the lock while the payer was away.
  it("test_pay_payerDiesBetweenItsCoSignedLockAndItsRecord_settledFromTheChannelOnRestart", async () => {
    const payerWallet = await net.user("locking payer");
    const db = new MemoryDatabase();
    let payer = await connectClient(net, payerWallet, new DiesBeforeLocked(db));
    clients.push(payer);
    await payer.deposit({ asset: ZeroAddress, amount: ETH });
    const payee = await user("locking payee", 0n);
    const invoice = await payee.client.invoice({ asset: ZeroAddress, amount: ETH / 10n });
    const paying = await payer.pay({ ...invoice, timeoutMs: 5_000 }).then(() => undefined, (e: unknown) => e);
    expect(String(paying)).to.match(/died here/);
    await payer.disconnect(); // the process is gone; the node claims the lock from the payee's side meanwhile
    await until(async () => (await payee.store.payment(invoice.lockHash))?.status === "received", "the payee's claim");
    const store = new MemoryStore(db);
    expect((await store.payment(invoice.lockHash))?.status).to.equal("locking");
    payer = await connectClient(net, payerWallet, store); // restarted: the node's claim of its lock comes with the sync
    clients.push(payer);
    await until(async () => (await store.payment(invoice.lockHash))?.status === "completed", "the payment settled from the channel", 15_000);
    const row = await store.payment(invoice.lockHash);
    expect((row?.body as { preimage?: string }).preimage).to.match(/^0x[0-9a-f]{64}$/);
    expect(payer.balances()[ZeroAddress]?.lockedByMe).to.equal(0n);
  });

  it("test_pay_lockCoSignedLaterInTheSameSession_recordTakenUpAndCompleted", async () => {
    const payer = await user("late lock payer");
    const payee = await user("late lock payee", 0n);
    await payer.client.pay(await payee.client.invoice({ asset: ZeroAddress, amount: ETH / 100n })); // collateral in place
    const session = (payer.client as unknown as { session: ClientSession }).session;
    const wire = session.wire;
    const real = wire.request.bind(wire) as (m: string, p: unknown) => Promise<unknown>;
    let held: (() => void) | undefined;
    wire.request = (async (method: string, params: unknown) => {
      if (method === "channel.propose" && held === undefined) {
        // The intent reaches the node only after the client gave up on it (a slow node): pay() fails, "abandoned".
        held = () => void real(method, params).catch(() => undefined);
        throw new TransportError("TIMEOUT", "channel.propose: no answer within 5000 ms");
      }
      return real(method, params);
    }) as typeof wire.request;
    const invoice = await payee.client.invoice({ asset: ZeroAddress, amount: ETH / 10n });
    const paying = await payer.client.pay({ ...invoice, timeoutMs: 5_000 }).then(() => "paid", (e: unknown) => e);
    expect(paying).to.be.instanceOf(NodeUnavailableError);
    expect((await payer.store.payment(invoice.lockHash))?.status).to.equal("abandoned");
    held?.(); // the node signs the lock now and waits for its answer
    await until(async () => (await wire.request("channel.sync", { nonce: session.channel.state.nonce })).pending !== undefined, "the node's signature");
    await session.sync(); // the same session takes the node's proposal for its stored intent
    // Without the catch-up the record stays "abandoned" until a reconnect while the node completes the payment.
    await until(async () => (await payer.store.payment(invoice.lockHash))?.status === "completed", "the payer's record completed", 15_000);
    expect((await payee.store.payment(invoice.lockHash))?.status).to.equal("received");
  });
});
