import { expect } from "chai";
import { network } from "hardhat";
import { concat, getAddress, hexlify, keccak256, toBeHex, ZeroHash } from "ethers";

import { domainSeparator, finalDigest, stateDigest, stateStructHash, withdrawCommitmentDigest } from "../../../src/protocol/digests.js";
import { channelStateDigest, finalStateDigest, hashChannelStateStruct, withdrawDigest, type ChannelState } from "../../../src/protocol/typedData.js";
import {
  activeTransfer,
  encodeTransfer,
  encodeTransferBytes,
  encodeTransferWithAbiCoder,
  normalizeTransfer,
  transferId,
  transferLeaf,
  type Transfer,
} from "../../../src/protocol/transfers.js";
import { contentHash } from "../../../src/protocol/signing.js";
import { prng } from "./helpers.js";
import { hashingReady } from "../../../src/protocol/hashes.js";

// Every digest below is proven on the WebAssembly hashers the SDK switches to (src/protocol/hashes.ts).
if ((await hashingReady()) !== "wasm") throw new Error("the WebAssembly hashers did not load");

const { ethers } = await network.create();

describe("SDK fast hashing (src/digests.ts, encodeTransfer) equals the reference encoders", () => {
  const random = prng(99);
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
  const uint = (): bigint => {
    const size = [0, 1, 8, 16, 32][Math.floor(random() * 5)] as number;
    return size === 0 ? 0n : BigInt(hexlify(bytes(size)));
  };
  // A random checksummed address (from random bytes: a key pair per address made this file slow).
  const address = (): string => getAddress(hexlify(bytes(20)));
  const word = (): string => hexlify(bytes(32));
  const state = (): ChannelState => ({
    nonce: uint(),
    timeout: uint(),
    transfersRoot: word(),
    assets: Array.from({ length: Math.floor(random() * 5) }, () => ({
      asset: address(),
      balanceAlice: uint(),
      balanceBob: uint(),
      processedAlice: uint(),
      processedBob: uint(),
      defundNonce: uint(),
    })),
  });

  it("gives typedData.ts's digests for 300 random states, final states and withdraw commitments", () => {
    for (let k = 0; k < 300; k++) {
      const chainId = BigInt(1 + Math.floor(random() * 100_000));
      const channel = address();
      const s = state();
      expect(stateDigest(chainId, channel, s)).to.equal(channelStateDigest(chainId, channel, s));
      expect(stateStructHash(s)).to.equal(hashChannelStateStruct(s)); // the watcher's (src/chain/commitments.ts knownStates)
      const final = { nonce: s.nonce, assets: s.assets };
      expect(finalDigest(chainId, channel, final)).to.equal(finalStateDigest(chainId, channel, final));
      const w = { asset: address(), recipient: address(), amount: uint(), nonce: uint(), callTo: address(), callData: hexlify(bytes(Math.floor(random() * 100))) };
      expect(withdrawCommitmentDigest(chainId, channel, w)).to.equal(withdrawDigest(chainId, channel, w));
    }
  });

  it("gives ChannelHashing.sol's domain separator and digest", async () => {
    const harness = await ethers.deployContract("ChannelHashingHarness");
    const { chainId } = await ethers.provider.getNetwork();
    const channel = address();
    const s = state();
    expect(domainSeparator(chainId, channel)).to.equal(await harness.domainSeparator(channel));
    expect(stateDigest(chainId, channel, s)).to.equal(await harness.channelStateDigest(channel, s));
  });

  it("refuses values that are not what the type says", () => {
    const s = state();
    expect(() => stateDigest(1n, address(), { ...s, nonce: -1n })).to.throw(TypeError);
    expect(() => stateDigest(1n, address(), { ...s, transfersRoot: "0x12" })).to.throw(TypeError);
    const bad = { asset: "0x12", balanceAlice: 0n, balanceBob: 0n, processedAlice: 0n, processedBob: 0n, defundNonce: 1n };
    expect(() => stateDigest(1n, address(), { ...s, assets: [bad] })).to.throw(TypeError);
  });

  it("encodes 300 random transfers as AbiCoder does (abi.encode of the struct)", () => {
    for (let k = 0; k < 300; k++) {
      const t: Transfer = {
        channel: address(),
        resolver: address(),
        asset: address(),
        amount: uint(),
        initiator: address(),
        responder: address(),
        timeout: uint(),
        salt: word(),
        data: hexlify(bytes(Math.floor(random() * 130))),
      };
      expect(encodeTransfer(t)).to.equal(encodeTransferWithAbiCoder(t));
    }
    expect(() => encodeTransfer({ channel: address(), resolver: address(), asset: address(), amount: -1n, initiator: address(), responder: address(), timeout: 0n, salt: toBeHex(0, 32), data: "0x" })).to.throw(RangeError);
  });

  const randomTransfer = (): Transfer => ({
    channel: address(),
    resolver: address(),
    asset: address(),
    amount: uint(),
    initiator: address(),
    responder: address(),
    timeout: uint(),
    salt: word(),
    data: hexlify(bytes([0, 1, 31, 32, 33, 64, 65, 200][Math.floor(random() * 8)] as number)),
  });

  it("hashes 500 random transfers as keccak256 of AbiCoder's encoding (encodeTransferBytes, transferId, leaf)", () => {
    for (let k = 0; k < 500; k++) {
      const t = randomTransfer();
      const reference = encodeTransferWithAbiCoder(t);
      expect(hexlify(encodeTransferBytes(t))).to.equal(reference);
      expect(transferId(t)).to.equal(keccak256(reference));
      const item = activeTransfer(t);
      expect(item.id).to.equal(keccak256(encodeTransferWithAbiCoder(normalizeTransfer(t))));
      expect(item.leaf).to.equal(transferLeaf(item.id));
      expect(item.leaf).to.equal(keccak256(item.id));
    }
  });

  it("refuses a transfer field that is not what the type says, as the hex encoder did", () => {
    const t = randomTransfer();
    expect(() => encodeTransferBytes({ ...t, amount: 1n << 256n })).to.throw(RangeError);
    expect(() => encodeTransferBytes({ ...t, timeout: -1n })).to.throw(RangeError);
    expect(() => encodeTransferBytes({ ...t, asset: "0x12" })).to.throw(TypeError);
    expect(() => encodeTransferBytes({ ...t, salt: "0x12" })).to.throw(TypeError);
    expect(() => encodeTransferBytes({ ...t, data: "0x123" })).to.throw(TypeError);
    expect(() => encodeTransferBytes({ ...t, data: "0xzz" })).to.throw(TypeError);
  });

  it("hashes an update's digests in a row, zero words for the absent ones (contentHash)", () => {
    for (let k = 0; k < 200; k++) {
      const d = { state: random() < 0.7 ? word() : undefined, withdraw: random() < 0.3 ? word() : undefined, final: random() < 0.3 ? word() : undefined };
      const present = Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined));
      expect(contentHash(present)).to.equal(keccak256(concat([d.state ?? ZeroHash, d.withdraw ?? ZeroHash, d.final ?? ZeroHash])));
    }
  });
});
