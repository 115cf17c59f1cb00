/**
 * The same users' next life cycle on one channel, driven by the SDK against the contracts (PROTOCOL.md §8, §14.2):
 * open and fund, pay, close on chain; reopen from what the close paid (read from its events), fund again, and
 * settle the second cycle both ways — cooperatively, and by a dispute of the reopened state, which proves the
 * contract accepts what the SDK signs after a close and pays exactly its figures (nothing of the first cycle twice).
 */
import { expect } from "chai";
import { TypedDataEncoder, ZeroAddress, id, parseEther, type Wallet } from "ethers";

import { Channel } from "../../../src/channel/channel.js";
import { closePayoutReader, closePayoutsFromLogs } from "../../../src/chain/closePayouts.js";
import { Commitments, depositAliceCall } from "../../../src/chain/commitments.js";
import { ChannelReader } from "../../../src/chain/reader.js";
import { ReopenError } from "../../../src/protocol/errors.js";
import { hashlockPolicy } from "../../../src/protocol/policies.js";
import { encodeHashlockResolution, encodeHashlockTerms, hashlockLock } from "../../../src/protocol/resolvers.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import { transferId, type Transfer } from "../../../src/protocol/transfers.js";
import { CHANNEL_STATE_TYPES } from "../../../src/protocol/typedData.js";
import { MemoryChannelStore } from "../../../src/stores/store.js";
import { HOUR, balance, deployEnv, send, travel, update, wallet, type Env } from "./onchain.js";

const env: Env = await deployEnv();
const ETH = parseEther("1");

interface Cycle {
  address: string;
  alice: Channel;
  bob: Channel;
  aliceStore: MemoryChannelStore;
  bobStore: MemoryChannelStore;
  a: Wallet;
  b: Wallet;
  relayer: Wallet;
}

/** First life cycle: bob 3 plain, alice creates with 5, bob pays alice 1 off chain, close (bob sent 0.5 meanwhile). */
async function firstCycle(name: string): Promise<Cycle> {
  const a = await wallet(env, `${name}-alice`);
  const b = await wallet(env, `${name}-bob`);
  const relayer = await wallet(env, `${name}-relayer`);
  const salt = id(name);
  const factory = env.factory.connect(a);
  const address = await factory.channelAddress(a.address, b.address, salt);
  await (await b.sendTransaction({ to: address, value: 3n * ETH })).wait();
  await (await factory.createChannelAndDeposit(a.address, b.address, salt, ZeroAddress, 5n * ETH, { value: 5n * ETH })).wait();
  const reader = new ChannelReader(env.provider, address);
  const common = {
    setup: { chainId: env.chainId, channel: address, alice: a.address, bob: b.address, timeout: HOUR },
    limits: env.limits,
    resolvers: [hashlockPolicy(env.hashlock)],
    clock: env.clock.now,
    chain: env.provider,
    deposits: reader.deposits(),
    closePayouts: closePayoutReader(env.provider, address),
  };
  const aliceStore = new MemoryChannelStore();
  const bobStore = new MemoryChannelStore();
  const alice = await Channel.create({ ...common, me: "alice", signer: walletSigner(a), store: aliceStore });
  const bob = await Channel.create({ ...common, me: "bob", signer: walletSigner(b), store: bobStore });
  await update(alice, bob, (await alice.proposeDeposit(ZeroAddress)).update.details); // nonce 1: 5 / 3
  // A payment: bob pays alice 1 by a hashlock transfer, which alice claims with the preimage.
  const transfer = payment(b.address, a.address, address);
  await update(bob, alice, { type: "create", transfer });
  await update(alice, bob, {
    type: "resolve",
    transferId: transferId(transfer),
    toResponder: ETH,
    resolverData: encodeHashlockResolution(PREIMAGE),
  });
  expect(alice.state.assets[0]).to.include({ balanceAlice: 6n * ETH, balanceBob: 2n * ETH });
  await (await b.sendTransaction({ to: address, value: ETH / 2n })).wait(); // not reconciled before the close
  await update(alice, bob, { type: "close" }); // nonce 4
  return { address, alice, bob, aliceStore, bobStore, a, b, relayer };
}

const PREIMAGE = id("reopen preimage");

/** Bob's 1 ETH hashlock payment to alice in `channel` (a week to expire). */
function payment(from: string, to: string, channel: string): Transfer {
  return {
    channel,
    resolver: env.hashlock,
    asset: ZeroAddress,
    amount: ETH,
    initiator: from,
    responder: to,
    timeout: HOUR,
    salt: id("reopen salt"),
    data: encodeHashlockTerms({ lockHash: hashlockLock(PREIMAGE), expiry: env.clock.now() + 7n * 24n * HOUR }),
  };
}

