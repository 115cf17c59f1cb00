/**
 * SwitchyardClient against a real node process and a real chain (anvil, contracts deployed): every action as one
 * awaited call with a typed result (deposit, payNode, invoice + pay, withdraw, close), its events, the watcher
 * answering a stale dispute, and the bad input of issue 14 (more than the channel holds, over the transfer cap,
 * an unknown or offline payee, a closed channel): each a typed error naming the cause, nothing signed, the
 * client's store unchanged.
 */
import { expect } from "chai";
import { ZeroAddress } from "ethers";

import { Commitments } from "../../../src/chain/commitments.js";
import { ChannelReader } from "../../../src/chain/reader.js";
import {
  AmountError,
  InsufficientBalanceError,
  PayeeUnavailableError,
  PaymentFailedError,
  type DisputeEvent,
} from "../../../src/client/index.js";
import { ChannelClosedError, TransferCapError } from "../../../src/protocol/errors.js";
import { MemoryStore } from "../../../src/stores/store.js";
import { until } from "../node/harness.js";
import { ETH, clientSuite, collect, rejects, connectClient, type Network } from "./fixture.js";

describe("SwitchyardClient (real node process, anvil)", function () {
  this.timeout(180_000);
  const suite = clientSuite();
  const { clients, funded } = suite;
  let net: Network;
  before(() => (net = suite.net));

  it("test_connect_reportsTheNodeAndTheChannelAndEmptyBalances", async () => {
    const wallet = await net.user("connect");
    const client = await connectClient(net, wallet);
    clients.push(client);
    expect(client.address).to.equal(wallet.address);
    expect(client.nodeInfo.node).to.equal((await net.node.waitForLog((l) => l.msg === "node listening"))?.address ?? client.nodeInfo.node);
    expect(client.channelAddress).to.match(/^0x[0-9a-fA-F]{40}$/);
    expect(client.balances()).to.deep.equal({});
    expect(client.connected).to.equal(true);
    expect(client.feeFor(ZeroAddress, 1_000_000n)).to.equal(1n + 100n); // harness fees: flat 1, 100 ppm
  });

  it("test_deposit_plainTransferThenReconcile_createsTheChannelAndCreditsTheClient", async () => {
    const wallet = await net.user("deposit");
    const client = await connectClient(net, wallet);
    clients.push(client);
    const deposits = collect(client, "deposit");
    const result = await client.deposit({ asset: ZeroAddress, amount: 3n * ETH });
    expect(result.totalDeposited).to.equal(3n * ETH);
    expect(result.balance).to.deep.equal({ asset: ZeroAddress, mine: 3n * ETH, node: 0n, lockedByMe: 0n, lockedToMe: 0n });
    expect((await net.provider.getTransactionReceipt(result.tx))?.status).to.equal(1);
    expect(await net.provider.getCode(client.channelAddress)).to.not.equal("0x");
    const reader = new ChannelReader(net.provider, client.channelAddress);
    expect(await reader.totalDepositsBob(ZeroAddress)).to.equal(3n * ETH);
    expect(deposits.map((d) => d.totalDeposited)).to.deep.equal([3n * ETH]);
    // A second deposit into the deployed channel adds up.
    const again = await client.deposit({ asset: ZeroAddress, amount: ETH });
    expect(again.totalDeposited).to.equal(4n * ETH);
    expect(client.balances()[ZeroAddress]?.mine).to.equal(4n * ETH);
  });

  it("test_payNode_oneDirectUpdateMovesTheBalance", async () => {
    const { client, store } = await funded("paynode");
    const before = client.balances()[ZeroAddress];
    const history = (await store.history(client.channelAddress)).length;
    const result = await client.payNode({ asset: ZeroAddress, amount: ETH / 4n });
    expect(result.balance.mine).to.equal((before?.mine ?? 0n) - ETH / 4n);
    expect(result.balance.node).to.equal((before?.node ?? 0n) + ETH / 4n);
    const after = await store.history(client.channelAddress);
    expect(after.length).to.equal(history + 1); // one update, not a create and a resolve
    expect(after.at(-1)?.update.details).to.deep.equal({ type: "plain", asset: ZeroAddress, amount: ETH / 4n });
  });

  it("test_pay_invoiceRoutedThroughTheNode_payeeClaimsPayerGetsThePreimage", async () => {
    const payer = await funded("payer");
    const payee = await funded("payee", 0n);
    const received = collect(payee.client, "payment-received");
    const completed = collect(payer.client, "payment-completed");
    const amount = ETH / 10n;
    const invoice = await payee.client.invoice({ asset: ZeroAddress, amount });
    const fee = payer.client.feeFor(ZeroAddress, amount);
    const result = await payer.client.pay(invoice);
    expect(result.status).to.equal("completed");
    expect(result.fee).to.equal(fee);
    expect(result.amount).to.equal(amount);
    expect(result.lockHash).to.equal(invoice.lockHash);
    expect(result.preimage).to.match(/^0x[0-9a-f]{64}$/);
    expect(payer.client.balances()[ZeroAddress]).to.deep.include({ mine: 2n * ETH - amount - fee, lockedByMe: 0n });
    await until(() => received.length === 1, "the payee's payment-received");
    expect(received[0]).to.deep.include({ kind: "routed", asset: ZeroAddress, amount, lockHash: invoice.lockHash });
    expect(payee.client.balances()[ZeroAddress]).to.deep.include({ mine: amount, lockedToMe: 0n });
    expect(completed).to.have.length(1);
    expect((await payer.store.payment(invoice.lockHash))?.status).to.equal("completed");
    expect((await payee.store.payment(invoice.lockHash))?.status).to.equal("received");
    // The invoice is paid once: a second payment to the same lock hash is refused before anything is signed,
    // and the receipt stays in the store.
    const again = await rejects(payer.client.pay({ ...invoice, timeoutMs: 5_000 }), PaymentFailedError);
    expect(again.status).to.equal("completed");
    expect(payer.client.balances()[ZeroAddress]?.lockedByMe).to.equal(0n);
    expect((await payer.store.payment(invoice.lockHash))?.status).to.equal("completed");
    // Another payer of the same invoice: the node routes a lock hash once, so nothing is locked either.
    const other = await funded("second payer");
    await rejects(other.client.pay({ ...invoice, timeoutMs: 5_000 }), Error);
    expect(other.client.balances()[ZeroAddress]?.lockedByMe).to.equal(0n);
    expect(payee.client.balances()[ZeroAddress]?.mine).to.equal(amount);
  });

  it("test_pay_badInput_typedErrorsAndNothingSigned", async () => {
    const payer = await funded("bad payer", 2n * ETH);
    const payee = await funded("bad payee", 0n);
    const invoice = await payee.client.invoice({ asset: ZeroAddress, amount: ETH });
    const nonce = (await payer.store.load(payer.client.channelAddress))?.state.nonce;
    const snapshot = JSON.stringify(await payer.store.history(payer.client.channelAddress), (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));

    const over = await rejects(payer.client.pay({ ...invoice, amount: 3n * ETH }), InsufficientBalanceError);
    expect(over.available).to.equal(2n * ETH);
    expect(over.message).to.contain("free balance is 2000000000000000000");
    await rejects(payer.client.payNode({ asset: ZeroAddress, amount: 2n * ETH + 1n }), InsufficientBalanceError);
    await rejects(payer.client.pay({ ...invoice, amount: 0n }), AmountError);
    await rejects(payer.client.payNode({ asset: ZeroAddress, amount: -1n }), AmountError);

    // A stranger's address: the node has no channel with it (and creates none).
    const stranger = await net.user("stranger");
    const unknown = await rejects(payer.client.pay({ ...invoice, to: stranger.address, lockHash: invoice.lockHash }), PayeeUnavailableError);
    expect(unknown.reason).to.equal("unknown");
    expect(payer.client.balances()[ZeroAddress]?.lockedByMe).to.equal(0n);

    expect((await payer.store.load(payer.client.channelAddress))?.state.nonce).to.equal(nonce);
    expect(JSON.stringify(await payer.store.history(payer.client.channelAddress), (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))).to.equal(snapshot);

    // Over the transfer cap (10 ETH): refused before anything is signed, though the channel holds enough.
    const rich = await funded("rich", 0n, { value: 20n * ETH });
    await rich.client.deposit({ asset: ZeroAddress, amount: 9n * ETH });
    await rich.client.deposit({ asset: ZeroAddress, amount: 2n * ETH });
    const cap = await rejects(rich.client.payNode({ asset: ZeroAddress, amount: 10n * ETH + 1n }), TransferCapError);
    expect(cap.message).to.contain("transfer cap");
  });

  it("test_pay_offlinePayee_typedErrorNothingLockedOrForwardedThenCompletesWhenThePayeeReturns", async () => {
    const payer = await funded("offline payer");
    const payeeWallet = await net.user("offline payee");
    const payeeStore = new MemoryStore();
    let payee = await connectClient(net, payeeWallet, payeeStore);
    const first = await payee.invoice({ asset: ZeroAddress, amount: ETH / 20n });
    const second = await payee.invoice({ asset: ZeroAddress, amount: ETH / 20n });
    await payee.disconnect();

    // Offline before the node ever deposited into the payee's channel: the node's deposit there needs the payee's
    // answer, so the node refuses the payment at once; nothing is locked.
    const refused = await rejects(payer.client.pay({ ...first, timeoutMs: 15_000 }), PayeeUnavailableError);
    expect(refused.reason).to.equal("offline");
    expect(payer.client.balances()[ZeroAddress]?.lockedByMe).to.equal(0n);

    // Online: the payment goes through (the node's collateral lands in the payee's channel on the way).
    payee = await connectClient(net, payeeWallet, payeeStore);
    await payer.client.pay(first);
    await payee.disconnect();

    // Offline with the node's collateral in place: the node forwards the lock and waits for the payee; pay()
    // gives up at its timeout naming the cause, the lock stays until the payee claims it or it is refunded.
    const completed = collect(payer.client, "payment-completed");
    const offline = await rejects(payer.client.pay({ ...second, timeoutMs: 4_000 }), PayeeUnavailableError);
    expect(offline.reason).to.equal("offline");
    expect(payer.client.balances()[ZeroAddress]?.lockedByMe).to.be.greaterThan(0n);
    const back = await connectClient(net, payeeWallet, payeeStore);
    clients.push(back);
    await until(() => completed.length === 1, "the payer's payment-completed after the payee returned");
    expect(completed[0]?.lockHash).to.equal(second.lockHash);
    expect(back.balances()[ZeroAddress]?.mine).to.equal(ETH / 10n);
    expect(payer.client.balances()[ZeroAddress]?.lockedByMe).to.equal(0n);
  });

  it("test_withdrawAndClose_sentOnChainAndAwaited_thenTheClosedChannelRefusesPayments", async () => {
    const { client, wallet } = await funded("exit", 3n * ETH);
    const recipient = (await net.user("recipient")).address;
    const before = await net.provider.getBalance(recipient);
    const w = await client.withdraw({ asset: ZeroAddress, amount: ETH, recipient });
    expect((await net.provider.getTransactionReceipt(w.tx))?.status).to.equal(1);
    expect(await net.provider.getBalance(recipient)).to.equal(before + ETH);
    expect(client.balances()[ZeroAddress]?.mine).to.equal(2n * ETH);
    await rejects(client.withdraw({ asset: ZeroAddress, amount: 3n * ETH, recipient }), InsufficientBalanceError);

    const walletBefore = await net.provider.getBalance(wallet.address);
    const closed = await client.close();
    expect(closed.payouts).to.deep.equal([{ asset: ZeroAddress, mine: 2n * ETH, node: 0n }]);
    const receipt = await net.provider.getTransactionReceipt(closed.tx);
    expect(receipt?.status).to.equal(1);
    const gas = (receipt?.gasUsed ?? 0n) * (receipt?.gasPrice ?? 0n);
    expect(await net.provider.getBalance(wallet.address)).to.equal(walletBefore + 2n * ETH - gas);
    expect(await net.provider.getBalance(client.channelAddress)).to.equal(0n);
    await rejects(client.payNode({ asset: ZeroAddress, amount: 1n }), ChannelClosedError);
    await rejects(client.pay({ to: wallet.address, asset: ZeroAddress, amount: 1n, lockHash: "0x" + "11".repeat(32) }), ChannelClosedError);
  });

  it("test_watcher_answersAStaleDisputeWithTheLatestState", async () => {
    const { client, store } = await funded("watched", 2n * ETH);
    const stale = await Commitments.load(store, client.channelAddress);
    await client.payNode({ asset: ZeroAddress, amount: ETH / 2n });
    const disputes: DisputeEvent[] = collect(client, "dispute");
    const latest = client.balances();
    expect(latest[ZeroAddress]?.mine).to.equal(ETH + ETH / 2n);
    // Anyone may submit an old co-signed state; the client's watcher refutes it with its latest.
    await (await net.funder.sendTransaction(stale.dispute())).wait();
    await until(() => disputes.some((d) => d.kind === "answered"), "the client's watcher answering the dispute", 30_000);
    const reader = new ChannelReader(net.provider, client.channelAddress);
    const onchain = await reader.dispute();
    const mine = (await store.load(client.channelAddress))?.latest?.state.nonce;
    expect(onchain.nonce).to.equal(mine);
    expect(disputes[0]).to.deep.include({ kind: "disputed" });
    expect(disputes.find((d) => d.kind === "answered")?.tx).to.match(/^0x[0-9a-f]{64}$/);
  });
});
