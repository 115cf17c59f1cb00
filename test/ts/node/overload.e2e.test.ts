/**
 * Admission control over a real socket (issue 15): a node at its bound on payments in flight
 * (`wire.maxPaymentsInFlight`) refuses the next `payment.send` with OVERLOADED before it signs anything; the
 * client raises NodeOverloadedError, and neither side keeps anything of the refused payment (no signature, no
 * pending proposal, no payment row on the node; no outbox intent, a closed "refused" record on the client). Once
 * the payment in flight completes, the same invoice is paid.
 */
import { expect } from "chai";
import { AbiCoder, ZeroAddress, id, toBeHex, zeroPadValue, type Provider } from "ethers";
import WebSocket from "ws";

import { NodeOverloadedError, SwitchyardClient } from "../../../src/client/index.js";
import { hashlockTerms } from "../../../src/protocol/policies.js";
import { hashlockLock } from "../../../src/protocol/resolvers.js";
import { MemoryStore } from "../../../src/stores/store.js";
import type { ClientSession } from "../../../src/wire/session.js";
import { nodeWallet, until } from "./harness.js";
import { clientWalletOf, depositChain, type InProcessNode, loggingSigner, session, type SignatureEntry, startLoggedNode } from "./inProcess.js";

const abi = AbiCoder.defaultAbiCoder();
const ETH = 10n ** 18n;
const DEPOSITS = { alice: 10n * ETH, bob: 10n * ETH };
const deposit = { type: "deposit" as const, asset: ZeroAddress, totalDepositsAlice: DEPOSITS.alice, totalDepositsBob: DEPOSITS.bob };

function preimage(tag: string): string {
  return zeroPadValue(toBeHex(BigInt(id(tag)) >> 8n), 32);
}

/** The payee's claim of the lock the node forwarded it under `tag`'s lock hash (waits for the forward). */
async function claim(payee: ClientSession, tag: string): Promise<void> {
  const lockHash = hashlockLock(preimage(tag)).toLowerCase();
  const forwarded = (): { id: string; transfer: { amount: bigint } } | undefined =>
    payee.channel.transfers.list().find((t) => hashlockTerms(t.transfer.data).lockHash.toLowerCase() === lockHash);
  await until(() => forwarded() !== undefined, `the forward of ${tag}`, 20_000, 20);
  const t = forwarded() as { id: string; transfer: { amount: bigint } };
  await payee.propose({ type: "resolve", transferId: t.id, toResponder: t.transfer.amount, resolverData: abi.encode(["bytes32"], [preimage(tag)]) });
}

/** A funded SwitchyardClient (its channel opened and deposited by a session on the same store first). */
async function fundedClient(url: string, name: string): Promise<{ client: SwitchyardClient; store: MemoryStore; address: string }> {
  const wallet = clientWalletOf(name);
  const store = new MemoryStore();
  const opened = await session(url, loggingSigner(wallet, []), store);
  await opened.propose(deposit);
  await opened.close();
  const client = await SwitchyardClient.connect({
    node: url,
    signer: wallet,
    store,
    // The stand-in chain answers the channel's deposit reads only (no transactions: no watcher).
    chain: depositChain(DEPOSITS) as unknown as Provider,
    watch: false,
    WebSocket: WebSocket as never,
  });
  return { client, store, address: wallet.address };
}

describe("admission control over a real socket (OVERLOADED)", function () {
  this.timeout(60_000);
  let node: InProcessNode;
  const nodeLog: SignatureEntry[] = [];

  beforeEach(async () => {
    node = await startLoggedNode(nodeLog, DEPOSITS, { peerTimeoutMs: 5_000, wire: { maxPaymentsInFlight: 1 } });
  });
  afterEach(async () => node?.stop());

  it("test_paySend_atTheBound_refusedOverloadedNothingSignedOrPending_thenPaidOnceASlotIsFree", async () => {
    const payee = await session(node.url, loggingSigner(clientWalletOf("overload payee"), []));
    await payee.propose(deposit);
    const first = await fundedClient(node.url, "overload first payer");
    const { client, store, address } = await fundedClient(node.url, "overload client");

    // The one payment the node takes: forwarded to the payee, which does not claim it yet.
    const held = first.client.pay({ to: payee.address, asset: ZeroAddress, amount: ETH / 100n, lockHash: hashlockLock(preimage("held")) });
    await until(() => node.service.router?.node.payment(hashlockLock(preimage("held")))?.status === "forwarded", "the held payment forwarded", 20_000, 20);
    expect(node.service.router?.admission.size).to.equal(1);

    // At the bound: refused before the node signs anything.
    const channel = client.channelAddress;
    const signedBefore = nodeLog.filter((e) => e.channel.toLowerCase() === channel.toLowerCase()).length;
    const onNodeBefore = await node.store.load(channel);
    const lockHash = hashlockLock(preimage("refused")).toLowerCase();
    const invoice = { to: payee.address, asset: ZeroAddress, amount: ETH / 100n, lockHash };
    const error = await client.pay(invoice).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(NodeOverloadedError);
    expect((error as NodeOverloadedError).code).to.equal("NODE_OVERLOADED");
    expect((error as NodeOverloadedError).retryAfterMs).to.be.within(50, 5_000);
    expect(nodeLog.filter((e) => e.channel.toLowerCase() === channel.toLowerCase()).length).to.equal(signedBefore);
    const onNode = await node.service.nodeChannels.channelOf(address);
    expect(onNode.pending).to.equal(undefined);
    expect(await node.store.load(channel)).to.deep.equal(onNodeBefore);
    expect(await node.store.payment(lockHash)).to.equal(undefined);
    expect(onNode.latest).to.deep.equal((await store.load(channel))?.latest);
    expect(await store.outbox({ recipient: nodeWallet.address })).to.deep.equal([]); // no intent left to match
    expect((await store.payment(lockHash))?.status).to.equal("refused");
    expect(await node.service.metrics.registry.metrics()).to.match(/switchyard_payments_refused_total\{reason="overloaded"\} 1\n/);

    // The held payment completes: its slot is free, and the same invoice is paid.
    await claim(payee, "held");
    await held;
    // The payer's pay() resolves on the claim it co-signed; the node completes the payment on that acknowledgement.
    await until(() => node.service.router?.admission.size === 0, "the held payment's slot freed", 20_000, 20);
    const paid = client.pay(invoice);
    await claim(payee, "refused");
    expect((await paid).status).to.equal("completed");
    expect((await store.payment(lockHash))?.status).to.equal("completed");
    await until(async () => (await node.store.payment(lockHash))?.status === "completed", "the node's claim acknowledged", 20_000, 20);
    await client.disconnect();
    await first.client.disconnect();
    await payee.close();
  });
});
