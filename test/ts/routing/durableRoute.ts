/**
 * A node between one payer and one payee on a store of its own (the node's channels write to it; the payer's and
 * the payee's to memory stores), with the chain a stub that reports the deposits: the scaffolding of the routing
 * tests of the durable payment table (node.durable, node.finished). Each test names its own keys and channels.
 */
import { Wallet, ZeroAddress, getAddress, id, keccak256 } from "ethers";

import { Channel, type ChannelConfig, type DepositReader } from "../../../src/channel/channel.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import type { ChannelSetup, Party } from "../../../src/protocol/types.js";
import { Node, type NodeConfig, type PeerLink } from "../../../src/routing/node.js";
import { MemoryStore } from "../../../src/stores/memory.js";
import type { SwitchyardStore } from "../../../src/stores/store.js";
import { CHAIN_ID, HASHLOCK, LIMITS, NOW, POLICIES, TIMEOUT, run } from "../sdk/helpers.js";

export const ETH = 10n ** 18n;

export interface DurableRoute {
  nodeWallet: Wallet;
  payerWallet: Wallet;
  payeeWallet: Wallet;
  /** The payer's channel with the node (the node is alice) and the payee's. */
  UP: ChannelSetup;
  DOWN: ChannelSetup;
  cfg(setup: ChannelSetup, me: Party, wallet: Wallet, store: SwitchyardStore): ChannelConfig;
  link(channel: Channel): PeerLink;
  /** The payer's and the payee's own channels (bob), each on a memory store. */
  counterparties(): Promise<{ payer: Channel; payee: Channel }>;
  /** A Node on `store` with its two channels, created (open false) or reopened from the store (open true). */
  nodeOn(store: SwitchyardStore, payer: Channel, payee: Channel, open: boolean, extra?: Partial<NodeConfig>): Promise<Node>;
  /** The deposits the stub chain reports, co-signed: 5 ETH by the payer upstream, 5 ETH by the node downstream. */
  fund(node: Node, payer: Channel, payee: Channel): Promise<void>;
}

/** The route's parties from `seed` ("<seed> node", "<seed> payer", "<seed> payee") and channels 0x…<up>, 0x…<down>. */
export function durableRoute(seed: string, up: string, down: string): DurableRoute {
  const nodeWallet = new Wallet(keccak256(id(`${seed} node`)));
  const payerWallet = new Wallet(keccak256(id(`${seed} payer`)));
  const payeeWallet = new Wallet(keccak256(id(`${seed} payee`)));
  const setupOf = (bob: string, tail: string): ChannelSetup => ({
    chainId: CHAIN_ID,
    channel: getAddress(`0x${"0".repeat(40 - tail.length)}${tail}`),
    alice: nodeWallet.address,
    bob,
    timeout: TIMEOUT,
  });
  const UP = setupOf(payerWallet.address, up);
  const DOWN = setupOf(payeeWallet.address, down);
  // The chain's deposit totals (a stub chain): the payer funded its channel with 5 ETH, the node the payee's.
  const deposits = (setup: ChannelSetup): DepositReader => async () =>
    setup.channel === UP.channel ? { alice: 0n, bob: 5n * ETH } : { alice: 5n * ETH, bob: 0n };
  const cfg = (setup: ChannelSetup, me: Party, wallet: Wallet, store: SwitchyardStore): ChannelConfig => ({
    setup,
    me,
    signer: walletSigner(wallet),
    store,
    limits: LIMITS,
    resolvers: POLICIES,
    clock: () => NOW,
    deposits: deposits(setup),
  });
  const link = (channel: Channel): PeerLink => ({ receive: (proposal) => channel.receive(proposal) });
  return {
    nodeWallet,
    payerWallet,
    payeeWallet,
    UP,
    DOWN,
    cfg,
    link,
    async counterparties() {
      const payer = await Channel.create(cfg(UP, "bob", payerWallet, new MemoryStore()));
      const payee = await Channel.create(cfg(DOWN, "bob", payeeWallet, new MemoryStore()));
      return { payer, payee };
    },
    async nodeOn(store, payer, payee, open, extra = {}) {
      const node = new Node({ address: nodeWallet.address, hashlock: HASHLOCK, clock: () => NOW, store, ...extra });
      const make = open ? Channel.open : Channel.create;
      node.addPeer(payerWallet.address, await make(cfg(UP, "alice", nodeWallet, store)), link(payer));
      node.addPeer(payeeWallet.address, await make(cfg(DOWN, "alice", nodeWallet, store)), link(payee));
      return node;
    },
    async fund(node, payer, payee) {
      await run(node.channel(payerWallet.address), payer, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 0n, totalDepositsBob: 5n * ETH });
      await run(node.channel(payeeWallet.address), payee, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 5n * ETH, totalDepositsBob: 0n });
    },
  };
}
