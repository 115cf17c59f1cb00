/**
 * What a Node refuses before it signs anything (review findings of issue 13, docs/PROTOCOL.md §12): a channel
 * that cannot check deposit claims on chain, an upstream lock whose settle window is below the deployment's
 * floor, and a downstream lock shorter than the lifetime rule `E_down ≥ now + T_down + margin` (tested at the
 * bound).
 */
import { expect } from "chai";
import { Wallet, ZeroAddress, getAddress, id, keccak256 } from "ethers";

import { Channel, type ChannelConfig } from "../../../src/channel/channel.js";
import { RouteError, TimeoutError } from "../../../src/protocol/errors.js";
import { hashlockLock } from "../../../src/protocol/resolvers.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import type { ChannelSetup, Party } from "../../../src/protocol/types.js";
import { Node, hashlockTransfer } from "../../../src/routing/node.js";
import { MemoryChannelStore } from "../../../src/stores/store.js";
import { CHAIN_ID, HASHLOCK, LIMITS, NOW, POLICIES, TIMEOUT, run } from "../sdk/helpers.js";

const nodeWallet = new Wallet(keccak256(id("policies node")));
const payerWallet = new Wallet(keccak256(id("policies payer")));
const payeeWallet = new Wallet(keccak256(id("policies payee")));
/** The payer's channel has the longer dispute timeout (2 days): the route rules then leave room for any settle window. */
const T_UP = 2n * TIMEOUT;
const UP: ChannelSetup = { chainId: CHAIN_ID, channel: getAddress(`0x${"0".repeat(36)}0c01`), alice: nodeWallet.address, bob: payerWallet.address, timeout: T_UP };
const DOWN: ChannelSetup = { chainId: CHAIN_ID, channel: getAddress(`0x${"0".repeat(36)}0c02`), alice: nodeWallet.address, bob: payeeWallet.address, timeout: TIMEOUT };
const ETH = 10n ** 18n;
const MARGIN = 600n;

function cfg(setup: ChannelSetup, me: Party, wallet: Wallet, reader = true): ChannelConfig {
  const base = { setup, me, signer: walletSigner(wallet), store: new MemoryChannelStore(), limits: LIMITS, resolvers: POLICIES, clock: () => NOW };
  return reader ? { ...base, deposits: async () => ({ alice: 5n * ETH, bob: 5n * ETH }) } : base;
}

async function network(): Promise<{ node: Node; payer: Channel; payee: Channel }> {
  const node = new Node({ address: nodeWallet.address, hashlock: HASHLOCK, clock: () => NOW, safetyMargin: MARGIN });
  const payer = await Channel.create(cfg(UP, "bob", payerWallet));
  const payee = await Channel.create(cfg(DOWN, "bob", payeeWallet));
  node.addPeer(payerWallet.address, await Channel.create(cfg(UP, "alice", nodeWallet)), { receive: (p) => payer.receive(p) });
  node.addPeer(payeeWallet.address, await Channel.create(cfg(DOWN, "alice", nodeWallet)), { receive: (p) => payee.receive(p) });
  await run(node.channel(payerWallet.address), payer, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 0n, totalDepositsBob: 5n * ETH });
  await run(node.channel(payeeWallet.address), payee, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 5n * ETH, totalDepositsBob: 0n });
  return { node, payer, payee };
}

describe("Node refuses before signing (src/routing/node.ts, src/protocol/policies.ts)", () => {
  it("refuses a channel without a deposit reader (it would sign deposit claims nobody made)", async () => {
    const node = new Node({ address: nodeWallet.address, hashlock: HASHLOCK });
    const blind = await Channel.create({ ...cfg(UP, "alice", nodeWallet, false), trustDepositsWithoutChain: true });
    expect(() => node.addPeer(payerWallet.address, blind, { receive: () => Promise.reject(new Error("unused")) })).to.throw(
      RouteError,
      /no deposit reader/,
    );
  });

  it("refuses an upstream lock whose settle window is below the deployment's minTimeout, and takes one at it", async () => {
    const { node, payer } = await network();
    const lock = (timeout: bigint, salt: string) =>
      hashlockTransfer({
        channel: UP.channel,
        hashlock: HASHLOCK,
        asset: ZeroAddress,
        amount: ETH,
        initiator: payerWallet.address,
        responder: nodeWallet.address,
        timeout,
        lockHash: hashlockLock(id(salt)),
        expiry: NOW + 4n * 86_400n,
        salt: id(salt),
      });
    // A payer whose SDK lets it propose a 1-second window (a lax floor): the node's channel refuses it.
    const lax = await Channel.create({ ...cfg(UP, "bob", payerWallet), limits: { ...LIMITS, minTimeout: 1n } });
    const laxNode = await Channel.create({ ...cfg(UP, "alice", nodeWallet), limits: { ...LIMITS, minTimeout: 1n } });
    await run(laxNode, lax, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 0n, totalDepositsBob: 5n * ETH });
    const short = await lax.propose({ type: "create", transfer: lock(1n, "short") });
    const route = { recipient: payeeWallet.address, expiry: NOW + 88_000n };
    expect(await node.receive(payerWallet.address, short, route).catch((e: unknown) => e)).to.be.instanceOf(TimeoutError);
    expect(node.channel(payerWallet.address).state.nonce).to.equal(1n);
    expect(node.payment(hashlockLock(id("short")))).to.equal(undefined);
    const ok = await payer.propose({ type: "create", transfer: lock(LIMITS.minTimeout, "at floor") });
    await payer.complete(await node.receive(payerWallet.address, ok, route));
    expect(node.payment(hashlockLock(id("at floor")))?.status).to.equal("forwarded");
  });

  it("forwards a downstream lock at exactly now + T_down + margin and refuses one second less", async () => {
    const { node, payer } = await network();
    const earliest = NOW + TIMEOUT + MARGIN; // the lifetime rule, PROTOCOL §12 rule 1
    // One signed lock (its E_up leaves T_up + margin after the latest E_down tried); only the route differs.
    const t = hashlockTransfer({
      channel: UP.channel,
      hashlock: HASHLOCK,
      asset: ZeroAddress,
      amount: ETH,
      initiator: payerWallet.address,
      responder: nodeWallet.address,
      timeout: TIMEOUT,
      lockHash: hashlockLock(id("bound")),
      expiry: earliest + T_UP + MARGIN,
      salt: id("bound"),
    });
    const attempt = async (downExpiry: bigint): Promise<unknown> => {
      const proposal = await payer.propose({ type: "create", transfer: t }); // the same proposal again
      try {
        const ack = await node.receive(payerWallet.address, proposal, { recipient: payeeWallet.address, expiry: downExpiry });
        await payer.complete(ack);
        return node.payment(hashlockLock(id("bound")))?.status;
      } catch (error) {
        return error;
      }
    };
    expect(await attempt(earliest - 1n)).to.be.instanceOf(TimeoutError);
    expect(node.channel(payeeWallet.address).transfers.size).to.equal(0);
    expect(await attempt(earliest)).to.equal("forwarded");
    expect(node.channel(payeeWallet.address).transfers.get(node.payment(hashlockLock(id("bound")))?.downstream?.transferId ?? "")?.transfer.data).to.match(
      new RegExp(earliest.toString(16) + "$"),
    );
  });
});
