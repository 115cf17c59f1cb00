/**
 * The secp256k1 backends (src/protocol/secp256k1.ts, src/crypto/native.ts) against ethers v6:
 * - byte-identical signatures (RFC 6979, low s) and identical signer addresses for 10,000 random keys and
 *   digests, and the same recovered address (or the same refusal) for 500 random, unsigned (r, s, v);
 * - every bad input rejected with the same CryptoInputError by both backends;
 * - the automatic choice, the forced choices and the fallback where no prebuilt binary loads.
 */
import { createHash } from "node:crypto";

import { expect } from "chai";
import { SigningKey, Wallet, computeAddress, dataSlice, getAddress, getBytes, hexlify, keccak256, recoverAddress } from "ethers";

import { createRequire } from "node:module";

import {
  SECP256K1_ENV,
  cryptoBackends,
  loadNativeSecp256k1,
  nativeBackend as packageApiBackend,
  nativeSecp256k1,
  selectSecp256k1Backend,
  type Secp256k1Bindings,
} from "../../../src/crypto/index.js";
import { CryptoInputError, SignatureError } from "../../../src/protocol/errors.js";
import {
  jsSecp256k1,
  privateKeyAddress,
  publicKeyAddress,
  recoverDigestSigner,
  secp256k1Backend,
  setSecp256k1Backend,
  signDigest,
  type Secp256k1Backend,
} from "../../../src/protocol/secp256k1.js";
import { privateKeySigner, tryRecover, verifySignature, walletSigner } from "../../../src/protocol/signing.js";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;
const PREBUILT_PLATFORMS = ["linux-x64", "darwin-arm64", "win32-x64"];

/** 32 pseudo-random bytes, reproducible from a label and an index. */
function random32(label: string, i: number): Uint8Array {
  return new Uint8Array(createHash("sha256").update(`${label}:${i}`).digest());
}

const word = (x: bigint): string => x.toString(16).padStart(64, "0");

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
  }
  return result;
}

/** The smallest r ≥ 1 that is not the x of a curve point (x³ + 7 is no square mod p): nothing recovers. */
function rWithoutPoint(): bigint {
  for (let x = 1n; ; x++) if (modPow((x ** 3n + 7n) % P, (P - 1n) / 2n, P) === P - 1n) return x;
}

const native = loadNativeSecp256k1();
const nativeBackend: Secp256k1Backend | undefined = "backend" in native ? native.backend : undefined;
const backends: Array<[string, Secp256k1Backend | undefined]> = [
  ["js", jsSecp256k1],
  ["native", nativeBackend],
];

