import { expect } from "chai";
import { network } from "hardhat";
import { Wallet, ZeroAddress, ZeroHash, id } from "ethers";

import { MalformedUpdateError, ResolutionError, TimeoutError } from "../../../src/protocol/errors.js";
import {
  DEFAULT_SAFETY_MARGIN,
  checkRouteExpiries,
  checkUpstreamSettleWindow,
  hashlockPolicy,
  hashlockTerms,
  signedTransferPolicy,
} from "../../../src/protocol/policies.js";
import {
  decodeHashlockTerms,
  encodeHashlockResolution,
  encodeHashlockTerms,
  encodeSignedTransferResolution,
  encodeSignedTransferTerms,
  hashlockLock,
  signTransferOutcome,
} from "../../../src/protocol/resolvers.js";
import { transferId, type Transfer } from "../../../src/protocol/transfers.js";
import { CHANNEL, SETUP, preimageOf } from "./helpers.js";

const { ethers } = await network.create();
const TIMEOUT = 86_400n;

async function now(): Promise<bigint> {
  const block = await ethers.provider.getBlock("latest");
  if (block === null) throw new Error("no block");
  return BigInt(block.timestamp);
}

function transfer(resolver: string, data: string, amount = 1_000n): Transfer {
  return {
    channel: CHANNEL,
    resolver,
    asset: ZeroAddress,
    amount,
    initiator: SETUP.alice,
    responder: SETUP.bob,
    timeout: 3_600n,
    salt: id("p"),
    data,
  };
}

/** What the contract's resolve returns, or "revert". */
async function onChain(call: Promise<bigint>): Promise<bigint | "revert"> {
  return call.catch(() => "revert" as const);
}

