/**
 * Eip1193Signer (src/signers/eip1193.ts) against a real provider: the embedded Hardhat network's EIP-1193
 * provider, whose accounts sign `eth_signTypedData_v4` themselves. What the wallet signs is byte-identical to
 * the SDK's own local signing (RFC 6979 signatures are deterministic) and recovers on chain; what a wallet
 * gets wrong (another key, malformed answers, refusals, another chain) is a typed error. The same signer in a
 * browser page, over an injected provider, is tested by test/ts/browser/entry.browser.test.ts.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { HDNodeWallet, Mnemonic, Signature, ZeroAddress, getBytes, hexlify, id } from "ethers";

import { Channel, type ChannelConfig } from "../../../src/channel/channel.js";
import { SignatureError } from "../../../src/protocol/errors.js";
import {
  payloadDigests,
  privateKeySigner,
  signPayloads,
  verifySignature,
  type ChannelSigner,
  type Eip1193Provider,
} from "../../../src/protocol/signing.js";
import { channelStateDigest, type ChannelState } from "../../../src/protocol/typedData.js";
import { Eip1193Signer, WalletError, normalizeWalletSignature } from "../../../src/signers/eip1193.js";
import { MemoryStore } from "../../../src/stores/memory.js";
import { LIMITS, NOW, POLICIES, SETUP, aliceWallet, hashlockTransfer, preimageOf } from "../sdk/helpers.js";
import { encodeHashlockResolution } from "../../../src/protocol/resolvers.js";
import { transferId } from "../../../src/protocol/transfers.js";

const connection = await network.create();
const { ethers } = connection;
const provider = connection.provider as Eip1193Provider;
const chainId = (await ethers.provider.getNetwork()).chainId;
const CHANNEL = "0x00000000000000000000000000000000000c0ffe";
/** Hardhat's default accounts, derived here to compare with the SDK's local signer. */
const MNEMONIC = Mnemonic.fromPhrase("test test test test test test test test test test test junk");
const key = (i: number): string => HDNodeWallet.fromMnemonic(MNEMONIC, `m/44'/60'/0'/0/${i}`).privateKey;

/** The parity test's sample state (test/ts/typedData.parity.test.ts). */
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

async function signState(signer: ChannelSigner, s: ChannelState, chain = chainId): Promise<string> {
  const digests = payloadDigests(chain, CHANNEL, { state: s });
  return (await signPayloads(signer, chain, CHANNEL, { state: s }, digests)).state as string;
}

async function failure<E extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, String(error)).to.be.instanceOf(type);
  return error as E;
}

/** The embedded network's provider, with some answers replaced (a wallet that misbehaves). */
function wallet(
  override: (method: string, params: readonly unknown[] | undefined) => Promise<unknown> | undefined,
  log: Array<{ method: string; params?: readonly unknown[] }> = [],
): Eip1193Provider {
  return {
    request: async (args) => {
      log.push(args);
      const replaced = override(args.method, args.params);
      return replaced === undefined ? provider.request(args) : replaced; // null and other odd answers too
    },
  };
}

