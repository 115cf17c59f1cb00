import { existsSync } from "node:fs";

import { expect } from "chai";
import { network } from "hardhat";
import { BaseWallet, Wallet, ZeroAddress, getBytes, hexlify, id, type TypedDataField } from "ethers";

import { Channel } from "../../../src/channel/channel.js";
import { SignatureError } from "../../../src/protocol/errors.js";
import {
  eip1193Signer,
  ethersSigner,
  payloadDigests,
  signPayloads,
  tryRecover,
  verifyPayloads,
  verifySignature,
  walletSigner,
  type ChannelSigner,
  type Eip1193Provider,
} from "../../../src/protocol/signing.js";
import { MemoryChannelStore } from "../../../src/stores/store.js";
import { CHANNEL_STATE_TYPES, channelDomain, channelStateDigest, type ChannelState } from "../../../src/protocol/typedData.js";
import { secp256k1Backend, setSecp256k1Backend } from "../../../src/protocol/secp256k1.js";
import { LIMITS, NOW, POLICIES, aliceWallet, bobWallet, hashlockTransfer, run } from "./helpers.js";

const connection = await network.create();
const { ethers } = connection;
const { chainId } = await ethers.provider.getNetwork();
const CHANNEL = "0x00000000000000000000000000000000000C0FFe".toLowerCase();

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function state(nonce: bigint): ChannelState {
  return {
    nonce,
    timeout: 86_400n,
    transfersRoot: id("root"),
    assets: [{ asset: ZeroAddress, balanceAlice: 5n, balanceBob: 7n, processedAlice: 5n, processedBob: 7n, defundNonce: 1n }],
  };
}

/** Signs the state with `signer` through the SDK. */
async function signState(signer: ChannelSigner, s: ChannelState, channel = CHANNEL, chain = chainId): Promise<string> {
  const digests = payloadDigests(chain, channel, { state: s });
  const sigs = await signPayloads(signer, chain, channel, { state: s }, digests);
  return sigs.state as string;
}

/** The malleable twin of a signature: s → n − s, v flipped. Same signer, high s. */
function highS(signature: string): string {
  const bytes = getBytes(signature);
  const s = BigInt(hexlify(bytes.slice(32, 64)));
  const twin = new Uint8Array(bytes);
  twin.set(getBytes("0x" + (N - s).toString(16).padStart(64, "0")), 32);
  twin[64] = bytes[64] === 27 ? 28 : 27;
  return hexlify(twin);
}

/** A minimal EIP-1193 wallet: answers eth_signTypedData_v4 from its key, and records what it was asked. */
class MockEip1193Wallet implements Eip1193Provider {
  readonly requests: Array<{ method: string; params?: readonly unknown[] }> = [];
  constructor(private readonly wallet: BaseWallet) {}

  async request(args: { method: string; params?: readonly unknown[] }): Promise<unknown> {
    this.requests.push(args);
    if (args.method !== "eth_signTypedData_v4") throw new Error(`unsupported ${args.method}`);
    const [account, json] = args.params as [string, string];
    if (account.toLowerCase() !== this.wallet.address.toLowerCase()) throw new Error("unknown account");
    const doc = JSON.parse(json) as {
      types: Record<string, TypedDataField[]>;
      domain: Record<string, unknown>;
      message: Record<string, unknown>;
    };
    const { EIP712Domain, ...types } = doc.types;
    expect(EIP712Domain?.map((f) => f.name)).to.deep.equal(["name", "version", "chainId", "verifyingContract"]);
    return this.wallet.signTypedData(doc.domain, types, doc.message);
  }
}

