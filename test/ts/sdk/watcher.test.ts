/**
 * The Watcher on the embedded network with time travel: it answers a stale dispute with the latest state, defunds,
 * claims a hashlock it holds the preimage of before the lock expires, refunds the owner's own transfer after its
 * deadline, withdraws the owner's exits, and never resends what is done.
 */
import { expect } from "chai";
import { ZeroAddress, id, parseEther, type Wallet } from "ethers";

import { Commitments } from "../../../src/chain/commitments.js";
import { hashlockTransfer } from "../../../src/routing/node.js";
import { encodeHashlockResolution, hashlockLock } from "../../../src/protocol/resolvers.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import { transferId } from "../../../src/protocol/transfers.js";
import { Watcher, type TickReport, type WatcherConfig } from "../../../src/chain/watcher.js";
import type { ChannelMastercopy } from "../../../typechain-types/index.js";
import {
  HOUR,
  balance,
  deployEnv,
  openPair,
  send,
  travel,
  update,
  wallet,
  type Env,
  type OnChainPair,
} from "./onchain.js";

const env: Env = await deployEnv();
const ETH = ZeroAddress;
const MARGIN = 600n;

async function typed(address: string): Promise<ChannelMastercopy> {
  return (await env.net.ethers.getContractAt("ChannelMastercopy", address)) as unknown as ChannelMastercopy;
}

/** What the transactions of a tick cost their sender. */
async function gasPaid(reports: TickReport[]): Promise<bigint> {
  let total = 0n;
  for (const r of reports) {
    for (const a of r.actions) {
      const receipt = await env.provider.getTransactionReceipt(a.txHash);
      if (receipt === null) throw new Error("no receipt");
      total += receipt.gasUsed * receipt.gasPrice;
    }
  }
  return total;
}

function kinds(r: TickReport): string[] {
  return r.actions.map((a) => a.kind);
}

function watcherFor(p: OnChainPair, sender: Wallet, extra: Partial<WatcherConfig> = {}): Watcher {
  return new Watcher({ provider: env.provider, sender, channel: p.address, store: p.bobStore, ...extra });
}

/** Alice pays bob `amount` with a hashlock, resolved off chain. */
async function pay(p: OnChainPair, i: number, amount: bigint): Promise<void> {
  await env.clock.sync();
  const preimage = id(`watcher pay ${p.address} ${i}`);
  const t = hashlockTransfer({
    channel: p.address,
    hashlock: env.hashlock,
    asset: ETH,
    amount,
    initiator: p.aliceWallet.address,
    responder: p.bobWallet.address,
    timeout: HOUR,
    lockHash: hashlockLock(preimage),
    expiry: env.clock.now() + 3n * HOUR,
  });
  await update(p.alice, p.bob, { type: "create", transfer: t });
  await update(p.bob, p.alice, {
    type: "resolve",
    transferId: transferId(t),
    toResponder: amount,
    resolverData: encodeHashlockResolution(preimage),
  });
}

