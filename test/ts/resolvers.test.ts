import { expect } from "chai";
import { network } from "hardhat";
import { TypedDataEncoder, Wallet, ZeroHash, getBytes, hexlify, id, randomBytes, sha256 } from "ethers";

import {
  SIGNED_TRANSFER_DOMAIN_NAME,
  SIGNED_TRANSFER_DOMAIN_VERSION,
  SIGNED_TRANSFER_OUTCOME_TYPES,
  decodeHashlockResolution,
  decodeHashlockTerms,
  decodeSignedTransferResolution,
  decodeSignedTransferTerms,
  encodeHashlockResolution,
  encodeHashlockResolutionWithAbiCoder,
  encodeHashlockTerms,
  encodeHashlockTermsWithAbiCoder,
  encodeSignedTransferResolution,
  encodeSignedTransferTerms,
  hashlockLock,
  randomPreimage,
  signTransferOutcome,
  signedTransferDomain,
  transferOutcomeDigest,
  type TransferOutcome,
} from "../../src/protocol/resolvers.js";
import { hashingReady } from "../../src/protocol/hashes.js";

// Every digest below is proven on the WebAssembly hashers the SDK switches to (src/protocol/hashes.ts).
if ((await hashingReady()) !== "wasm") throw new Error("the WebAssembly hashers did not load");

const { ethers } = await network.create();

const AMOUNT = 10n ** 18n;
const TRANSFER_ID = id("transfer 1");

async function latestTimestamp(): Promise<bigint> {
  const block = await ethers.provider.getBlock("latest");
  if (block === null) throw new Error("no latest block");
  return BigInt(block.timestamp);
}