describe("SDK signing (src/signing.ts)", () => {
  const digest = (s: ChannelState): string => channelStateDigest(chainId, CHANNEL, s);

  it("signs with an ethers Wallet exactly as signTypedData does, and Solidity recovers the signer", async () => {
    const harness = await ethers.deployContract("ChannelHashingHarness");
    const wallet = Wallet.createRandom();
    const s = state(3n);
    const fast = await signState(walletSigner(wallet), s);
    const viaEthers = await signState(await ethersSigner(wallet), s);
    expect(fast).to.equal(await wallet.signTypedData(channelDomain(chainId, CHANNEL), CHANNEL_STATE_TYPES, s));
    expect(viaEthers).to.equal(fast);
    await verifySignature(wallet.address, digest(s), fast);
    expect(await harness.recoverChannelStateSigner(CHANNEL, s, fast)).to.equal(wallet.address);
  });

  it("signs through a JSON-RPC ethers Signer (the node's account)", async () => {
    const [account] = await ethers.getSigners();
    if (account === undefined) throw new Error("no account");
    const signer = await ethersSigner(account);
    const s = state(4n);
    await verifySignature(account.address, digest(s), await signState(signer, s));
  });

  it("signs through an EIP-1193 wallet's eth_signTypedData_v4 with readable fields", async () => {
    const wallet = Wallet.createRandom();
    const provider = new MockEip1193Wallet(wallet);
    const s = state(5n);
    const signature = await signState(eip1193Signer(provider, wallet.address), s);
    await verifySignature(wallet.address, digest(s), signature);
    const [request] = provider.requests;
    const doc = JSON.parse((request?.params as [string, string])[1]) as { primaryType: string; message: Record<string, unknown> };
    expect(doc.primaryType).to.equal("ChannelState");
    expect(doc.message).to.deep.include({ nonce: "5", timeout: "86400", transfersRoot: id("root") });
    expect(doc.message.assets).to.deep.equal([
      { asset: ZeroAddress, balanceAlice: "5", balanceBob: "7", processedAlice: "5", processedBob: "7", defundNonce: "1" },
    ]);
  });

  it("signs through the embedded network's own EIP-1193 provider", async () => {
    const accounts = (await connection.provider.request({ method: "eth_accounts" })) as string[];
    const account = accounts[0] as string;
    const s = state(6n);
    const signature = await signState(eip1193Signer(connection.provider, account), s);
    await verifySignature(account, digest(s), signature);
  });

  it("rejects a high-s twin, a zero-address signature, bad lengths and bad v, like OpenZeppelin ECDSA", async () => {
    const harness = await ethers.deployContract("ChannelHashingHarness");
    const s = state(7n);
    const good = await signState(walletSigner(aliceWallet), s);
    const twin = highS(good);
    expect(tryRecover(digest(s), twin)).to.have.property("error").that.matches(/upper half/);
    await expect(harness.recoverChannelStateSigner(CHANNEL, s, twin)).to.be.revert(ethers);
    const zero = "0x" + "00".repeat(64) + "1b";
    const bad = [twin, zero, good.slice(0, 130), good + "00", good.slice(0, 130) + "1d", "0xzz"];
    for (const sig of bad) {
      const error = await verifySignature(aliceWallet.address, digest(s), sig).then(() => undefined, (e: unknown) => e);
      expect(error, sig).to.be.instanceOf(SignatureError);
    }
  });

  it("test_verifySignature_recoversASignatureOnce_andStillRefusesItForAnotherDigestOrSigner", async () => {
    const s = state(11n);
    const sig = await signState(walletSigner(aliceWallet), s);
    const inner = secp256k1Backend();
    let recoveries = 0;
    setSecp256k1Backend({ ...inner, name: inner.name, recover: (d, g, r) => (recoveries++, inner.recover(d, g, r)) });
    try {
      await verifySignature(aliceWallet.address, digest(s), sig);
      await verifySignature(aliceWallet.address.toLowerCase(), digest(s), sig);
      expect(recoveries).to.equal(1); // the second check of the same (signer, digest, signature) is a lookup
      const otherDigest = await verifySignature(aliceWallet.address, digest(state(12n)), sig).catch((e: unknown) => e);
      expect(otherDigest).to.be.instanceOf(SignatureError);
      const otherSigner = await verifySignature(bobWallet.address, digest(s), sig).catch((e: unknown) => e);
      expect(otherSigner).to.be.instanceOf(SignatureError);
      expect(recoveries).to.equal(3);
      await verifySignature(aliceWallet.address, digest(s), sig);
      expect(recoveries).to.equal(3);
    } finally {
      setSecp256k1Backend(inner);
    }
  });

  it("binds a signature to its chain, its channel and its content (no replay across them)", async () => {
    const s = state(8n);
    const sig = await signState(walletSigner(aliceWallet), s);
    const otherChannel = "0x00000000000000000000000000000000000c0fff";
    for (const d of [
      channelStateDigest(chainId + 1n, CHANNEL, s),
      channelStateDigest(chainId, otherChannel, s),
      channelStateDigest(chainId, CHANNEL, state(9n)),
    ]) {
      const error = await verifySignature(aliceWallet.address, d, sig).then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(SignatureError);
    }
  });

  it("verifies every payload of an update, refusing missing or extra signatures", async () => {
    const s = state(10n);
    const w = { asset: ZeroAddress, recipient: aliceWallet.address, amount: 1n, nonce: 1n, callTo: ZeroAddress, callData: "0x" };
    const digests = payloadDigests(chainId, CHANNEL, { state: s, withdraw: w });
    const sigs = await signPayloads(walletSigner(aliceWallet), chainId, CHANNEL, { state: s, withdraw: w }, digests);
    await verifyPayloads(aliceWallet.address, digests, sigs);
    const missing = await verifyPayloads(aliceWallet.address, digests, { state: sigs.state }).catch((e: unknown) => e);
    expect(missing).to.be.instanceOf(SignatureError);
    const extra = await verifyPayloads(aliceWallet.address, { state: digests.state }, sigs).catch((e: unknown) => e);
    expect(extra).to.be.instanceOf(SignatureError);
  });

  describe("ERC-1271 accounts (contracts/test/mocks/MockERC1271Wallet.sol)", () => {
    const hasMock = existsSync(new URL("../../../contracts/test/mocks/MockERC1271Wallet.sol", import.meta.url));

    it("verifies a contract account's signature on chain, and only on chain", async function () {
      if (!hasMock) this.skip();
      const owner = Wallet.createRandom();
      const account = await ethers.deployContract("MockERC1271Wallet", [owner.address]);
      const address = await account.getAddress();
      const s = state(11n);
      const signature = await signState(walletSigner(owner), s);
      await verifySignature(address, digest(s), signature, ethers.provider);
      const offline = await verifySignature(address, digest(s), signature).catch((e: unknown) => e);
      expect(offline).to.be.instanceOf(SignatureError);
      const stranger = await signState(walletSigner(Wallet.createRandom()), s);
      const refused = await verifySignature(address, digest(s), stranger, ethers.provider).catch((e: unknown) => e);
      expect(refused).to.be.instanceOf(SignatureError);
      // An EOA has no isValidSignature: a wrong ECDSA signature stays wrong with a chain connection too.
      const eoa = await verifySignature(aliceWallet.address, digest(s), stranger, ethers.provider).catch((e: unknown) => e);
      expect(eoa).to.be.instanceOf(SignatureError);
    });

    it("runs channel updates with a contract account as bob", async function () {
      if (!hasMock) this.skip();
      const owner = Wallet.createRandom();
      const account = await ethers.deployContract("MockERC1271Wallet", [owner.address]);
      const bobAddress = await account.getAddress();
      const setup = { chainId, channel: CHANNEL, alice: aliceWallet.address, bob: bobAddress, timeout: 86_400n };
      const bobSigner: ChannelSigner = { address: bobAddress, sign: walletSigner(owner).sign };
      const common = { setup, limits: LIMITS, resolvers: POLICIES, clock: () => NOW, chain: ethers.provider, trustDepositsWithoutChain: true };
      const alice = await Channel.create({ ...common, me: "alice", signer: walletSigner(aliceWallet), store: new MemoryChannelStore() });
      const bob = await Channel.create({ ...common, me: "bob", signer: bobSigner, store: new MemoryChannelStore() });
      await run(alice, bob, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 10n ** 18n, totalDepositsBob: 10n ** 18n });
      const t = { ...hashlockTransfer(1), channel: CHANNEL, responder: bobAddress };
      await run(alice, bob, { type: "create", transfer: t });
      expect(alice.state).to.deep.equal(bob.state);
      // Without a chain connection alice cannot check the contract account's signature, so she refuses it.
      const offline = await Channel.create({ ...common, chain: undefined, me: "alice", signer: walletSigner(aliceWallet), store: new MemoryChannelStore() });
      const bob2 = await Channel.create({ ...common, me: "bob", signer: bobSigner, store: new MemoryChannelStore() });
      const proposal = await bob2.propose({ type: "deposit", asset: ZeroAddress, totalDepositsAlice: 0n, totalDepositsBob: 10n ** 18n });
      const error = await offline.receive(proposal).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(SignatureError);
      expect(offline.state.nonce).to.equal(0n);
    });
  });
});
