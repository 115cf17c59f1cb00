import { expect } from "chai";
import { network } from "hardhat";
import { TypedDataEncoder, Wallet, ZeroAddress, id } from "ethers";

import {
  CHANNEL_STATE_TYPES,
  EXIT_AUTHORIZATION_TYPES,
  FINAL_STATE_TYPES,
  TRANSFER_RESOLUTION_TYPES,
  WITHDRAW_TYPES,
  channelDomain,
  channelStateDigest,
  encodeType,
  finalStateDigest,
  hashChannelStateStruct,
  withdrawDigest,
  type ChannelState,
} from "../../src/protocol/typedData.js";
import { hashingReady } from "../../src/protocol/hashes.js";

// Every digest below is proven on the WebAssembly hashers the SDK switches to (src/protocol/hashes.ts).
if ((await hashingReady()) !== "wasm") throw new Error("the WebAssembly hashers did not load");

const { ethers } = await network.create();

const CHANNEL = "0x00000000000000000000000000000000000c0ffe";

function sampleState(nonce: bigint): ChannelState {
  return {
    nonce,
    timeout: 86_400n,
    transfersRoot: id("transfers"),
    assets: [
      {
        asset: ZeroAddress,
        balanceAlice: 10n ** 18n,
        balanceBob: 2n * 10n ** 18n,
        processedAlice: 10n ** 18n,
        processedBob: 2n * 10n ** 18n,
        defundNonce: 1n,
      },
      {
        asset: "0x000000000000000000000000000000000000dEaD",
        balanceAlice: 5n,
        balanceBob: 0n,
        processedAlice: 5n,
        processedBob: 0n,
        defundNonce: 3n,
      },
    ],
  };
}

describe("typed data parity (src/typedData.ts ⇔ ChannelHashing.sol)", () => {
  it("uses the type strings the contracts hash", () => {
    expect(encodeType(CHANNEL_STATE_TYPES, "ChannelState")).to.equal(
      "ChannelState(uint256 nonce,uint256 timeout,bytes32 transfersRoot,AssetState[] assets)" +
        "AssetState(address asset,uint256 balanceAlice,uint256 balanceBob,uint256 processedAlice,uint256 processedBob,uint256 defundNonce)",
    );
    expect(encodeType(FINAL_STATE_TYPES, "FinalState")).to.match(/^FinalState\(uint256 nonce,AssetState\[\] assets\)AssetState\(/);
    expect(encodeType(WITHDRAW_TYPES, "WithdrawCommitment")).to.equal(
      "WithdrawCommitment(address asset,address recipient,uint256 amount,uint256 nonce,address callTo,bytes callData)",
    );
  });

  it("computes the same domain separator and state hashes as Solidity", async () => {
    const harness = await ethers.deployContract("ChannelHashingHarness");
    const { chainId } = await ethers.provider.getNetwork();
    const state = sampleState(42n);
    expect(await harness.domainSeparator(CHANNEL)).to.equal(TypedDataEncoder.hashDomain(channelDomain(chainId, CHANNEL)));
    expect(await harness.hashChannelState(state)).to.equal(hashChannelStateStruct(state));
    expect(await harness.channelStateDigest(CHANNEL, state)).to.equal(channelStateDigest(chainId, CHANNEL, state));
    const final = { nonce: 43n, assets: state.assets };
    expect(await harness.finalStateDigest(CHANNEL, final)).to.equal(finalStateDigest(chainId, CHANNEL, final));
    const withdraw = {
      asset: ZeroAddress,
      recipient: "0x000000000000000000000000000000000000bEEF",
      amount: 123n,
      nonce: 9n,
      callTo: ZeroAddress,
      callData: "0x1234",
    };
    expect(await harness.withdrawDigest(CHANNEL, withdraw)).to.equal(withdrawDigest(chainId, CHANNEL, withdraw));
    const domain = channelDomain(chainId, CHANNEL);
    const resolution = { transferId: id("transfer"), resolverData: "0xabcdef" };
    expect(await harness.transferResolutionDigest(CHANNEL, resolution.transferId, resolution.resolverData)).to.equal(
      TypedDataEncoder.hash(domain, TRANSFER_RESOLUTION_TYPES, resolution),
    );
    const exit = { asset: ZeroAddress, recipient: "0x000000000000000000000000000000000000beef", nonce: 3n };
    expect(await harness.exitDigest(CHANNEL, exit.asset, exit.recipient, exit.nonce)).to.equal(
      TypedDataEncoder.hash(domain, EXIT_AUTHORIZATION_TYPES, exit),
    );
  });

  it("a state signed in TypeScript recovers to its signer in Solidity", async () => {
    const harness = await ethers.deployContract("ChannelHashingHarness");
    const { chainId } = await ethers.provider.getNetwork();
    const signer = Wallet.createRandom();
    const state = sampleState(7n);
    const signature = await signer.signTypedData(channelDomain(chainId, CHANNEL), CHANNEL_STATE_TYPES, state);
    expect(await harness.recoverChannelStateSigner(CHANNEL, state, signature)).to.equal(signer.address);
    // The same signature does not recover to the signer for another nonce or another channel.
    expect(await harness.recoverChannelStateSigner(CHANNEL, sampleState(8n), signature)).to.not.equal(signer.address);
    const other = "0x00000000000000000000000000000000000c0fff";
    expect(await harness.recoverChannelStateSigner(other, state, signature)).to.not.equal(signer.address);
  });
});