describe("Eip1193Signer (src/signers/eip1193.ts) on the embedded network's provider", () => {
  let account: string;
  before(async () => {
    account = ((await provider.request({ method: "eth_accounts" })) as string[])[0] as string;
    expect(privateKeySigner(key(0)).address.toLowerCase()).to.equal(account.toLowerCase());
  });

  it("test_connect_picksTheWalletsAccount_andRefusesOneItLacks", async () => {
    const signer = await Eip1193Signer.connect(provider);
    expect(signer.address).to.equal(ethers.getAddress(account));
    const second = privateKeySigner(key(1)).address;
    expect((await Eip1193Signer.connect(provider, { account: second })).address).to.equal(second);
    const error = await failure(Eip1193Signer.connect(provider, { account: aliceWallet.address }), WalletError);
    expect(error.failure).to.equal("unauthorized");
    expect(error.code).to.equal("WALLET");
    // A wallet with eth_requestAccounts (a browser extension) is asked that, and only that.
    const log: Array<{ method: string }> = [];
    const extension = wallet(
      (m) => (m === "eth_requestAccounts" ? Promise.resolve([second.toLowerCase()]) : undefined),
      log,
    );
    expect((await Eip1193Signer.connect(extension)).address).to.equal(second);
    expect(log.map((r) => r.method)).to.deep.equal(["eth_requestAccounts"]);
    // Without access requests, only eth_accounts; a user refusing access is WalletError "rejected".
    log.length = 0;
    await Eip1193Signer.connect(
      wallet(() => undefined, log),
      { requestAccess: false },
    );
    expect(log.map((r) => r.method)).to.deep.equal(["eth_accounts"]);
    const refusing = wallet((m) =>
      m === "eth_requestAccounts"
        ? Promise.reject(Object.assign(new Error("User rejected"), { code: 4001 }))
        : undefined,
    );
    expect((await failure(Eip1193Signer.connect(refusing), WalletError)).failure).to.equal("rejected");
  });

  it("test_sign_isByteIdenticalToTheSdksLocalSigner_andRecoversOnChain", async () => {
    const harness = await ethers.deployContract("ChannelHashingHarness");
    const signer = await Eip1193Signer.connect(provider);
    for (const nonce of [7n, 42n]) {
      const s = sampleState(nonce);
      const viaWallet = await signState(signer, s);
      expect(viaWallet).to.equal(await signState(privateKeySigner(key(0)), s));
      expect(await harness.channelStateDigest(CHANNEL, s)).to.equal(channelStateDigest(chainId, CHANNEL, s));
      expect(await harness.recoverChannelStateSigner(CHANNEL, s, viaWallet)).to.equal(signer.address);
    }
  });

  it("test_sign_showsTheWalletReadableTypedData", async () => {
    const log: Array<{ method: string; params?: readonly unknown[] }> = [];
    const signer = await Eip1193Signer.connect(wallet(() => undefined, log));
    await signState(signer, sampleState(7n));
    const request = log.find((r) => r.method === "eth_signTypedData_v4");
    const [who, json] = request?.params as [string, string];
    expect(who).to.equal(signer.address.toLowerCase());
    const doc = JSON.parse(json) as {
      types: Record<string, Array<{ name: string }>>;
      domain: Record<string, unknown>;
      primaryType: string;
      message: Record<string, unknown>;
    };
    expect(doc.primaryType).to.equal("ChannelState");
    expect(doc.types.EIP712Domain?.map((f) => f.name)).to.deep.equal([
      "name",
      "version",
      "chainId",
      "verifyingContract",
    ]);
    expect(doc.domain).to.include({ chainId: Number(chainId) });
    expect(String(doc.domain.verifyingContract).toLowerCase()).to.equal(CHANNEL);
    expect(doc.message).to.deep.include({ nonce: "7", timeout: "86400", transfersRoot: id("transfers") });
    expect((doc.message.assets as Array<Record<string, string>>)[0]).to.deep.include({
      balanceAlice: "1000000000000000000",
      defundNonce: "1",
    });
    // The node's provider has no eth_requestAccounts (EIP-1474 -32004): the signer asked eth_accounts instead;
    // the wallet was asked which chain it is on before it was asked to sign.
    expect(log.map((r) => r.method)).to.deep.equal([
      "eth_requestAccounts",
      "eth_accounts",
      "eth_chainId",
      "eth_signTypedData_v4",
    ]);
  });

  it("test_channel_updatesSignedThroughTheWallet_equalTheLocallySignedOnes", async () => {
    const bobKey = key(0);
    const setup = { ...SETUP, chainId, bob: privateKeySigner(bobKey).address };
    const cfg = (me: "alice" | "bob", signer: ChannelSigner): ChannelConfig => ({
      setup,
      me,
      signer,
      store: new MemoryStore(),
      limits: LIMITS,
      resolvers: POLICIES,
      clock: () => NOW,
      // The channel's on-chain deposit totals as a chain reader gives them (this run deposits 10 ETH each).
      deposits: () => Promise.resolve({ alice: 10n ** 19n, bob: 10n ** 19n }),
    });
    const runAll = async (bobSigner: ChannelSigner): Promise<unknown> => {
      const alice = await Channel.create(cfg("alice", privateKeySigner(aliceWallet.privateKey)));
      const bob = await Channel.create(cfg("bob", bobSigner));
      const step = async (from: Channel, to: Channel, details: Parameters<Channel["propose"]>[0]) =>
        from.complete(await to.receive(await from.propose(details)));
      await step(alice, bob, {
        type: "deposit",
        asset: ZeroAddress,
        totalDepositsAlice: 10n ** 19n,
        totalDepositsBob: 10n ** 19n,
      });
      const t = { ...hashlockTransfer(1, "bob"), responder: setup.alice, initiator: setup.bob };
      await step(bob, alice, { type: "create", transfer: t });
      await step(alice, bob, {
        type: "resolve",
        transferId: transferId(t),
        toResponder: t.amount,
        resolverData: encodeHashlockResolution(preimageOf(1)),
      });
      return bob.latest;
    };
    const viaWallet = await runAll(await Eip1193Signer.connect(provider));
    expect(viaWallet).to.deep.equal(await runAll(privateKeySigner(bobKey)));
  });

  it("test_sign_refusesAWalletThatSignsWithAnotherKey_andChannelKeepsNothing", async () => {
    const other = privateKeySigner(key(1)).address;
    const liar = wallet((method, params) =>
      method === "eth_signTypedData_v4"
        ? provider.request({ method, params: [other.toLowerCase(), (params as string[])[1]] })
        : undefined,
    );
    const signer = await Eip1193Signer.connect(liar);
    const error = await failure(signState(signer, sampleState(7n)), SignatureError);
    expect(error.message).to.include(`recovers to ${other}`);
    expect(error.code).to.equal("SIGNATURE");
    // A Channel whose wallet misbehaves sends nothing and stores no signature.
    const store = new MemoryStore();
    const setup = { ...SETUP, chainId, alice: signer.address };
    const alice = await Channel.create({
      setup,
      me: "alice",
      signer,
      store,
      limits: LIMITS,
      resolvers: POLICIES,
      clock: () => NOW,
    });
    await failure(
      alice.propose({ type: "deposit", asset: ZeroAddress, totalDepositsAlice: 1n, totalDepositsBob: 0n }),
      SignatureError,
    );
    expect((await store.load(alice.address))?.pending).to.equal(undefined);
  });

  it("test_sign_refusesMalformedAnswers_withSignatureError", async () => {
    const good = await signState(privateKeySigner(key(0)), sampleState(7n));
    const bytes = getBytes(good);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const twin = new Uint8Array(bytes);
    twin.set(getBytes("0x" + (n - BigInt(hexlify(bytes.slice(32, 64)))).toString(16).padStart(64, "0")), 32);
    twin[64] = bytes[64] === 27 ? 28 : 27;
    const answers: unknown[] = [
      "0x1234",
      42,
      null,
      "not hex",
      hexlify(twin),
      "0x" + "00".repeat(64) + "1b",
      good + "00",
      good.slice(0, 130) + "1d",
    ];
    for (const answer of answers) {
      const signer = await Eip1193Signer.connect(
        wallet((method) => (method === "eth_signTypedData_v4" ? Promise.resolve(answer) : undefined)),
      );
      const error = await failure(signState(signer, sampleState(7n)), SignatureError);
      expect(error.code, String(answer)).to.equal("SIGNATURE");
    }
  });

  it("test_sign_normalisesV0And1AndCompactSignatures_toTheLocalSignersBytes", async () => {
    const good = await signState(privateKeySigner(key(0)), sampleState(7n));
    const bytes = getBytes(good);
    const low = new Uint8Array(bytes);
    low[64] = (bytes[64] as number) - 27;
    for (const answer of [hexlify(low), Signature.from(good).compactSerialized]) {
      const signer = await Eip1193Signer.connect(
        wallet((method) => (method === "eth_signTypedData_v4" ? Promise.resolve(answer) : undefined)),
      );
      expect(await signState(signer, sampleState(7n))).to.equal(good);
    }
    expect(normalizeWalletSignature(ZeroAddress, good)).to.equal(good);
  });

  it("test_sign_turnsRefusalsAndAnotherChainIntoWalletError", async () => {
    const cases: Array<[Eip1193Provider, string, number | undefined]> = [
      [
        wallet((m) =>
          m === "eth_signTypedData_v4"
            ? Promise.reject(Object.assign(new Error("User rejected"), { code: 4001 }))
            : undefined,
        ),
        "rejected",
        4001,
      ],
      [
        wallet((m) =>
          m === "eth_signTypedData_v4"
            ? Promise.reject(Object.assign(new Error("no such method"), { code: -32601 }))
            : undefined,
        ),
        "unsupported",
        -32601,
      ],
      [
        wallet((m) =>
          m === "eth_signTypedData_v4"
            ? Promise.reject(Object.assign(new Error("disconnected"), { code: 4900 }))
            : undefined,
        ),
        "disconnected",
        4900,
      ],
      [wallet((m) => (m === "eth_chainId" ? Promise.resolve("0x1") : undefined)), "wrong-chain", undefined],
    ];
    for (const [p, expected, rpcCode] of cases) {
      const log: string[] = [];
      const signer = await Eip1193Signer.connect(
        wallet((m, params) => (log.push(m), p.request({ method: m, ...(params ? { params } : {}) }))),
      );
      const error = await failure(signState(signer, sampleState(7n)), WalletError);
      expect(error.failure).to.equal(expected);
      expect(error.rpcCode).to.equal(rpcCode);
      if (expected === "wrong-chain") {
        expect(error.message).to.include(`switch the wallet to chain ${chainId}`);
        expect(log).to.not.include("eth_signTypedData_v4");
      }
    }
  });

  it("test_sign_smartAccount_returnsWhatItsErc1271Accepts_andRefusesOtherKeys", async () => {
    const owner = privateKeySigner(key(1)).address;
    const account = await ethers.deployContract("MockERC1271Wallet", [owner]);
    const address = await account.getAddress();
    const smartWallet = (signingKey: string): Eip1193Provider =>
      wallet((method, params) => {
        if (method === "eth_requestAccounts") return Promise.resolve([address.toLowerCase()]);
        if (method === "eth_signTypedData_v4")
          return provider.request({ method, params: [signingKey, (params as string[])[1]] });
        return undefined;
      });
    const s = sampleState(7n);
    const digest = channelStateDigest(chainId, CHANNEL, s);
    const signer = await Eip1193Signer.connect(smartWallet(owner.toLowerCase()), { chain: ethers.provider });
    expect(signer.address).to.equal(address);
    const signature = await signState(signer, s);
    await verifySignature(address, digest, signature, ethers.provider);
    // Without a chain connection the owner's signature is not the account's: refused.
    const offline = await Eip1193Signer.connect(smartWallet(owner.toLowerCase()));
    expect((await failure(signState(offline, s), SignatureError)).message).to.include(`recovers to ${owner}`);
    // A key that is not the owner's: the contract refuses it, and so does the signer.
    const stranger = privateKeySigner(key(2)).address.toLowerCase();
    const wrong = await Eip1193Signer.connect(smartWallet(stranger), { chain: ethers.provider });
    await failure(signState(wrong, s), SignatureError);
  });

  it("test_sign_refusesTypedDataThatDoesNotHashToTheDigest_beforeAskingTheWallet", async () => {
    const log: Array<{ method: string }> = [];
    const signer = await Eip1193Signer.connect(wallet(() => undefined, log));
    const s = sampleState(7n);
    const digests = payloadDigests(chainId, CHANNEL, { state: sampleState(8n) });
    await failure(signPayloads(signer, chainId, CHANNEL, { state: s }, digests), SignatureError);
    expect(log.map((r) => r.method)).to.deep.equal(["eth_requestAccounts", "eth_accounts"]);
  });
});
