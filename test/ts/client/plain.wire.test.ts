/**
 * The plain transfer over the wire (an in-process node, real sockets): a client's payment to the node as one
 * sequenced update, the node's own plain transfer pushed to a client (reported as `payment-received`), an
 * overdraft intent refused by the node with nothing stored, and the reconnect backoff's bounds.
 */
import { expect } from "chai";
import { ZeroAddress, type Provider } from "ethers";
import WebSocket from "ws";

import { SwitchyardClient, backoffDelay, type PaymentReceivedEvent } from "../../../src/client/index.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import { MemoryStore } from "../../../src/stores/store.js";
import { RemoteError } from "../../../src/wire/codes.js";
import { until } from "../node/harness.js";
import { clientWalletOf, depositChain, session, startInProcessNode, type InProcessNode } from "../node/inProcess.js";

const ETH = 10n ** 18n;
const DEPOSITS = { alice: 10n * ETH, bob: 10n * ETH };
const deposit = { type: "deposit" as const, asset: ZeroAddress, totalDepositsAlice: DEPOSITS.alice, totalDepositsBob: DEPOSITS.bob };

describe("plain transfer over the wire (in-process node, real sockets)", function () {
  this.timeout(60_000);
  let node: InProcessNode;

  beforeEach(async () => {
    node = await startInProcessNode({ chain: depositChain(DEPOSITS), peerTimeoutMs: 5_000 });
  });
  afterEach(async () => node?.stop());

  it("test_plainTransfer_clientPaysTheNode_oneUpdateBothStoresAgree", async () => {
    const s = await session(node.url, walletSigner(clientWalletOf("plain pay")));
    await s.propose(deposit);
    const state = await s.propose({ type: "plain", asset: ZeroAddress, amount: 3n * ETH });
    expect(state.state.assets[0]).to.deep.include({ balanceAlice: 13n * ETH, balanceBob: 7n * ETH });
    const onNode = await node.store.load(s.channel.address);
    expect(onNode?.latest).to.deep.equal(state);
    const history = await node.store.history(s.channel.address);
    expect(history.at(-1)?.update.details).to.deep.equal({ type: "plain", asset: ZeroAddress, amount: 3n * ETH });
    expect(history.at(-1)?.update.proposer).to.equal("bob");
    await s.close();
  });

  it("test_plainTransfer_overdraftIntentRefusedByTheNode_nothingStored", async () => {
    const s = await session(node.url, walletSigner(clientWalletOf("plain overdraft")));
    await s.propose(deposit);
    await s.propose({ type: "plain", asset: ZeroAddress, amount: ETH }); // 9 ETH left: below the 10 ETH cap
    const before = await node.store.load(s.channel.address);
    const error = await s.propose({ type: "plain", asset: ZeroAddress, amount: 9n * ETH + 1n }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(RemoteError);
    expect((error as RemoteError).code).to.equal("NEGATIVE_BALANCE");
    expect(await node.store.load(s.channel.address)).to.deep.equal(before);
    expect(s.channel.state).to.deep.equal(before?.state);
    await s.close();
  });

  it("test_plainTransfer_nodePushesOne_clientCoSignsAndReportsPaymentReceived", async () => {
    const wallet = clientWalletOf("plain pushed");
    const store = new MemoryStore();
    const s = await session(node.url, walletSigner(wallet), store);
    await s.propose(deposit);
    await s.close();
    const client = await SwitchyardClient.connect({
      node: node.url,
      signer: wallet,
      store,
      // The stand-in chain answers the channel's deposit reads only (no transactions: no watcher).
      chain: depositChain(DEPOSITS) as unknown as Provider,
      watch: false,
      WebSocket: WebSocket as never,
    });
    const received: PaymentReceivedEvent[] = [];
    client.on("payment-received", (e) => received.push(e));
    await node.service.payClient(wallet.address, ZeroAddress, ETH / 2n);
    await until(() => received.length === 1, "the client's payment-received");
    expect(received[0]).to.deep.include({ kind: "plain", asset: ZeroAddress, amount: ETH / 2n });
    expect(client.balances()[ZeroAddress]).to.deep.include({ mine: 10n * ETH + ETH / 2n, node: 10n * ETH - ETH / 2n });
    expect((await node.store.load(client.channelAddress))?.latest?.state).to.deep.equal((await store.load(client.channelAddress))?.latest?.state);
    await client.disconnect();
  });

  it("test_backoffDelay_fullJitterWithinTheDoublingCeiling", () => {
    const policy = { initialMs: 100, maxMs: 1_000, maxAttempts: 10 };
    expect(backoffDelay(1, policy, () => 0.999)).to.equal(99);
    expect(backoffDelay(3, policy, () => 0.5)).to.equal(200); // ceiling 400
    expect(backoffDelay(10, policy, () => 0.999)).to.equal(999); // capped at maxMs
    expect(backoffDelay(50, policy, () => 0)).to.equal(0);
    for (let i = 1; i <= 40; i++) expect(backoffDelay(i, policy)).to.be.within(0, 1_000);
  });
});
