/**
 * Commitments built by the SDK from what a party's store holds, sent to the real contracts on the embedded
 * network: each call is accepted and moves exactly the expected funds. Also proves src/abi.ts equal to the
 * compiled IChannel ABI.
 */
import { expect } from "chai";
import hre from "hardhat";
import { Interface, TypedDataEncoder, ZeroAddress, id, parseEther } from "ethers";

import { CHANNEL_ABI } from "../../../src/chain/abi.js";
import {
  Commitments,
  depositAliceCall,
  exitAuthorizationDigest,
  signExitAuthorization,
  signTransferResolution,
  transferResolutionDigest,
  withdrawExitCall,
} from "../../../src/chain/commitments.js";
import { CommitmentError } from "../../../src/protocol/errors.js";
import { hashlockTransfer } from "../../../src/routing/node.js";
import { encodeHashlockResolution, hashlockLock } from "../../../src/protocol/resolvers.js";
import { walletSigner } from "../../../src/protocol/signing.js";
import {
  EXIT_AUTHORIZATION_TYPES,
  TRANSFER_RESOLUTION_TYPES,
  channelDomain,
  hashChannelStateStruct,
} from "../../../src/protocol/typedData.js";
import { transferId } from "../../../src/protocol/transfers.js";
import type { ChannelMastercopy } from "../../../typechain-types/index.js";
import { HOUR, balance, deployEnv, openPair, send, travel, update, wallet, type Env } from "./onchain.js";

const env: Env = await deployEnv();
const relayer = await wallet(env, "relayer");
const ETH = ZeroAddress;

async function typed(address: string): Promise<ChannelMastercopy> {
  return (await env.net.ethers.getContractAt("ChannelMastercopy", address)) as unknown as ChannelMastercopy;
}

function preimage(i: number): string {
  return id(`commitments preimage ${i}`);
}

