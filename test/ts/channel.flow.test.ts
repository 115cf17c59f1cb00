/**
 * The whole channel flow driven from TypeScript: typed data from src/typedData.ts, signatures from ethers
 * signers, calls through the typed bindings. Every balance is checked on chain.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { ZeroAddress, ZeroHash, id, parseEther, type Signer } from "ethers";

import { merkleRootOf } from "../../src/protocol/merkle.js";
import { encodeHashlockResolution, encodeHashlockTerms, hashlockLock } from "../../src/protocol/resolvers.js";
import { transferId, transferLeaf } from "../../src/protocol/transfers.js";
import {
  CHANNEL_STATE_TYPES,
  FINAL_STATE_TYPES,
  TRANSFER_RESOLUTION_TYPES,
  WITHDRAW_TYPES,
  channelDomain,
  type AssetState,
  type ChannelState,
  type FinalState,
  type WithdrawCommitment,
} from "../../src/protocol/typedData.js";

const { ethers, networkHelpers } = await network.create();
const HOUR = 3_600n;

async function signers() {
  const all = await ethers.getSigners();
  const pick = (i: number) => {
    const s = all[i];
    if (!s) throw new Error(`no account #${i}`);
    return s;
  };
  return { deployer: pick(0), alice: pick(1), bob: pick(2), relayer: pick(3) };
}

async function deploy() {
  const { alice, bob, relayer } = await signers();
  const token = await ethers.deployContract("MockERC20", ["Flow Token", "FLO", 18]);
  const limits = [
    { asset: ZeroAddress, channelCapacity: parseEther("100"), transferCap: parseEther("10") },
    { asset: await token.getAddress(), channelCapacity: parseEther("1000000"), transferCap: parseEther("1000") },
  ];
  const factory = await ethers.deployContract("ChannelFactory", [limits, HOUR, 7n * 24n * HOUR]);
  const hashlock = await ethers.deployContract("HashlockResolver");
  await (await token.mint(alice.address, parseEther("10000"))).wait();
  await (await token.mint(bob.address, parseEther("10000"))).wait();
  const { chainId } = await ethers.provider.getNetwork();
  return { factory, token, hashlock, alice, bob, relayer, chainId };
}

async function signBoth(a: Signer, b: Signer, chainId: bigint, channel: string, types: typeof CHANNEL_STATE_TYPES, value: object) {
  const domain = channelDomain(chainId, channel);
  const v = value as Record<string, unknown>;
  return [await a.signTypedData(domain, types, v), await b.signTypedData(domain, types, v)] as const;
}

describe("channel flow through typed data and ethers", () => {
  it("funds a counterfactual channel, withdraws and closes, paying exactly", async () => {
    const { factory, token, alice, bob, relayer, chainId } = await deploy();
    const salt = id("flow-1");
    const address = await factory.channelAddress(alice.address, bob.address, salt);
    const tokenAddr = await token.getAddress();

    // Bob funds the counterfactual address: plain ETH and a plain token transfer.
    await (await bob.sendTransaction({ to: address, value: parseEther("3") })).wait();
    await (await token.connect(bob).transfer(address, parseEther("200"))).wait();
    // Alice creates the channel and deposits ETH in one transaction, then deposits tokens.
    await (
      await factory.connect(alice).createChannelAndDeposit(alice.address, bob.address, salt, ZeroAddress, parseEther("5"), {
        value: parseEther("5"),
      })
    ).wait();
    const channel = await ethers.getContractAt("ChannelMastercopy", address);
    await (await token.connect(alice).approve(address, ethers.MaxUint256)).wait();
    await (await channel.connect(alice).depositAlice(tokenAddr, parseEther("300"))).wait();
    expect(await channel.totalDepositsAlice(ZeroAddress)).to.equal(parseEther("5"));
    expect(await channel.totalDepositsBob(ZeroAddress)).to.equal(parseEther("3"));
    expect(await channel.totalDepositsAlice(tokenAddr)).to.equal(parseEther("300"));
    expect(await channel.totalDepositsBob(tokenAddr)).to.equal(parseEther("200"));

    // Cooperative withdraw: bob takes 1 ETH out, submitted by a relayer.
    const w: WithdrawCommitment = {
      asset: ZeroAddress,
      recipient: bob.address,
      amount: parseEther("1"),
      nonce: 0n,
      callTo: ZeroAddress,
      callData: "0x",
    };
    const [wa, wb] = await signBoth(alice, bob, chainId, address, WITHDRAW_TYPES, w);
    const bobBefore = await ethers.provider.getBalance(bob.address);
    await (await channel.connect(relayer).withdraw(w, wa, wb)).wait();
    expect(await ethers.provider.getBalance(bob.address)).to.equal(bobBefore + parseEther("1"));
    await expect(channel.connect(relayer).withdraw(w, wa, wb)).to.be.revertedWithCustomError(
      channel,
      "WithdrawAlreadyExecuted",
    );

    // Cooperative close: after payments, alice 4 / bob 3 ETH and alice 250 / bob 250 tokens.
    const final: FinalState = {
      nonce: 12n,
      assets: [
        {
          asset: ZeroAddress,
          balanceAlice: parseEther("4"),
          balanceBob: parseEther("3"),
          processedAlice: parseEther("5"),
          processedBob: parseEther("3"),
          defundNonce: 1n,
        },
        {
          asset: tokenAddr,
          balanceAlice: parseEther("250"),
          balanceBob: parseEther("250"),
          processedAlice: parseEther("300"),
          processedBob: parseEther("200"),
          defundNonce: 1n,
        },
      ],
    };
    const [fa, fb] = await signBoth(alice, bob, chainId, address, FINAL_STATE_TYPES, final);
    const aliceEth = await ethers.provider.getBalance(alice.address);
    const bobEth = await ethers.provider.getBalance(bob.address);
    const aliceTok = await token.balanceOf(alice.address);
    const bobTok = await token.balanceOf(bob.address);
    await expect(channel.connect(relayer).closeChannel(final, fa, fb))
      .to.emit(channel, "ChannelClosed")
      .withArgs(12n);
    expect(await ethers.provider.getBalance(alice.address)).to.equal(aliceEth + parseEther("4"));
    expect(await ethers.provider.getBalance(bob.address)).to.equal(bobEth + parseEther("3"));
    expect(await token.balanceOf(alice.address)).to.equal(aliceTok + parseEther("250"));
    expect(await token.balanceOf(bob.address)).to.equal(bobTok + parseEther("250"));
    expect(await ethers.provider.getBalance(address)).to.equal(0n);
    expect(await token.balanceOf(address)).to.equal(0n);
  });

  it("settles the latest state unilaterally: stale dispute, refute, defund", async () => {
    const { factory, alice, bob, relayer, chainId } = await deploy();
    const salt = id("flow-2");
    const address = await factory.channelAddress(alice.address, bob.address, salt);
    await (await bob.sendTransaction({ to: address, value: parseEther("2") })).wait();
    await (
      await factory.connect(alice).createChannelAndDeposit(alice.address, bob.address, salt, ZeroAddress, parseEther("2"), {
        value: parseEther("2"),
      })
    ).wait();
    const channel = await ethers.getContractAt("ChannelMastercopy", address);
    const asset = (balanceAlice: bigint, balanceBob: bigint): AssetState => ({
      asset: ZeroAddress,
      balanceAlice,
      balanceBob,
      processedAlice: parseEther("2"),
      processedBob: parseEther("2"),
      defundNonce: 1n,
    });
    const stale: ChannelState = { nonce: 4n, timeout: HOUR, transfersRoot: ZeroHash, assets: [asset(parseEther("3"), parseEther("1"))] };
    const latest: ChannelState = { ...stale, nonce: 5n, assets: [asset(parseEther("1"), parseEther("3"))] };
    const [sa, sb] = await signBoth(alice, bob, chainId, address, CHANNEL_STATE_TYPES, stale);
    const [la, lb] = await signBoth(alice, bob, chainId, address, CHANNEL_STATE_TYPES, latest);

    await (await channel.connect(alice).disputeChannel(stale, sa, sb)).wait(); // alice tries the stale state
    const record = await channel.disputeRecord();
    await (await channel.connect(bob).disputeChannel(latest, la, lb)).wait(); // bob answers with the latest
    const refuted = await channel.disputeRecord();
    expect(refuted.nonce).to.equal(5n);
    expect(refuted.consensusExpiry).to.equal(record.consensusExpiry, "a refute does not extend the window");
    await expect(channel.connect(alice).disputeChannel(stale, sa, sb)).to.be.revertedWithCustomError(channel, "StaleNonce");
    await expect(channel.connect(relayer).defundChannel(latest, [ZeroAddress])).to.be.revertedWithCustomError(
      channel,
      "ConsensusPhaseNotOver",
    );

    await networkHelpers.time.increase(HOUR);
    const aliceBefore = await ethers.provider.getBalance(alice.address);
    const bobBefore = await ethers.provider.getBalance(bob.address);
    await (await channel.connect(relayer).defundChannel(latest, [ZeroAddress])).wait();
    expect(await ethers.provider.getBalance(alice.address)).to.equal(aliceBefore + parseEther("1"));
    expect(await ethers.provider.getBalance(bob.address)).to.equal(bobBefore + parseEther("3"));
    expect(await ethers.provider.getBalance(address)).to.equal(0n);
    await expect(channel.connect(relayer).defundChannel(latest, [ZeroAddress])).to.be.revertedWithCustomError(
      channel,
      "DefundNonceNotFresh",
    );
  });

  it("disputes and settles a hashlock transfer with a proof built in TypeScript", async () => {
    const { factory, hashlock, alice, bob, relayer, chainId } = await deploy();
    const salt = id("flow-3");
    const address = await factory.channelAddress(alice.address, bob.address, salt);
    await (
      await factory.connect(alice).createChannelAndDeposit(alice.address, bob.address, salt, ZeroAddress, parseEther("4"), {
        value: parseEther("4"),
      })
    ).wait();
    const channel = await ethers.getContractAt("ChannelMastercopy", address);
    const preimage = id("open sesame");
    const makeTransfer = (tsalt: string, amount: bigint) => ({
      channel: address,
      resolver: "",
      asset: ZeroAddress,
      amount,
      initiator: alice.address,
      responder: bob.address,
      timeout: HOUR,
      salt: tsalt,
      data: encodeHashlockTerms({ lockHash: hashlockLock(preimage), expiry: 4_102_444_800n }),
    });
    const resolver = await hashlock.getAddress();
    const t1 = { ...makeTransfer(id("t1"), parseEther("1")), resolver };
    const t2 = { ...makeTransfer(id("t2"), parseEther("0.5")), resolver };
    const [l1, l2] = [transferLeaf(transferId(t1)), transferLeaf(transferId(t2))];
    const root = merkleRootOf([l1, l2]);
    const state: ChannelState = {
      nonce: 3n,
      timeout: HOUR,
      transfersRoot: root,
      assets: [
        {
          asset: ZeroAddress,
          balanceAlice: parseEther("2.5"),
          balanceBob: 0n,
          processedAlice: parseEther("4"),
          processedBob: 0n,
          defundNonce: 1n,
        },
      ],
    };
    const [sa, sb] = await signBoth(alice, bob, chainId, address, CHANNEL_STATE_TYPES, state);
    await (await channel.connect(bob).disputeChannel(state, sa, sb)).wait();
    await networkHelpers.time.increase(HOUR);
    await (await channel.connect(relayer).defundChannel(state, [ZeroAddress])).wait();
    await (await channel.connect(bob).disputeTransfer(state, t1, [l2])).wait();
    await expect(channel.connect(bob).disputeTransfer(state, t1, [l1])).to.be.revertedWithCustomError(
      channel,
      "InvalidMerkleProof",
    );
    const bobBefore = await ethers.provider.getBalance(bob.address);
    // A watchtower settles for bob with bob's signature of the resolution.
    const resolverData = encodeHashlockResolution(preimage);
    const tid = transferId(t1);
    const auth = await bob.signTypedData(channelDomain(chainId, address), TRANSFER_RESOLUTION_TYPES, {
      transferId: tid,
      resolverData,
    });
    await expect(channel.connect(relayer).defundTransfer(t1, resolverData, auth))
      .to.emit(channel, "TransferSettled")
      .withArgs(tid, parseEther("1"), 0n);
    expect(await ethers.provider.getBalance(bob.address)).to.equal(bobBefore + parseEther("1"));
    // The second transfer was never unlocked: after its window it returns to alice.
    await (await channel.connect(relayer).disputeTransfer(state, t2, [l1])).wait();
    await networkHelpers.time.increase(HOUR);
    const aliceBefore = await ethers.provider.getBalance(alice.address);
    await (await channel.connect(relayer).defundTransfer(t2, "0x", "0x")).wait();
    expect(await ethers.provider.getBalance(alice.address)).to.equal(aliceBefore + parseEther("0.5"));
    expect(await ethers.provider.getBalance(address)).to.equal(0n);
  });

  it("accepts an ERC-1271 smart account as alice", async () => {
    const { factory, bob, relayer, chainId } = await deploy();
    const owner = ethers.Wallet.createRandom();
    const wallet = await ethers.deployContract("MockERC1271Wallet", [owner.address]);
    const walletAddr = await wallet.getAddress();
    const salt = id("flow-4");
    const address = await factory.channelAddress(walletAddr, bob.address, salt);
    await (await bob.sendTransaction({ to: address, value: parseEther("1") })).wait();
    await (await factory.createChannel(walletAddr, bob.address, salt)).wait();
    const channel = await ethers.getContractAt("ChannelMastercopy", address);
    const final: FinalState = {
      nonce: 1n,
      assets: [
        { asset: ZeroAddress, balanceAlice: parseEther("0.4"), balanceBob: parseEther("0.6"), processedAlice: 0n, processedBob: parseEther("1"), defundNonce: 1n },
      ],
    };
    const domain = channelDomain(chainId, address);
    const byOwner = await owner.signTypedData(domain, FINAL_STATE_TYPES, final);
    const byBob = await bob.signTypedData(domain, FINAL_STATE_TYPES, final);
    await (await channel.connect(relayer).closeChannel(final, byOwner, byBob)).wait();
    expect(await ethers.provider.getBalance(walletAddr)).to.equal(parseEther("0.4"));
  });
});