describe("secp256k1 backends (src/protocol/secp256k1.ts, src/crypto)", function () {
  this.timeout(120_000);
  let before: Secp256k1Backend;
  beforeEach(() => {
    before = secp256k1Backend();
  });
  afterEach(() => setSecp256k1Backend(before));

  it("test_nativeBackend_loadsOnThePrebuiltPlatforms", function () {
    const platform = `${process.platform}-${process.arch}`;
    if (!PREBUILT_PLATFORMS.includes(platform)) this.skip();
    expect(native, "error" in native ? native.error : "").to.have.property("backend");
  });

  it("test_nativeSign_isByteIdenticalToEthers_for10000RandomKeysAndDigests", function () {
    if (nativeBackend === undefined) this.skip();
    setSecp256k1Backend(nativeBackend);
    for (let i = 0; i < 10_000; i++) {
      const key = random32("key", i);
      const digest = i === 0 ? new Uint8Array(32) : random32("digest", i);
      const reference = new SigningKey(key).sign(digest).serialized;
      const signature = signDigest(key, digest);
      if (signature !== reference) expect.fail(`key ${hexlify(key)}, digest ${hexlify(digest)}: ${signature} ≠ ${reference}`);
      const signer = recoverDigestSigner(digest, signature);
      if (signer !== computeAddress(new SigningKey(key).publicKey)) expect.fail(`key ${hexlify(key)}: recovered ${signer}`);
    }
  });

  it("test_addonBackend_givesThePackageApisResults_andGuardsTheCCode", function () {
    if (nativeBackend === undefined) this.skip();
    const bindings = createRequire(import.meta.url)("secp256k1/bindings.js") as Secp256k1Bindings;
    const viaPackage = packageApiBackend(bindings);
    for (let i = 0; i < 300; i++) {
      const key = random32("addon key", i);
      const digest = random32("addon digest", i);
      const a = nativeBackend.sign(digest, key);
      const b = viaPackage.sign(digest, key);
      expect(hexlify(a.signature)).to.equal(hexlify(b.signature));
      expect(a.recoveryId).to.equal(b.recoveryId);
      const wrongId = 1 - a.recoveryId;
      expect(hexlify(nativeBackend.recover(digest, a.signature, wrongId) ?? "0x")).to.equal(hexlify(viaPackage.recover(digest, b.signature, wrongId) ?? "0x"));
      expect(hexlify(nativeBackend.recover(digest, a.signature, a.recoveryId) as Uint8Array)).to.equal(hexlify(nativeBackend.publicKey(key)));
      expect(hexlify(nativeBackend.publicKey(key))).to.equal(hexlify(viaPackage.publicKey(key)));
    }
    // Called directly (not through secp256k1.ts), a wrong type or length is a typed error, never a read past a buffer.
    const key = random32("addon key", 0);
    const sig = nativeBackend.sign(random32("addon digest", 0), key).signature;
    const refuses = (run: () => unknown, input: string): void => {
      expect(run).to.throw(CryptoInputError);
      try {
        run();
      } catch (error) {
        expect((error as CryptoInputError).input).to.equal(input);
      }
    };
    refuses(() => nativeBackend.sign(new Uint8Array(31), key), "digest");
    refuses(() => nativeBackend.sign([...key] as unknown as Uint8Array, key), "digest");
    refuses(() => nativeBackend.sign(key, new Uint8Array(33)), "privateKey");
    refuses(() => nativeBackend.sign(key, new Uint8Array(32)), "privateKey"); // zero key: libsecp256k1 refuses it
    refuses(() => nativeBackend.recover(key, sig.subarray(0, 63), 0), "signature");
    refuses(() => nativeBackend.recover(new Uint8Array(33), sig, 0), "digest");
    refuses(() => nativeBackend.recover(key, sig, 2), "recoveryId");
    refuses(() => nativeBackend.publicKey("0x01" as unknown as Uint8Array), "privateKey");
    expect(nativeBackend.recover(key, new Uint8Array(64), 0)).to.equal(null); // r = s = 0
  });

  it("test_publicKeyAddress_memo_givesTheHashedAddress_evenForKeysSharingTheirFirstBytes", () => {
    // Two byte strings that share the memo's tag (the first four bytes of x) but differ later: each gets its own
    // address (keccak256 of x ‖ y), before and after the other took the memo's slot.
    const a = new Uint8Array(65).fill(7);
    a[0] = 4;
    const b = new Uint8Array(a);
    b[40] = 8;
    const reference = (k: Uint8Array): string => getAddress(dataSlice(keccak256(k.subarray(1)), 12)); // not on the curve: no computeAddress
    expect(publicKeyAddress(a)).to.equal(reference(a));
    expect(publicKeyAddress(b)).to.equal(reference(b));
    expect(publicKeyAddress(a)).to.equal(reference(a));
    expect(publicKeyAddress(a)).to.equal(reference(a)); // a hit
    const c = new Uint8Array(a);
    expect(publicKeyAddress(c)).to.equal(reference(a));
    c[64] = 9; // the caller's array changes after the call: the memo kept its own copy
    expect(publicKeyAddress(a)).to.equal(reference(a));
    expect(publicKeyAddress(c)).to.equal(reference(c));
    expect(() => publicKeyAddress(a.subarray(1))).to.throw(CryptoInputError);
  });

  it("test_nativeSecp256k1_isTheBackendTheSelectionInstalls", function () {
    if (nativeBackend === undefined || process.env[SECP256K1_ENV] === "js") this.skip();
    const shared = nativeSecp256k1();
    expect(nativeSecp256k1()).to.equal(shared);
    expect(selectSecp256k1Backend("native")).to.equal("native");
    expect(secp256k1Backend()).to.equal("backend" in shared ? shared.backend : undefined);
  });

  it("test_jsBackend_matchesEthersSignAndRecover", () => {
    setSecp256k1Backend(jsSecp256k1);
    for (let i = 0; i < 100; i++) {
      const key = random32("js key", i);
      const digest = random32("js digest", i);
      const signature = signDigest(key, digest);
      expect(signature).to.equal(new SigningKey(key).sign(digest).serialized);
      expect(recoverDigestSigner(digest, signature)).to.equal(recoverAddress(digest, signature));
    }
  });

  it("test_bothBackends_recoverTheSameAddressAsEthers_fromRandomUnsignedSignatures", function () {
    if (nativeBackend === undefined) this.skip();
    let recovered = 0;
    for (let i = 0; i < 500; i++) {
      const r = BigInt(hexlify(random32("r", i))) % N;
      const s = BigInt(hexlify(random32("s", i))) % (N >> 1n);
      if (r === 0n || s === 0n) continue;
      const signature = "0x" + word(r) + word(s) + (27 + (i % 2)).toString(16);
      const digest = random32("unsigned digest", i);
      let reference: string | undefined;
      try {
        reference = recoverAddress(digest, signature);
      } catch {
        reference = undefined;
      }
      for (const backend of [jsSecp256k1, nativeBackend]) {
        setSecp256k1Backend(backend);
        const result = tryRecover(hexlify(digest), signature);
        expect("signer" in result ? result.signer : undefined, `${backend.name} ${signature}`).to.equal(reference);
      }
      if (reference !== undefined) recovered++;
    }
    expect(recovered).to.be.above(200); // about half of random r are the x of a point
  });

  for (const [name, backend] of backends) {
    describe(`bad input on the ${name} backend`, () => {
      const key = getBytes(random32("edge key", 0));
      const wallet = new Wallet(hexlify(key));
      const digest = hexlify(random32("edge digest", 0));
      beforeEach(function () {
        if (backend === undefined) this.skip();
        setSecp256k1Backend(backend);
      });

      const rejects = (run: () => unknown, input: string, reason: RegExp): void => {
        let error: unknown;
        try {
          run();
        } catch (e) {
          error = e;
        }
        expect(error).to.be.instanceOf(CryptoInputError);
        expect((error as CryptoInputError).input).to.equal(input);
        expect((error as CryptoInputError).code).to.equal("CRYPTO_INPUT");
        expect((error as CryptoInputError).message).to.match(reason);
      };

      it("test_recover_rejectsHighS_withCryptoInputError", () => {
        const good = getBytes(signDigest(key, digest));
        const s = BigInt(hexlify(good.subarray(32, 64)));
        const twin = new Uint8Array(good);
        twin.set(getBytes("0x" + word(N - s)), 32);
        twin[64] = good[64] === 27 ? 28 : 27;
        rejects(() => recoverDigestSigner(digest, twin), "signature", /upper half/);
        rejects(() => recoverDigestSigner(digest, "0x" + word(1n) + word((N >> 1n) + 1n) + "1b"), "signature", /upper half/);
        expect(recoverDigestSigner(digest, "0x" + word(1n) + word(N >> 1n) + "1b")).to.match(/^0x[0-9a-fA-F]{40}$/);
      });

      it("test_recover_rejectsRAndSOutOfRange", () => {
        for (const [r, s] of [[0n, 1n], [N, 1n], [N + 1n, 1n], [1n, 0n], [1n, N]] as const) {
          rejects(() => recoverDigestSigner(digest, "0x" + word(r) + word(s) + "1b"), "signature", /out of range|zero/);
        }
      });

      it("test_recover_rejectsRecoveryIdOutOfRange", () => {
        const good = signDigest(key, digest);
        for (const v of [0, 1, 2, 26, 29, 255]) {
          rejects(() => recoverDigestSigner(digest, good.slice(0, 130) + v.toString(16).padStart(2, "0")), "recoveryId", /v = /);
        }
      });

      it("test_recover_rejectsWrongSignatureLengths", () => {
        const good = signDigest(key, digest);
        for (const bad of ["0x", good.slice(0, 130), good + "00", "0x" + "11".repeat(64)]) {
          rejects(() => recoverDigestSigner(digest, bad), "signature", /length/);
        }
        rejects(() => recoverDigestSigner(digest, "0xzz"), "signature", /hex/);
        rejects(() => recoverDigestSigner(digest, good.slice(0, 131)), "signature", /hex/);
      });

      it("test_signAndRecover_rejectDigestsThatAreNot32Bytes", () => {
        const good = signDigest(key, digest);
        for (const bad of ["0x", digest.slice(0, 64), digest + "00", "0x" + "00".repeat(64), new Uint8Array(31)]) {
          rejects(() => signDigest(key, bad), "digest", /length/);
          rejects(() => recoverDigestSigner(bad, good), "digest", /length/);
        }
        rejects(() => signDigest(key, digest.slice(2)), "digest", /hex/);
      });

      it("test_sign_rejectsPrivateKeysOutsideTheGroup", () => {
        for (const bad of ["0x" + word(0n), "0x" + word(N), "0x" + word(N + 5n), "0x" + "11".repeat(31), new Uint8Array(33)]) {
          rejects(() => signDigest(bad, digest), "privateKey", /length|not in/);
        }
        expect(signDigest("0x" + word(N - 1n), digest)).to.equal(new SigningKey("0x" + word(N - 1n)).sign(digest).serialized);
        expect(signDigest("0x" + word(1n), digest)).to.equal(new SigningKey("0x" + word(1n)).sign(digest).serialized);
      });

      it("test_recover_rejectsAnRThatIsNoCurvePoint", () => {
        rejects(() => recoverDigestSigner(digest, "0x" + word(rWithoutPoint()) + word(1n) + "1b"), "signature", /no public key/);
      });

      it("test_zeroDigest_signsAndRecoversLikeEthers", () => {
        const zero = "0x" + "00".repeat(32);
        const signature = signDigest(key, zero);
        expect(signature).to.equal(new SigningKey(key).sign(zero).serialized);
        expect(recoverDigestSigner(zero, signature)).to.equal(wallet.address);
      });

      it("test_signers_signThroughTheBackend_andVerifyAsSignatureError", async () => {
        const request = { domain: {}, types: {}, primaryType: "X", message: {}, digest };
        const fromWallet = await walletSigner(wallet).sign(request);
        const raw = privateKeySigner(key);
        expect(raw.address).to.equal(wallet.address);
        expect(privateKeyAddress(key)).to.equal(wallet.address);
        expect(await raw.sign(request)).to.equal(fromWallet);
        expect(fromWallet).to.equal(wallet.signingKey.sign(digest).serialized);
        await verifySignature(wallet.address, digest, fromWallet);
        const wrong = await verifySignature(wallet.address, digest, fromWallet.slice(0, 130) + "1d").catch((e: unknown) => e);
        expect(wrong).to.be.instanceOf(SignatureError);
      });
    });
  }

  describe("choosing the backend (src/crypto/index.ts)", () => {
    let env: string | undefined;
    beforeEach(() => {
      env = process.env[SECP256K1_ENV];
    });
    afterEach(() => {
      if (env === undefined) delete process.env[SECP256K1_ENV];
      else process.env[SECP256K1_ENV] = env;
    });

    it("test_selectSecp256k1Backend_prefersNative_andCanBeForced", function () {
      delete process.env[SECP256K1_ENV];
      if (nativeBackend === undefined) this.skip();
      expect(selectSecp256k1Backend()).to.equal("native");
      expect(cryptoBackends().secp256k1).to.equal("native");
      expect(selectSecp256k1Backend("js")).to.equal("js");
      expect(secp256k1Backend()).to.equal(jsSecp256k1);
      process.env[SECP256K1_ENV] = "js";
      expect(selectSecp256k1Backend()).to.equal("js");
      process.env[SECP256K1_ENV] = "native";
      expect(selectSecp256k1Backend()).to.equal("native");
      expect(selectSecp256k1Backend("js")).to.equal("js"); // an explicit choice wins over the environment
    });

    it("test_selectSecp256k1Backend_fallsBackToJsWithOneWarning_whereNoBinaryLoads", async () => {
      delete process.env[SECP256K1_ENV];
      const noBinary = loadNativeSecp256k1(() => {
        throw new Error("No native build was found for platform=plan9 arch=mips\nmore lines");
      });
      expect(noBinary).to.deep.equal({ error: "libsecp256k1 bindings did not load (No native build was found for platform=plan9 arch=mips)" });
      const warnings: Error[] = [];
      const listen = (w: Error): void => void warnings.push(w);
      process.on("warning", listen);
      try {
        expect(selectSecp256k1Backend("auto", () => noBinary)).to.equal("js");
        expect(selectSecp256k1Backend(undefined, () => noBinary)).to.equal("js");
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off("warning", listen);
      }
      expect(secp256k1Backend()).to.equal(jsSecp256k1);
      expect(warnings.map((w) => (w as Error & { code?: string }).code)).to.deep.equal(["SWITCHYARD_SECP256K1_JS"]);
      expect(warnings[0]?.message).to.not.include("\n");
      expect(() => selectSecp256k1Backend("native", () => noBinary)).to.throw(CryptoInputError, /native secp256k1 was required/);
      expect(loadNativeSecp256k1(() => ({ ecdsaSign: 1 }))).to.have.property("error");
    });

    it("test_selectSecp256k1Backend_rejectsAnUnknownChoice", () => {
      process.env[SECP256K1_ENV] = "fast";
      expect(() => selectSecp256k1Backend()).to.throw(CryptoInputError, /SWITCHYARD_SECP256K1 is "fast"/);
      expect(() => selectSecp256k1Backend("gpu" as "js")).to.throw(CryptoInputError, /expected auto, native or js/);
    });

    it("test_nodeEntry_selectsTheBackendWhenItLoads", async function () {
      if (nativeBackend === undefined || process.env[SECP256K1_ENV] === "js") this.skip();
      setSecp256k1Backend(jsSecp256k1);
      const entry = (await import(`../../../src/index.js?fresh=${Date.now()}`)) as { cryptoBackends(): { secp256k1: string } };
      expect(entry.cryptoBackends().secp256k1).to.equal("native");
    });
  });
});