describe("the next life cycle of a closed channel, driven by the SDK on chain", () => {
  it("closes, reopens from the close's events, funds again and closes again, paying each cycle exactly once", async () => {
    const c = await firstCycle("cycle-coop");
    const aBefore = await balance(env, c.a.address);
    const bBefore = await balance(env, c.b.address);
    const closeTx = await (await c.relayer.sendTransaction((await Commitments.load(c.bobStore, c.address)).close())).wait();
    expect(await balance(env, c.a.address)).to.equal(aBefore + 6n * ETH);
    expect(await balance(env, c.b.address)).to.equal(bBefore + 2n * ETH + ETH / 2n); // with the unreconciled 0.5
    expect(closePayoutsFromLogs(closeTx?.logs ?? [], c.address, 4n)).to.deep.equal([
      { asset: ZeroAddress, toAlice: 6n * ETH, toBob: 2n * ETH + ETH / 2n, defundNonce: 1n },
    ]);

    // The next cycle's deposits arrive before the reopen is signed: bob 2 plain, alice 1 tracked (the proxy's path).
    await (await c.b.sendTransaction({ to: c.address, value: 2n * ETH })).wait();
    await (await c.a.sendTransaction(depositAliceCall(c.address, ZeroAddress, ETH))).wait();

    await c.bob.complete(await c.alice.receive(await c.bob.proposeReopen())); // nonce 5
    expect(c.alice.state.assets).to.deep.equal([
      { asset: ZeroAddress, balanceAlice: 0n, balanceBob: 0n, processedAlice: 5n * ETH, processedBob: 3n * ETH + ETH / 2n, defundNonce: 2n },
    ]);
    await update(c.alice, c.bob, (await c.alice.proposeDeposit(ZeroAddress)).update.details); // nonce 6: 1 / 2
    expect(c.bob.state.assets[0]).to.include({ balanceAlice: ETH, balanceBob: 2n * ETH, processedAlice: 6n * ETH, processedBob: 5n * ETH + ETH / 2n });
    await update(c.bob, c.alice, { type: "close" }); // nonce 7

    const a2 = await balance(env, c.a.address);
    const b2 = await balance(env, c.b.address);
    await send(c.relayer, (await Commitments.load(c.aliceStore, c.address)).close());
    expect(await balance(env, c.a.address)).to.equal(a2 + ETH);
    expect(await balance(env, c.b.address)).to.equal(b2 + 2n * ETH);
    expect(await balance(env, c.address)).to.equal(0n);
    const reader = new ChannelReader(env.provider, c.address);
    expect(await reader.defundNonce(ZeroAddress)).to.equal(2n);

    // A reopen can be proposed for the second close too, and is refused before it is on chain.
    const third = await c.alice.propose({ type: "reopen", payouts: [...(await closePayoutReader(env.provider, c.address)(7n))] });
    expect(third.update.state.assets[0]).to.include({ processedAlice: 6n * ETH, processedBob: 5n * ETH + ETH / 2n, defundNonce: 3n });
  });

  it("a dispute of the reopened state is accepted on chain (its struct hash is the SDK's) and pays exactly the second cycle", async () => {
    const c = await firstCycle("cycle-dispute");
    try {
      await c.bob.proposeReopen();
      expect.fail("reopened before the close was on chain");
    } catch (e) {
      expect(e).to.be.instanceOf(ReopenError);
      expect((e as Error).message).to.include("not on chain");
    }
    await send(c.relayer, (await Commitments.load(c.bobStore, c.address)).close());
    await (await c.b.sendTransaction({ to: c.address, value: 2n * ETH })).wait();
    await (await c.a.sendTransaction(depositAliceCall(c.address, ZeroAddress, ETH))).wait();
    await c.alice.complete(await c.bob.receive(await c.alice.proposeReopen()));
    await update(c.alice, c.bob, (await c.alice.proposeDeposit(ZeroAddress)).update.details);
    // Bob pays alice 0.25 of the new cycle off chain, then alice stops answering: bob disputes the latest state.
    await update(c.bob, c.alice, {
      type: "withdraw",
      party: "bob",
      commitment: { asset: ZeroAddress, recipient: c.b.address, amount: ETH / 4n, nonce: 1n, callTo: ZeroAddress, callData: "0x" },
    });
    const commitments = await Commitments.load(c.bobStore, c.address);
    const latest = commitments.state().state;
    expect(latest.nonce).to.equal(7n);
    expect(latest.assets[0]).to.include({ balanceAlice: ETH, balanceBob: 2n * ETH - ETH / 4n, defundNonce: 2n });
    await send(c.relayer, commitments.dispute());
    const channel = await env.net.ethers.getContractAt("ChannelMastercopy", c.address);
    expect(await channel.disputedStateHash()).to.equal(TypedDataEncoder.hashStruct("ChannelState", CHANNEL_STATE_TYPES, latest));
    await send(c.relayer, commitments.withdraw(1n));
    await travel(env, HOUR);
    const a2 = await balance(env, c.a.address);
    const b2 = await balance(env, c.b.address);
    await send(c.relayer, commitments.defund());
    expect(await balance(env, c.a.address)).to.equal(a2 + ETH);
    expect(await balance(env, c.b.address)).to.equal(b2 + 2n * ETH - ETH / 4n);
    expect(await balance(env, c.address)).to.equal(0n);
  });
});
