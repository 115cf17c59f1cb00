/**
 * Cluster mode: a client's acknowledgement of the channel's latest co-signed update, sent again (the same proposal
 * pushed twice: a re-delivery at login, then another push), is answered at once by `NodeRouter.acknowledge`
 * (src/node/payments.ts). Before, it took the relay path (`Cluster.acknowledge`: the channel's lock, else the
 * process holding it), where it could wait for this process's own delivery of the next proposal, whose push
 * waited behind this very answer in the client's queue: a 6 s pause after a failover in the e2e's kill test.
 *
 * In process: the node's and the client's channels on memory stores, the router's cluster a stand-in whose relay
 * path never answers (what the busy lock meant there) and records that it was taken.
 */
import { expect } from "chai";
import { Wallet, ZeroAddress, getAddress, id, keccak256 } from "ethers";
import { pino } from "pino";

import { Channel, type ChannelConfig, type DepositReader } from "../../../src/channel/channel.js";
import type { NodeChannels } from "../../../src/node/channels.js";
import type { Cluster } from "../../../src/node/cluster/index.js";
import type { ClusterPayments } from "../../../src/node/cluster/routing.js";
import { NodeRouter } from "../../../src/node/payments.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import type { ChannelSetup, Party } from "../../../src/protocol/types.js";
import { MemoryStore } from "../../../src/stores/memory.js";
import type { SwitchyardStore } from "../../../src/stores/store.js";
import { CHAIN_ID, HASHLOCK, LIMITS, NOW, POLICIES, TIMEOUT } from "../sdk/helpers.js";

const nodeWallet = new Wallet(keccak256(id("duplicate ack node")));
const clientWallet = new Wallet(keccak256(id("duplicate ack client")));
const SETUP: ChannelSetup = { chainId: CHAIN_ID, channel: getAddress(`0x${"0".repeat(36)}0c01`), alice: nodeWallet.address, bob: clientWallet.address, timeout: TIMEOUT };
const ETH = 10n ** 18n;
const deposits: DepositReader = async () => ({ alice: 5n * ETH, bob: 5n * ETH });

function cfg(me: Party, wallet: Wallet, store: SwitchyardStore): ChannelConfig {
  return { setup: SETUP, me, signer: walletSigner(wallet), store, limits: LIMITS, resolvers: POLICIES, clock: () => NOW, deposits };
}

describe("cluster: an acknowledgement of the latest update, sent again", function () {
  this.timeout(30_000);

  it("test_clusterAck_duplicateOfTheLatestUpdate_answeredAtOnceWithoutTheRelay", async () => {
    const store = new MemoryStore();
    const nodeChannel = await Channel.create(cfg("alice", nodeWallet, store));
    const client = await Channel.create(cfg("bob", clientWallet, new MemoryStore()));
    let relayed = 0;
    const cluster = {
      locks: { holds: () => true }, // the channel's lock is held here (this process delivers its next proposal)
      acknowledge: () => (relayed++, new Promise<never>(() => undefined)), // ... so the relay path never answers
    } as unknown as Cluster;
    const payments = { hold: <T>(_: string, task: () => Promise<T>) => task(), payments: async () => [], young: () => false, peers: async () => undefined } as unknown as ClusterPayments;
    const channels = {
      channelOf: async () => nodeChannel,
      current: async () => nodeChannel,
      addressOf: () => SETUP.channel,
      clients: () => [clientWallet.address],
    } as unknown as NodeChannels;
    const router = new NodeRouter({
      address: nodeWallet.address,
      hashlock: HASHLOCK,
      store,
      channels,
      push: () => undefined,
      notify: () => undefined,
      logger: pino({ level: "silent" }),
      cluster: { cluster, payments },
    });

    // Proposal 1 (the node's deposit reconcile), co-signed by the client, whose acknowledgement the node stored.
    const proposal = await nodeChannel.propose({ type: "deposit", asset: ZeroAddress, totalDepositsAlice: 5n * ETH, totalDepositsBob: 5n * ETH });
    const ack = await client.receive(proposal);
    await nodeChannel.complete(ack);
    expect(nodeChannel.latest?.state.nonce).to.equal(1n);

    // The same acknowledgement again: answered at once, the relay path not taken.
    const answered = await Promise.race([
      router.acknowledge(clientWallet.address, ack).then(() => "answered"),
      new Promise((resolve) => setTimeout(() => resolve("still waiting after 2 s"), 2_000)),
    ]);
    expect(answered).to.equal("answered");
    expect(relayed).to.equal(0);
    expect(nodeChannel.latest?.state.nonce).to.equal(1n);
    expect(nodeChannel.pending).to.equal(undefined);
  });
});