describe("SDK commitments against the contracts", () => {
  it("src/abi.ts is the compiled IChannel ABI, fragment for fragment", async () => {
    const artifact = await hre.artifacts.readArtifact("IChannel");
    const compiled = new Interface(artifact.abi).fragments.map((f) => f.format("full")).sort();
    const mine = new Interface(CHANNEL_ABI).fragments.map((f) => f.format("full")).sort();
    expect(mine).to.deep.equal(compiled);
  });

  it("depositAliceCall: ETH through the proxy's own depositAliceEth(), cheaper than depositAlice; tokens through depositAlice", async () => {
    const a = await wallet(env, "d-alice");
    const b = await wallet(env, "d-bob");
    const p = await openPair(env, a, b, { salt: "deposit" });
    const channel = await typed(p.address);
    const ethCall = depositAliceCall(p.address, ETH, parseEther("1"));
    expect(ethCall.method).to.equal("depositAliceEth");
    expect(ethCall.data).to.equal(channel.interface.encodeFunctionData("depositAliceEth"));
    const tx = { to: ethCall.to, data: ethCall.data, value: ethCall.value };
    const first = await (await a.sendTransaction(tx)).wait();
    expect(first?.logs[0]?.topics[0]).to.equal(channel.interface.getEvent("AliceDeposited").topicHash);
    const fast = await (await a.sendTransaction(tx)).wait();
    const generic = await (
      await channel.connect(a).depositAlice(ETH, parseEther("1"), { value: parseEther("1") })
    ).wait();
    expect(fast?.gasUsed).to.be.lessThan((generic?.gasUsed ?? 0n) - 2_600n);
    expect(await channel.totalDepositsAlice(ETH)).to.equal(parseEther("3"));

    const token = await env.net.ethers.deployContract("MockERC20", ["Deposit Token", "DEP", 18]);
    const tokenAddress = await token.getAddress();
    await (await token.mint(a.address, parseEther("5"))).wait();
    await (await token.connect(a).getFunction("approve")(p.address, parseEther("5"))).wait();
    const tokenCall = depositAliceCall(p.address, tokenAddress.toLowerCase(), parseEther("5"));
    expect(tokenCall.method).to.equal("depositAlice");
    expect(tokenCall.value).to.equal(0n);
    await (await a.sendTransaction({ to: tokenCall.to, data: tokenCall.data, value: tokenCall.value })).wait();
    expect(await channel.totalDepositsAlice(tokenAddress)).to.equal(parseEther("5"));
    expect(() => depositAliceCall(p.address, ETH, 0n)).to.throw(CommitmentError, "positive");
  });

  it("withdraw: a stored co-signed commitment pays its recipient exactly, once (raw and through the typed binding)", async () => {
    const a = await wallet(env, "w-alice");
    const b = await wallet(env, "w-bob");
    const p = await openPair(env, a, b, { salt: "withdraw", aliceEth: parseEther("3"), bobEth: parseEther("2") });
    const commitment = {
      asset: ETH,
      recipient: b.address,
      amount: parseEther("0.75"),
      nonce: 1n,
      callTo: ZeroAddress,
      callData: "0x",
    };
    await update(p.bob, p.alice, { type: "withdraw", party: "bob", commitment });
    const second = { ...commitment, recipient: a.address, amount: parseEther("1"), nonce: 2n };
    await update(p.alice, p.bob, { type: "withdraw", party: "alice", commitment: second });

    const c = await Commitments.load(p.bobStore, p.address);
    expect(c.withdrawals()).to.have.length(2);
    const before = await balance(env, b.address);
    await send(relayer, c.withdraw(1n));
    expect(await balance(env, b.address)).to.equal(before + parseEther("0.75"));

    // The same builder's typed arguments, through the typechain binding; from alice's store this time.
    const channel = await typed(p.address);
    const call = (await Commitments.load(p.aliceStore, p.address)).withdraw(2n);
    expect(call.method).to.equal("withdraw");
    const aliceBefore = await balance(env, a.address);
    await (await channel.connect(relayer).withdraw(...call.args)).wait();
    expect(await balance(env, a.address)).to.equal(aliceBefore + parseEther("1"));
    await expect(channel.connect(relayer).withdraw(...c.withdraw(1n).args)).to.be.revertedWithCustomError(
      channel,
      "WithdrawAlreadyExecuted",
    );
    expect(() => c.withdraw(9n)).to.throw(CommitmentError);
    expect(await balance(env, p.address)).to.equal(parseEther("3.25"));
  });

  it("close: the stored final state pays both sides their off-chain balances and empties the channel", async () => {
    const a = await wallet(env, "c-alice");
    const b = await wallet(env, "c-bob");
    const p = await openPair(env, a, b, { salt: "close", aliceEth: parseEther("4"), bobEth: parseEther("1") });
    await env.clock.sync();
    const t = hashlockTransfer({
      channel: p.address,
      hashlock: env.hashlock,
      asset: ETH,
      amount: parseEther("1.5"),
      initiator: a.address,
      responder: b.address,
      timeout: HOUR,
      lockHash: hashlockLock(preimage(0)),
      expiry: env.clock.now() + 3n * HOUR,
    });
    await update(p.alice, p.bob, { type: "create", transfer: t });
    await update(p.bob, p.alice, {
      type: "resolve",
      transferId: transferId(t),
      toResponder: parseEther("1.5"),
      resolverData: encodeHashlockResolution(preimage(0)),
    });
    const c0 = await Commitments.load(p.bobStore, p.address);
    expect(() => c0.close()).to.throw(CommitmentError);
    await update(p.alice, p.bob, { type: "close" });

    const c = await Commitments.load(p.bobStore, p.address);
    const [aliceBefore, bobBefore] = [await balance(env, a.address), await balance(env, b.address)];
    await send(relayer, c.close());
    expect(await balance(env, a.address)).to.equal(aliceBefore + parseEther("2.5"));
    expect(await balance(env, b.address)).to.equal(bobBefore + parseEther("2.5"));
    expect(await balance(env, p.address)).to.equal(0n);
  });

  it("dispute, refute and defund: the latest stored state beats a stale one and pays exactly", async () => {
    const a = await wallet(env, "d-alice");
    const b = await wallet(env, "d-bob");
    const p = await openPair(env, a, b, { salt: "dispute", aliceEth: parseEther("5"), bobEth: parseEther("5") });
    await env.clock.sync();
    // Alice pays bob 2 ETH in two hashlock payments; she keeps the first state's commitments.
    const stale = await Commitments.load(p.aliceStore, p.address);
    for (const i of [1, 2]) {
      const t = hashlockTransfer({
        channel: p.address,
        hashlock: env.hashlock,
        asset: ETH,
        amount: parseEther("1"),
        initiator: a.address,
        responder: b.address,
        timeout: HOUR,
        lockHash: hashlockLock(preimage(i)),
        expiry: env.clock.now() + 3n * HOUR,
      });
      await update(p.alice, p.bob, { type: "create", transfer: t });
      await update(p.bob, p.alice, {
        type: "resolve",
        transferId: transferId(t),
        toResponder: parseEther("1"),
        resolverData: encodeHashlockResolution(preimage(i)),
      });
    }
    const latest = await Commitments.load(p.bobStore, p.address);
    const channel = await typed(p.address);

    await send(relayer, stale.dispute()); // the cheat: the state before the payments
    expect((await channel.disputeRecord()).nonce).to.equal(stale.state().state.nonce);
    await send(relayer, latest.dispute()); // the refute
    const record = await channel.disputeRecord();
    expect(record.nonce).to.equal(latest.state().state.nonce);
    expect(await channel.disputedStateHash()).to.equal(latest.state().hash);
    await expect(send(relayer, stale.dispute())).to.be.revertedWithCustomError(channel, "StaleNonce");

    await travel(env, HOUR);
    const [aliceBefore, bobBefore] = [await balance(env, a.address), await balance(env, b.address)];
    await send(relayer, latest.defund());
    expect(await balance(env, a.address)).to.equal(aliceBefore + parseEther("3"));
    expect(await balance(env, b.address)).to.equal(bobBefore + parseEther("7"));
    expect(await balance(env, p.address)).to.equal(0n);
  });

  it("disputeTransfer with the incremental tree's proof, claim through a watchtower signature, refund after the deadline", async () => {
    const a = await wallet(env, "t-alice");
    const b = await wallet(env, "t-bob");
    const p = await openPair(env, a, b, { salt: "transfers", aliceEth: parseEther("6"), bobEth: parseEther("2") });
    await env.clock.sync();
    const ids: string[] = [];
    // Seven transfers both ways, then two resolved off chain: the tree is updated in place (holes refilled).
    for (let i = 0; i < 7; i++) {
      const fromAlice = i % 3 !== 2;
      const t = hashlockTransfer({
        channel: p.address,
        hashlock: env.hashlock,
        asset: ETH,
        amount: parseEther("0.5"),
        initiator: fromAlice ? a.address : b.address,
        responder: fromAlice ? b.address : a.address,
        timeout: HOUR,
        lockHash: hashlockLock(preimage(10 + i)),
        expiry: env.clock.now() + 4n * HOUR,
      });
      await update(fromAlice ? p.alice : p.bob, fromAlice ? p.bob : p.alice, { type: "create", transfer: t });
      ids.push(transferId(t));
    }
    for (const i of [0, 4]) {
      await update(p.bob, p.alice, {
        type: "resolve",
        transferId: ids[i] as string,
        toResponder: 0n,
        resolverData: "0x",
      });
    }
    const claimed = ids[3] as string; // alice → bob, bob knows the preimage
    await p.bob.learnResolution(claimed, encodeHashlockResolution(preimage(13)));
    const refunded = ids[5] as string; // bob → alice, nobody unlocks

    const c = await Commitments.load(p.bobStore, p.address);
    const channel = await typed(p.address);
    await send(relayer, c.dispute());
    await travel(env, HOUR);
    await send(relayer, c.defund());
    const claim = c.disputeTransfer(claimed);
    expect(claim.args[2].length).to.be.greaterThan(0);
    await send(relayer, claim);
    await send(relayer, c.disputeTransfer(refunded));
    await expect(send(relayer, c.disputeTransfer(claimed))).to.be.revertedWithCustomError(
      channel,
      "TransferAlreadyDisputed",
    );
    expect(() => c.disputeTransfer(ids[0] as string)).to.throw(CommitmentError); // resolved off chain

    // A watchtower settles for bob with bob's TransferResolution signature over the stored evidence.
    const evidence = c.evidence(claimed) as string;
    expect(transferResolutionDigest(env.chainId, p.address, { transferId: claimed, resolverData: evidence })).to.equal(
      TypedDataEncoder.hash(channelDomain(env.chainId, p.address), TRANSFER_RESOLUTION_TYPES, {
        transferId: claimed,
        resolverData: evidence,
      }),
    );
    const signature = await signTransferResolution(walletSigner(b), env.chainId, p.address, {
      transferId: claimed,
      resolverData: evidence,
    });
    const bobBefore = await balance(env, b.address);
    await expect(send(relayer, c.defundTransfer(claimed))).to.be.revertedWithCustomError(channel, "NotResponder");
    await send(relayer, c.defundTransfer(claimed, { responderSignature: signature }));
    expect(await balance(env, b.address)).to.equal(bobBefore + parseEther("0.5"));

    await travel(env, HOUR);
    const bobBeforeRefund = await balance(env, b.address);
    await send(relayer, c.defundTransfer(refunded));
    expect(await balance(env, b.address)).to.equal(bobBeforeRefund + parseEther("0.5"));
    expect((await channel.transferRecord(refunded)).settled).to.equal(true);
    expect(hashChannelStateStruct(c.state().state)).to.equal(await channel.disputedStateHash());
  });

  it("withdrawExit: an exit kept for a blacklisted owner is paid to another recipient with its ExitAuthorization", async () => {
    const a = await wallet(env, "x-alice");
    const b = await wallet(env, "x-bob");
    const bobCold = await wallet(env, "x-bob-cold");
    const token = await env.net.ethers.deployContract("BlacklistToken");
    const tokenAddress = await token.getAddress();
    const p = await openPair(env, a, b, { salt: "exit" });
    await (await token.mint(b.address, parseEther("40"))).wait();
    await (await token.mint(a.address, parseEther("60"))).wait();
    const channel = await typed(p.address);
    await (await token.connect(b).getFunction("transfer")(p.address, parseEther("40"))).wait();
    await (await token.connect(a).getFunction("approve")(p.address, parseEther("60"))).wait();
    await (await channel.connect(a).depositAlice(tokenAddress, parseEther("60"))).wait();
    await update(p.alice, p.bob, await p.alice.proposeDeposit(tokenAddress).then((x) => x.update.details));
    await update(p.alice, p.bob, { type: "close" });

    await (await token.getFunction("setBlacklisted")(b.address, true)).wait();
    await send(relayer, (await Commitments.load(p.bobStore, p.address)).close());
    expect(await token.getFunction("balanceOf")(a.address)).to.equal(parseEther("60"));
    expect(await channel.exitOf(tokenAddress, b.address)).to.equal(parseEther("40"));

    const c = await Commitments.load(p.bobStore, p.address);
    const nonce = await channel.exitNonce(b.address);
    const auth = { asset: tokenAddress, recipient: bobCold.address, nonce };
    expect(exitAuthorizationDigest(env.chainId, p.address, auth)).to.equal(
      TypedDataEncoder.hash(channelDomain(env.chainId, p.address), EXIT_AUTHORIZATION_TYPES, auth),
    );
    const signature = await signExitAuthorization(walletSigner(b), env.chainId, p.address, auth);
    await expect(send(relayer, c.withdrawExit(tokenAddress, bobCold.address))).to.be.revertedWithCustomError(
      channel,
      "InvalidSignature",
    );
    const call = c.withdrawExit(tokenAddress, bobCold.address, signature);
    expect(call).to.deep.equal(withdrawExitCall(p.address, tokenAddress, b.address, bobCold.address, signature));
    await send(relayer, call);
    expect(await token.getFunction("balanceOf")(bobCold.address)).to.equal(parseEther("40"));
    expect(await channel.exitOf(tokenAddress, b.address)).to.equal(0n);
    expect(await channel.exitNonce(b.address)).to.equal(nonce + 1n);
    await expect(send(relayer, call)).to.be.revertedWithCustomError(channel, "InvalidSignature"); // spent
  });
});
