/**
 * The node service's link to a client (src/node/socketLink.ts): it waits for the acknowledgement of one proposal
 * at a time. A second delivery of the same proposal waits for the same acknowledgement; a delivery of a later one
 * fails the callers of the earlier one with SupersededProposalError at once. Before, the second delivery replaced
 * the first waiter silently and the first caller was never answered. An acknowledgement offered after the delivery
 * gave up is not taken (false: the router completes the channel itself), never refused NONCE, which a client reads
 * as "stored already".
 */
import { expect } from "chai";
import { Wallet, ZeroAddress, getAddress, id, keccak256 } from "ethers";

import { Channel, type Acknowledgement, type ChannelConfig, type Proposal } from "../../../src/channel/channel.js";
import { SocketLink, SupersededProposalError } from "../../../src/node/socketLink.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import type { ChannelSetup, Party } from "../../../src/protocol/types.js";
import { MemoryStore } from "../../../src/stores/memory.js";
import { CHAIN_ID, LIMITS, NOW, POLICIES, TIMEOUT } from "../sdk/helpers.js";

const nodeWallet = new Wallet(keccak256(id("link node")));
const clientWallet = new Wallet(keccak256(id("link client")));
const SETUP: ChannelSetup = { chainId: CHAIN_ID, channel: getAddress(`0x${"0".repeat(36)}0e01`), alice: nodeWallet.address, bob: clientWallet.address, timeout: TIMEOUT };
const ETH = 10n ** 18n;

function cfg(me: Party, wallet: Wallet): ChannelConfig {
  return { setup: SETUP, me, signer: walletSigner(wallet), store: new MemoryStore(), limits: LIMITS, resolvers: POLICIES, clock: () => NOW, deposits: async () => ({ alice: 2n * ETH, bob: 0n }) };
}

/** Settles `p` within `ms`, else "pending". */
async function within<T>(p: Promise<T>, ms: number): Promise<T | "pending"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"pending">((resolve) => (timer = setTimeout(() => resolve("pending"), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function setup(peerTimeoutMs = 5_000): Promise<{ node: Channel; client: Channel; link: SocketLink; pushed: Proposal[]; proposal: Proposal }> {
  const node = await Channel.create(cfg("alice", nodeWallet));
  const client = await Channel.create(cfg("bob", clientWallet));
  const pushed: Proposal[] = [];
  const link = new SocketLink(clientWallet.address, node, { push: (_client, p) => pushed.push(p), peerTimeoutMs });
  const proposal = await node.propose({ type: "deposit", asset: ZeroAddress, totalDepositsAlice: 2n * ETH, totalDepositsBob: 0n });
  return { node, client, link, pushed, proposal };
}

describe("SocketLink (src/node/socketLink.ts)", () => {
  it("test_receive_sameProposalDeliveredTwice_bothDeliveriesGetTheAcknowledgement", async () => {
    const { node, client, link, pushed, proposal } = await setup();
    const first = link.receive(proposal);
    const second = link.receive(proposal);
    expect(pushed).to.have.length(2);
    const ack = await client.receive(proposal);
    const offered = link.offer(ack);
    const answers: Array<Acknowledgement | "pending"> = await Promise.all([within(first, 2_000), within(second, 2_000)]);
    expect(answers, "the first delivery is answered too (before: never)").to.deep.equal([ack, ack]);
    await node.complete(ack); // the Node completes it once
    await offered;
    expect(node.state).to.deep.equal(client.state);
  });

  it("test_receive_laterProposalDelivered_theEarlierWaiterFailsWithSupersededProposalError", async () => {
    const { link, proposal } = await setup();
    const earlier = link.receive(proposal).then(
      () => "answered" as const,
      (error: unknown) => error,
    );
    const nonce = proposal.update.state.nonce;
    const later: Proposal = { ...proposal, update: { ...proposal.update, state: { ...proposal.update.state, nonce: nonce + 1n } } };
    void link.receive(later).catch(() => undefined);
    const outcome = await within(earlier, 1_000);
    expect(outcome, "failed at once (before: never answered)").to.be.instanceOf(SupersededProposalError);
    expect((outcome as SupersededProposalError).code).to.equal("PEER");
    expect((outcome as SupersededProposalError).waited).to.equal(nonce);
    expect((outcome as SupersededProposalError).delivered).to.equal(nonce + 1n);
    expect(link.waiting(nonce + 1n)).to.equal(true);
    expect(link.waiting(nonce)).to.equal(false);
  });

  it("test_offer_afterTheDeliveryGaveUp_notTakenInsteadOfRefusedNonce", async () => {
    const { node, client, link, proposal } = await setup(50);
    const delivery = link.receive(proposal).then(
      () => "answered" as const,
      (error: unknown) => error,
    );
    const ack = await client.receive(proposal);
    expect(await delivery, "the delivery gives up after the peer timeout").to.be.instanceOf(Error);
    expect(await link.offer(ack), "not taken: the router hands it to Node.acknowledge").to.equal(false);
    expect(node.pending?.update.state.nonce, "nothing completed by the link").to.equal(ack.nonce);
    await node.complete(ack); // what Node.acknowledge then does
    expect(node.state).to.deep.equal(client.state);
  });
});