describe("SDK resolver policies (src/policies.ts) agree with the resolvers on chain", () => {
  it("hashlock: the preimage pays the whole amount before expiry, nothing else does", async () => {
    const resolver = await ethers.deployContract("HashlockResolver");
    const address = await resolver.getAddress();
    const policy = hashlockPolicy(address);
    const t0 = await now();
    const expiry = t0 + TIMEOUT + DEFAULT_SAFETY_MARGIN + 100n;
    const t = transfer(address, encodeHashlockTerms({ lockHash: hashlockLock(preimageOf(1)), expiry }));
    const tid = transferId(t);
    const env = { now: t0, channelTimeout: TIMEOUT };
    policy.validateTerms(t, env);
    await resolver.validate(t.data, t.amount); // the contract accepts the same terms
    for (const evidence of [
      encodeHashlockResolution(preimageOf(1)),
      encodeHashlockResolution(preimageOf(2)),
      "0x1234",
    ]) {
      const sdk = (() => {
        try {
          return policy.outcome(t, tid, evidence, env);
        } catch (error) {
          expect(error).to.be.instanceOf(ResolutionError);
          return "revert" as const;
        }
      })();
      expect(sdk).to.equal(await onChain(resolver.resolve(tid, t.data, t.amount, evidence)));
    }
    // At expiry both refuse the right preimage.
    expect(() => policy.outcome(t, tid, encodeHashlockResolution(preimageOf(1)), { ...env, now: expiry })).to.throw(
      ResolutionError,
    );
    await ethers.provider.send("evm_setNextBlockTimestamp", [Number(expiry)]);
    await ethers.provider.send("evm_mine", []);
    expect(await onChain(resolver.resolve(tid, t.data, t.amount, encodeHashlockResolution(preimageOf(1))))).to.equal(
      "revert",
    );
  });

  it("hashlock: refuses malformed terms, a zero lock, a lock too short to claim on chain, one beyond the cap", () => {
    const policy = hashlockPolicy("0x000000000000000000000000000000000000a11c", { maxLifetime: 30n * 86_400n });
    const env = { now: 1_000_000n, channelTimeout: TIMEOUT };
    const lock = hashlockLock(preimageOf(1));
    const at = (expiry: bigint, lockHash = lock): Transfer =>
      transfer(ZeroAddress, encodeHashlockTerms({ lockHash, expiry }));
    expect(() => policy.validateTerms({ ...at(0n), data: "0x1234" }, env)).to.throw(MalformedUpdateError);
    expect(() => policy.validateTerms(at(env.now + 2n * TIMEOUT, ZeroHash), env)).to.throw(MalformedUpdateError);
    expect(() => policy.validateTerms(at(env.now + TIMEOUT + DEFAULT_SAFETY_MARGIN - 1n), env)).to.throw(TimeoutError);
    policy.validateTerms(at(env.now + TIMEOUT + DEFAULT_SAFETY_MARGIN), env);
    expect(() => policy.validateTerms(at(env.now + 30n * 86_400n + 1n), env)).to.throw(TimeoutError);
  });

  it("decodes hashlock terms as resolvers.ts does", () => {
    for (let k = 0; k < 200; k++) {
      const terms = { lockHash: id(`lock ${k}`), expiry: BigInt(k) ** BigInt(k % 40) % 2n ** 256n };
      const data = encodeHashlockTerms(terms);
      expect(hashlockTerms(data)).to.deep.equal(decodeHashlockTerms(data));
    }
    expect(() => hashlockTerms("0x" + "00".repeat(65))).to.throw(MalformedUpdateError);
  });

  it("routing: each hop upstream must outlive the next one by a full dispute of the upstream channel", () => {
    const down = 2_000_000n;
    checkRouteExpiries(down + TIMEOUT + DEFAULT_SAFETY_MARGIN, down, TIMEOUT);
    expect(() => checkRouteExpiries(down + TIMEOUT + DEFAULT_SAFETY_MARGIN - 1n, down, TIMEOUT)).to.throw(TimeoutError);
    expect(() => checkRouteExpiries(down, down, TIMEOUT, 0n)).to.throw(TimeoutError);
  });

  it("route: the downstream lock must end before the upstream transfer's earliest settle deadline", () => {
    // A payer disputing at `now` and disputing the transfer when that consensus phase ends (now + T) starts its
    // settle window then: the deadline is now + T + window. The preimage (revealed at the latest at the
    // downstream expiry) must reach the chain a margin before it.
    const now = 1_800_000_000n;
    const window = TIMEOUT;
    const latest = now + TIMEOUT + window - DEFAULT_SAFETY_MARGIN;
    checkUpstreamSettleWindow(latest, now, TIMEOUT, window);
    expect(() => checkUpstreamSettleWindow(latest + 1n, now, TIMEOUT, window)).to.throw(TimeoutError, /settle window/);
    // A short upstream window leaves no room for a downstream lock that outlives it.
    expect(() => checkUpstreamSettleWindow(now + TIMEOUT + 1n, now, TIMEOUT, 0n, 0n)).to.throw(TimeoutError);
  });

  it("signed transfer: pays what the named signer attests, never more than locked", async () => {
    const resolver = await ethers.deployContract("SignedTransferResolver");
    const address = await resolver.getAddress();
    const { chainId } = await ethers.provider.getNetwork();
    const oracle = Wallet.createRandom();
    const policy = signedTransferPolicy(address, chainId);
    const t = transfer(address, encodeSignedTransferTerms(oracle.address));
    const tid = transferId(t);
    const env = { now: await now(), channelTimeout: TIMEOUT };
    policy.validateTerms(t, env);
    expect(() => policy.validateTerms(transfer(address, encodeSignedTransferTerms(ZeroAddress)), env)).to.throw(
      MalformedUpdateError,
    );
    const evidence = async (
      signer: Wallet | ReturnType<typeof Wallet.createRandom>,
      toResponder: bigint,
    ): Promise<string> => {
      const outcome = { transferId: tid, toResponder, outcomeData: "0xabcd" };
      return encodeSignedTransferResolution({
        ...outcome,
        signature: await signTransferOutcome(signer, chainId, address, outcome),
      });
    };
    for (const data of [
      await evidence(oracle, 600n),
      await evidence(oracle, 1_001n),
      await evidence(Wallet.createRandom(), 600n),
      "0x12",
    ]) {
      const sdk = (() => {
        try {
          return policy.outcome(t, tid, data, env);
        } catch (error) {
          expect(error).to.be.instanceOf(ResolutionError);
          return "revert" as const;
        }
      })();
      expect(sdk).to.equal(await onChain(resolver.resolve(tid, t.data, t.amount, data)));
    }
  });
});