describe("resolver helpers (src/resolvers.ts ⇔ resolvers on chain)", () => {
  describe("SignedTransferResolver", () => {
    async function deploy() {
      const resolver = await ethers.deployContract("SignedTransferResolver");
      const address = await resolver.getAddress();
      const { chainId } = await ethers.provider.getNetwork();
      const signer = Wallet.createRandom();
      return { resolver, address, chainId, signer };
    }

    function outcome(toResponder: bigint, outcomeData = "0xc0ffee"): TransferOutcome {
      return { transferId: TRANSFER_ID, toResponder, outcomeData };
    }

    it("uses the type string, domain and digest the contract hashes", async () => {
      const { resolver, address, chainId } = await deploy();
      expect(TypedDataEncoder.from(SIGNED_TRANSFER_OUTCOME_TYPES).encodeType("TransferOutcome")).to.equal(
        "TransferOutcome(bytes32 transferId,uint256 toResponder,bytes outcomeData)",
      );
      expect(await resolver.TRANSFER_OUTCOME_TYPEHASH()).to.equal(
        id("TransferOutcome(bytes32 transferId,uint256 toResponder,bytes outcomeData)"),
      );
      expect(await resolver.domainSeparator()).to.equal(
        TypedDataEncoder.hashDomain(signedTransferDomain(chainId, address)),
      );
      const o = outcome(123n);
      expect(await resolver.outcomeDigest(o.transferId, o.toResponder, o.outcomeData)).to.equal(
        transferOutcomeDigest(chainId, address, o),
      );
      const domain = await resolver.eip712Domain();
      expect(domain.name).to.equal(SIGNED_TRANSFER_DOMAIN_NAME);
      expect(domain.version).to.equal(SIGNED_TRANSFER_DOMAIN_VERSION);
      expect(domain.chainId).to.equal(chainId);
      expect(domain.verifyingContract).to.equal(address);
    });

    it("accepts an outcome signed in TypeScript by a wallet and by a JSON-RPC signer", async () => {
      const { resolver, address, chainId, signer } = await deploy();
      const o = outcome(AMOUNT / 4n);
      const signature = await signTransferOutcome(signer, chainId, address, o);
      const evidence = encodeSignedTransferResolution({ ...o, signature });
      const terms = encodeSignedTransferTerms(signer.address);
      await resolver.validate(terms, AMOUNT);
      expect(await resolver.resolve(TRANSFER_ID, terms, AMOUNT, evidence)).to.equal(AMOUNT / 4n);

      const [rpcSigner] = await ethers.getSigners();
      if (rpcSigner === undefined) throw new Error("no signer");
      const rpcSignature = await signTransferOutcome(rpcSigner, chainId, address, o);
      const rpcTerms = encodeSignedTransferTerms(rpcSigner.address);
      const rpcEvidence = encodeSignedTransferResolution({ ...o, signature: rpcSignature });
      expect(await resolver.resolve(TRANSFER_ID, rpcTerms, AMOUNT, rpcEvidence)).to.equal(AMOUNT / 4n);
    });

    it("accepts an outcome for an ERC-1271 account signed by its owner", async () => {
      const { resolver, address, chainId, signer } = await deploy();
      const wallet = await ethers.deployContract("MockERC1271Wallet", [signer.address]);
      const o = outcome(AMOUNT);
      const signature = await signTransferOutcome(signer, chainId, address, o);
      const terms = encodeSignedTransferTerms(await wallet.getAddress());
      const evidence = encodeSignedTransferResolution({ ...o, signature });
      expect(await resolver.resolve(TRANSFER_ID, terms, AMOUNT, evidence)).to.equal(AMOUNT);
    });

    it("rejects tampered outcomes, other transfers, other resolvers and other signers", async () => {
      const { resolver, address, chainId, signer } = await deploy();
      const o = outcome(AMOUNT / 2n);
      const signature = await signTransferOutcome(signer, chainId, address, o);
      const terms = encodeSignedTransferTerms(signer.address);
      const bad = (evidence: string, transferId = TRANSFER_ID, termsUsed = terms, on = resolver) =>
        expect(on.resolve(transferId, termsUsed, AMOUNT, evidence)).to.be.revertedWithCustomError(
          resolver,
          "InvalidOutcomeSignature",
        );

      await bad(encodeSignedTransferResolution({ ...o, toResponder: AMOUNT, signature }));
      await bad(encodeSignedTransferResolution({ ...o, outcomeData: "0xc0ffef", signature }));
      await bad(encodeSignedTransferResolution({ ...o, signature }), id("transfer 2"));
      await bad(
        encodeSignedTransferResolution({ ...o, signature }),
        TRANSFER_ID,
        encodeSignedTransferTerms(Wallet.createRandom().address),
      );
      const other = await ethers.deployContract("SignedTransferResolver");
      await bad(encodeSignedTransferResolution({ ...o, signature }), TRANSFER_ID, terms, other);
      // A signature for another chain id fails too.
      const otherChain = await signTransferOutcome(signer, chainId + 1n, address, o);
      await bad(encodeSignedTransferResolution({ ...o, signature: otherChain }));
    });

    it("rejects a signed outcome above the locked amount", async () => {
      const { resolver, address, chainId, signer } = await deploy();
      const o = outcome(AMOUNT + 1n);
      const signature = await signTransferOutcome(signer, chainId, address, o);
      await expect(
        resolver.resolve(
          TRANSFER_ID,
          encodeSignedTransferTerms(signer.address),
          AMOUNT,
          encodeSignedTransferResolution({ ...o, signature }),
        ),
      )
        .to.be.revertedWithCustomError(resolver, "OutcomeExceedsAmount")
        .withArgs(AMOUNT + 1n, AMOUNT);
    });

    it("round-trips terms and evidence", async () => {
      const signer = Wallet.createRandom();
      expect(decodeSignedTransferTerms(encodeSignedTransferTerms(signer.address))).to.equal(signer.address);
      const resolution = { toResponder: 7n, outcomeData: "0x1234", signature: "0x" + "ab".repeat(65) };
      expect(decodeSignedTransferResolution(encodeSignedTransferResolution(resolution))).to.deep.equal(resolution);
    });
  });

  describe("HashlockResolver", () => {
    it("computes the same SHA-256 lock as the contract (Lightning-compatible)", async () => {
      const resolver = await ethers.deployContract("HashlockResolver");
      // SHA-256 of 32 zero bytes: the published test vector.
      expect(hashlockLock(ZeroHash)).to.equal("0x66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925");
      const preimage = randomPreimage();
      expect(hashlockLock(preimage)).to.equal(sha256(preimage));
      expect(await resolver.lockHashOf(preimage)).to.equal(hashlockLock(preimage));
    });

    it("resolves a hashlock made in TypeScript and rejects a wrong preimage or an expired lock", async () => {
      const resolver = await ethers.deployContract("HashlockResolver");
      const preimage = randomPreimage();
      const now = await latestTimestamp();
      const terms = encodeHashlockTerms({ lockHash: hashlockLock(preimage), expiry: now + 3600n });
      await resolver.validate(terms, AMOUNT);
      expect(await resolver.resolve(TRANSFER_ID, terms, AMOUNT, encodeHashlockResolution(preimage))).to.equal(AMOUNT);

      await expect(
        resolver.resolve(TRANSFER_ID, terms, AMOUNT, encodeHashlockResolution(randomPreimage())),
      ).to.be.revertedWithCustomError(resolver, "InvalidPreimage");

      const expired = encodeHashlockTerms({ lockHash: hashlockLock(preimage), expiry: now - 1n });
      await expect(
        resolver.resolve(TRANSFER_ID, expired, AMOUNT, encodeHashlockResolution(preimage)),
      ).to.be.revertedWithCustomError(resolver, "HashlockExpired");
    });

    it("round-trips terms and evidence and refuses malformed input", () => {
      const preimage = randomPreimage();
      const terms = { lockHash: hashlockLock(preimage), expiry: 1_900_000_000n };
      expect(decodeHashlockTerms(encodeHashlockTerms(terms))).to.deep.equal(terms);
      expect(decodeHashlockResolution(encodeHashlockResolution(preimage))).to.equal(preimage);
      expect(() => hashlockLock("0x1234")).to.throw(/32-byte/);
      expect(() => encodeHashlockResolution("0x" + "00".repeat(33))).to.throw(/32-byte/);
      expect(() => decodeHashlockTerms("0x" + "00".repeat(32))).to.throw(/64-byte/);
    });

    it("encodes terms and evidence byte for byte as ethers' AbiCoder, and decodes them back", () => {
      const max = (1n << 256n) - 1n;
      const expiries = [0n, 1n, 1_900_000_000n, max, max - 1n, 1n << 255n];
      for (let i = 0; i < 500; i++) expiries.push(BigInt(hexlify(randomBytes(1 + (i % 32)))));
      for (const [i, expiry] of expiries.entries()) {
        const raw = hashlockLock(randomPreimage());
        const lockHash = i % 2 === 0 ? raw : "0x" + raw.slice(2).toUpperCase();
        const encoded = encodeHashlockTerms({ lockHash, expiry });
        expect(encoded).to.equal(encodeHashlockTermsWithAbiCoder({ lockHash, expiry }));
        expect(decodeHashlockTerms(encoded)).to.deep.equal({ lockHash: raw, expiry });
        expect(decodeHashlockTerms(getBytes(encoded))).to.deep.equal({ lockHash: raw, expiry });
        const preimage = i % 3 === 0 ? "0x" + randomPreimage().slice(2).toUpperCase() : randomPreimage();
        expect(encodeHashlockResolution(preimage)).to.equal(encodeHashlockResolutionWithAbiCoder(preimage));
      }
      const lockHash = hashlockLock(randomPreimage());
      for (const expiry of [max + 1n, -1n]) {
        expect(() => encodeHashlockTerms({ lockHash, expiry })).to.throw();
        expect(() => encodeHashlockTermsWithAbiCoder({ lockHash, expiry })).to.throw();
      }
      expect(() => encodeHashlockTerms({ lockHash, expiry: 5 as unknown as bigint })).to.throw(TypeError, /bigint/);
      expect(() => encodeHashlockTerms({ lockHash: lockHash.slice(0, 64), expiry: 1n })).to.throw(/32-byte/);
      expect(() => decodeHashlockTerms("0x" + "zz".repeat(64))).to.throw();
    });
  });
});