describe("Watcher", () => {
  it("answers a stale dispute with the latest state in the consensus phase, defunds after it, and resends nothing", async () => {
    const a = await wallet(env, "s-alice");
    const b = await wallet(env, "s-bob");
    const p = await openPair(env, a, b, { salt: "stale", aliceEth: parseEther("5"), bobEth: parseEther("1") });
    const stale = await Commitments.load(p.aliceStore, p.address);
    await pay(p, 1, parseEther("2"));
    await pay(p, 2, parseEther("1"));
    const watcher = watcherFor(p, b);
    const channel = await typed(p.address);

    const idle = await watcher.tick();
    expect(idle.phase).to.equal("none");
    expect(idle.actions).to.deep.equal([]);

    await send(a, stale.dispute());
    const bobStart = await balance(env, b.address);
    const first = await watcher.tick();
    expect(first.phase).to.equal("consensus");
    expect(kinds(first)).to.deep.equal(["refute"]);
    const latestNonce = p.bob.latest?.state.nonce as bigint;
    expect((await channel.disputeRecord()).nonce).to.equal(latestNonce);
    const again = await watcher.tick();
    expect(again.actions).to.deep.equal([]);
    expect(again.skipped).to.deep.equal([]);
    await expect(send(a, stale.dispute())).to.be.revertedWithCustomError(channel, "StaleNonce");

    await travel(env, HOUR);
    const [aliceBefore] = [await balance(env, a.address)];
    const defund = await watcher.tick();
    expect(defund.phase).to.equal("defund");
    expect(kinds(defund)).to.deep.equal(["defund"]);
    expect((await watcher.tick()).actions).to.deep.equal([]);
    // Latest: alice 2, bob 4 (the stale state said alice 5, bob 1).
    expect(await balance(env, a.address)).to.equal(aliceBefore + parseEther("2"));
    expect(await balance(env, b.address)).to.equal(bobStart + parseEther("4") - (await gasPaid([first, defund])));
    expect(await balance(env, p.address)).to.equal(0n);
  });

  it("settles a claimable hashlock before it expires and refunds the owner's own lock after its deadline (as a watchtower)", async () => {
    const a = await wallet(env, "h-alice");
    const b = await wallet(env, "h-bob");
    const tower = await wallet(env, "h-tower");
    const p = await openPair(env, a, b, { salt: "hashlock", aliceEth: parseEther("5"), bobEth: parseEther("3") });
    const now = await env.clock.sync();
    const preimage = id("claimable");
    const expiry = now + HOUR + MARGIN; // the shortest lock the policy accepts: one consensus phase + margin
    const claimable = hashlockTransfer({
      channel: p.address,
      hashlock: env.hashlock,
      asset: ETH,
      amount: parseEther("1.25"),
      initiator: a.address,
      responder: b.address,
      timeout: HOUR,
      lockHash: hashlockLock(preimage),
      expiry,
    });
    const unknown = hashlockTransfer({
      channel: p.address,
      hashlock: env.hashlock,
      asset: ETH,
      amount: parseEther("0.5"),
      initiator: a.address,
      responder: b.address,
      timeout: HOUR,
      lockHash: hashlockLock(id("nobody told bob")),
      expiry: now + 3n * HOUR,
    });
    const own = hashlockTransfer({
      channel: p.address,
      hashlock: env.hashlock,
      asset: ETH,
      amount: parseEther("0.75"),
      initiator: b.address,
      responder: a.address,
      timeout: HOUR,
      lockHash: hashlockLock(id("alice never unlocks")),
      expiry: now + 3n * HOUR,
    });
    await update(p.alice, p.bob, { type: "create", transfer: claimable });
    await update(p.alice, p.bob, { type: "create", transfer: unknown });
    await update(p.bob, p.alice, { type: "create", transfer: own });
    // Bob learns the preimage (e.g. he issued the invoice); alice goes silent before resolving.
    await p.bob.learnResolution(transferId(claimable), encodeHashlockResolution(preimage));

    const watcher = watcherFor(p, tower, { ownerSigner: walletSigner(b) });
    const channel = await typed(p.address);
    await watcher.dispute();
    expect((await watcher.tick()).actions).to.deep.equal([]); // consensus phase, the record is bob's latest
    await travel(env, HOUR);
    const [aliceBefore, bobBefore] = [await balance(env, a.address), await balance(env, b.address)];
    const settle = await watcher.tick();
    expect(kinds(settle)).to.deep.equal(["defund", "disputeTransfer", "claimTransfer", "disputeTransfer"]);
    expect(settle.actions[1]?.transferId).to.equal(transferId(claimable));
    expect(settle.actions[3]?.transferId).to.equal(transferId(own));
    const claimReceipt = await env.provider.getTransactionReceipt(settle.actions[2]?.txHash as string);
    const claimBlock = await env.provider.getBlock(claimReceipt?.blockNumber as number);
    expect(BigInt(claimBlock?.timestamp ?? 0)).to.be.lessThan(expiry);
    // Defund: alice 5 − 1.25 − 0.5 = 3.25, bob 3 − 0.75 = 2.25; claim: bob + 1.25.
    expect(await balance(env, a.address)).to.equal(aliceBefore + parseEther("3.25"));
    expect(await balance(env, b.address)).to.equal(bobBefore + parseEther("3.5"));
    expect((await watcher.tick()).actions).to.deep.equal([]); // bob's own lock: the responder may still claim

    await travel(env, HOUR);
    const refund = await watcher.tick();
    expect(kinds(refund)).to.deep.equal(["refundTransfer"]);
    expect(await balance(env, b.address)).to.equal(bobBefore + parseEther("4.25"));
    const done = await watcher.tick();
    expect(done.phase).to.equal("over");
    expect(done.actions).to.deep.equal([]);
    // What is left is alice's business: the lock bob could not open.
    expect(await balance(env, p.address)).to.equal(parseEther("0.5"));
    expect((await channel.transferRecord(transferId(unknown))).settleDeadline).to.equal(0n);
  });

  it("withdraws the owner's exits to its exit recipient, once; a watchtower without the owner's signer reports why it cannot", async () => {
    const a = await wallet(env, "e-alice");
    const b = await wallet(env, "e-bob");
    const cold = await wallet(env, "e-cold");
    const tower = await wallet(env, "e-tower");
    const token = await env.net.ethers.deployContract("BlacklistToken");
    const tokenAddress = await token.getAddress();
    const p = await openPair(env, a, b, { salt: "exits", aliceEth: parseEther("1"), bobEth: parseEther("1") });
    const channel = await typed(p.address);
    await (await token.mint(b.address, parseEther("30"))).wait();
    await (await token.connect(b).getFunction("transfer")(p.address, parseEther("30"))).wait();
    await update(p.alice, p.bob, await p.alice.proposeDeposit(tokenAddress).then((x) => x.update.details));
    await pay(p, 7, parseEther("0.5"));
    await update(p.alice, p.bob, { type: "close" });
    await (await token.getFunction("setBlacklisted")(b.address, true)).wait();
    await send(a, (await Commitments.load(p.aliceStore, p.address)).close());
    expect(await channel.exitOf(tokenAddress, b.address)).to.equal(parseEther("30"));

    const blind = await watcherFor(p, tower).tick();
    expect(blind.actions).to.deep.equal([]);
    expect(blind.skipped.map((s) => s.kind)).to.deep.equal(["withdrawExit"]);

    const watcher = watcherFor(p, tower, { ownerSigner: walletSigner(b), exitRecipient: cold.address });
    const report = await watcher.tick();
    expect(report.phase).to.equal("closed");
    expect(kinds(report)).to.deep.equal(["withdrawExit"]);
    expect(await token.getFunction("balanceOf")(cold.address)).to.equal(parseEther("30"));
    expect(await channel.exitOf(tokenAddress, b.address)).to.equal(0n);
    expect((await watcher.tick()).actions).to.deep.equal([]);
  });

  it("answers a stale dispute with the stored final state when the channel was closed off chain", async () => {
    const a = await wallet(env, "f-alice");
    const b = await wallet(env, "f-bob");
    const p = await openPair(env, a, b, { salt: "final", aliceEth: parseEther("2"), bobEth: parseEther("2") });
    const stale = await Commitments.load(p.aliceStore, p.address);
    await pay(p, 8, parseEther("1.5"));
    await update(p.alice, p.bob, { type: "close" });
    await send(a, stale.dispute());
    const tower = await wallet(env, "f-tower");
    const [aliceBefore, bobBefore] = [await balance(env, a.address), await balance(env, b.address)];
    const report = await watcherFor(p, tower).tick();
    expect(kinds(report)).to.deep.equal(["close"]);
    expect(await balance(env, a.address)).to.equal(aliceBefore + parseEther("0.5"));
    expect(await balance(env, b.address)).to.equal(bobBefore + parseEther("3.5"));
    expect((await watcherFor(p, tower).tick()).actions).to.deep.equal([]);
  });

  it("defunds a state the owner signed but never saw completed (the counter-party disputes it)", async () => {
    const a = await wallet(env, "p-alice");
    const b = await wallet(env, "p-bob");
    const p = await openPair(env, a, b, { salt: "pending", aliceEth: parseEther("3"), bobEth: parseEther("1") });
    await env.clock.sync();
    const preimage = id("pending claim");
    const t = hashlockTransfer({
      channel: p.address,
      hashlock: env.hashlock,
      asset: ETH,
      amount: parseEther("1"),
      initiator: a.address,
      responder: b.address,
      timeout: HOUR,
      lockHash: hashlockLock(preimage),
      expiry: env.clock.now() + 3n * HOUR,
    });
    await update(p.alice, p.bob, { type: "create", transfer: t });
    // Bob claims; alice signs and stores it but never acknowledges; she disputes with it.
    await p.alice.receive(
      await p.bob.propose({
        type: "resolve",
        transferId: transferId(t),
        toResponder: parseEther("1"),
        resolverData: encodeHashlockResolution(preimage),
      }),
    );
    await send(a, (await Commitments.load(p.aliceStore, p.address)).dispute());
    const tower = await wallet(env, "p-tower");
    const watcher = watcherFor(p, tower);
    expect((await watcher.tick()).actions).to.deep.equal([]); // a newer state than bob's latest: nothing to refute
    await travel(env, HOUR);
    const bobBefore = await balance(env, b.address);
    const report = await watcher.tick();
    expect(kinds(report)).to.deep.equal(["defund"]);
    expect(await balance(env, b.address)).to.equal(bobBefore + parseEther("2"));
  });

  it("polls on its own after start() until stop()", async () => {
    const a = await wallet(env, "l-alice");
    const b = await wallet(env, "l-bob");
    const p = await openPair(env, a, b, { salt: "poll", aliceEth: parseEther("2") });
    const stale = await Commitments.load(p.aliceStore, p.address);
    await pay(p, 9, parseEther("1"));
    const reports: TickReport[] = [];
    const watcher = watcherFor(p, b, { pollIntervalMs: 20, onReport: (r) => reports.push(r) });
    const channel = await typed(p.address);
    watcher.start();
    try {
      await send(a, stale.dispute());
      // Wait for the refute on chain and for the tick that sent it to report (the report follows the receipt).
      const deadline = Date.now() + 20_000;
      while (
        ((await channel.disputeRecord()).nonce !== p.bob.latest?.state.nonce || !reports.flatMap(kinds).includes("refute")) &&
        Date.now() < deadline
      ) {
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      watcher.stop();
    }
    expect((await channel.disputeRecord()).nonce).to.equal(p.bob.latest?.state.nonce);
    expect(reports.flatMap(kinds)).to.include("refute");
  });
});
