/**
 * `Channel` against the review findings of issue 13 (src/channel/channel.ts, src/protocol/stateMachine.ts,
 * src/protocol/transfers.ts): restore() stores only what was signed, in canonical form; a received deposit claim
 * is checked on chain or explicitly trusted; a transfer's settle window has the deployment's floor.
 */
import { expect } from "chai";
import { ZeroAddress, ZeroHash } from "ethers";

import { Channel } from "../../../src/channel/channel.js";
import { disputeTransferCall } from "../../../src/chain/commitments.js";
import { DepositError, MalformedUpdateError, TimeoutError } from "../../../src/protocol/errors.js";
import { checkTransferTimeout, nextState } from "../../../src/protocol/stateMachine.js";
import { encodeTransfer, transferId, type Transfer } from "../../../src/protocol/transfers.js";
import type { Update } from "../../../src/protocol/types.js";
import { MemoryChannelStore } from "../../../src/stores/store.js";
import { CHANNEL, LIMITS, TIMEOUT, config, context, fund, hashlockTransfer, pair, run, type Pair } from "../sdk/helpers.js";

/** An amount whose decimal digits read as another number in hex: 0x10000000000000 = 4503599627370496. */
const AMOUNT = 0x10000000000000n;

/** Alice proposes a lock of AMOUNT; Bob co-signs; Alice "crashes" before the acknowledgement arrives. */
async function crashedCreate(p: Pair): Promise<{ update: Update; alice: { state?: string }; bob: { state?: string }; transfer: Transfer }> {
  const transfer = hashlockTransfer(7, "alice", AMOUNT);
  const proposal = await p.alice.propose({ type: "create", transfer });
  const ack = await p.bob.receive(proposal);
  return { update: proposal.update, alice: proposal.signatures, bob: ack.signatures, transfer };
}

describe("Channel (src/channel/channel.ts): review findings", () => {
  describe("restore() re-derives what it stores from what was signed", () => {
    it("transfer hashing refuses a string amount (it would hash its digits as hex)", () => {
      const t = hashlockTransfer(7, "alice", AMOUNT);
      const asString = { ...t, amount: AMOUNT.toString(16) as unknown as bigint };
      expect(() => transferId(asString)).to.throw(MalformedUpdateError, /amount must be a bigint/);
      expect(() => encodeTransfer({ ...t, timeout: "3600" as unknown as bigint })).to.throw(MalformedUpdateError);
    });

    it("refuses a restored copy with a string amount and changes nothing", async () => {
      const p = await pair();
      await fund(p);
      const c = await crashedCreate(p);
      const reopened = await Channel.open(config("alice", p.aliceStore));
      const before = await p.aliceStore.load(CHANNEL);
      const d = c.update.details as { type: "create"; transfer: Transfer };
      const tampered: Update = {
        ...c.update,
        details: { type: "create", transfer: { ...d.transfer, amount: AMOUNT.toString(16) as unknown as bigint } },
      };
      const error = await reopened.restore({ update: tampered, alice: c.alice, bob: c.bob }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(MalformedUpdateError);
      expect(await p.aliceStore.load(CHANNEL)).to.deep.equal(before);
      expect(reopened.state.nonce).to.equal(before?.state.nonce);
    });

    it("stores the canonical copy (checksummed, recomputed id and root): the restored party disputes its own lock and later cancels it", async () => {
      const p = await pair();
      await fund(p);
      const c = await crashedCreate(p);
      const reopened = await Channel.open(config("alice", p.aliceStore));
      const d = c.update.details as { type: "create"; transfer: Transfer };
      // The counter-party's copy: lowercase addresses, uppercase hex, and a transfer id that is not the transfer's.
      const t = d.transfer;
      const sloppy: Update = {
        ...c.update,
        details: {
          type: "create",
          transfer: {
            ...t,
            channel: t.channel.toLowerCase(),
            initiator: t.initiator.toLowerCase(),
            responder: t.responder.toLowerCase(),
            salt: "0x" + t.salt.slice(2).toUpperCase(),
          },
        },
        state: { ...c.update.state, transfersRoot: "0x" + c.update.state.transfersRoot.slice(2).toUpperCase() },
      };
      await reopened.restore({ update: sloppy, transferId: ZeroHash, alice: c.alice, bob: c.bob });
      const id = transferId(c.transfer);
      const stored = reopened.transfers.get(id);
      expect(stored?.transfer).to.deep.equal(t); // the normalized transfer, amount a bigint
      expect(typeof stored?.transfer.amount).to.equal("bigint");
      expect(reopened.state).to.deep.equal(p.bob.state);
      const record = await p.aliceStore.load(CHANNEL);
      expect(record?.transfers.map((x) => x.transfer)).to.deep.equal([t]);
      // Its dispute calldata is the one Bob's copy gives (same transfer, same proof against the signed root).
      const latest = reopened.latest;
      if (latest === undefined) throw new Error("no co-signed state");
      expect(disputeTransferCall(CHANNEL, latest.state, stored?.transfer as Transfer, reopened.proof(id))).to.deep.equal(
        disputeTransferCall(CHANNEL, latest.state, p.bob.transfers.get(id)?.transfer as Transfer, p.bob.proof(id)),
      );
      // A later valid cancel by the responder works on the restored copy.
      await run(p.bob, reopened, { type: "resolve", transferId: id, toResponder: 0n, resolverData: "0x" });
      expect(reopened.transfers.size).to.equal(0);
      expect(reopened.state).to.deep.equal(p.bob.state);
    });
  });

  describe("a received deposit claim is checked on chain, or explicitly trusted", () => {
    it("refuses a deposit claim when no deposit reader is configured (and nothing is stored)", async () => {
      const alice = await Channel.create(config("alice", new MemoryChannelStore()));
      const bobStore = new MemoryChannelStore();
      const strict = { ...config("bob", bobStore) };
      delete strict.trustDepositsWithoutChain;
      const bob = await Channel.create(strict);
      expect(bob.checksDeposits).to.equal(false);
      const claim = await alice.propose({ type: "deposit", asset: ZeroAddress, totalDepositsAlice: 60n * 10n ** 18n, totalDepositsBob: 0n });
      const error = await bob.receive(claim).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(DepositError);
      expect((error as Error).message).to.match(/no deposit reader/);
      expect(bob.state.nonce).to.equal(0n);
      expect((await bobStore.load(CHANNEL))?.state.nonce).to.equal(0n);
    });

    it("checks the claim against the reader when one is configured, and signs it only when it is explicitly trusted otherwise", async () => {
      const reader = async (): Promise<{ alice: bigint; bob: bigint }> => ({ alice: 10n ** 18n, bob: 0n });
      const alice = await Channel.create(config("alice", new MemoryChannelStore()));
      const checked = await Channel.create({ ...config("bob", new MemoryChannelStore()), trustDepositsWithoutChain: false, deposits: reader });
      expect(checked.checksDeposits).to.equal(true);
      const tooMuch = await alice.propose({ type: "deposit", asset: ZeroAddress, totalDepositsAlice: 2n * 10n ** 18n, totalDepositsBob: 0n });
      expect(await checked.receive(tooMuch).catch((e: unknown) => e)).to.be.instanceOf(DepositError);
      const trusting = await Channel.create(config("bob", new MemoryChannelStore())); // the test fixture's explicit flag
      await alice.complete(await trusting.receive(tooMuch));
      expect(trusting.state.nonce).to.equal(1n);
    });
  });

  describe("a transfer's settle window is at least the deployment's minTimeout", () => {
    it("accepts timeout = minTimeout and refuses one second less (proposer and receiver)", async () => {
      expect(() => checkTransferTimeout(LIMITS.minTimeout, TIMEOUT, LIMITS)).to.not.throw();
      expect(() => checkTransferTimeout(TIMEOUT, TIMEOUT, LIMITS)).to.not.throw();
      expect(() => checkTransferTimeout(LIMITS.minTimeout - 1n, TIMEOUT, LIMITS)).to.throw(TimeoutError);
      expect(() => checkTransferTimeout(TIMEOUT + 1n, TIMEOUT, LIMITS)).to.throw(TimeoutError);

      const p = await pair();
      await fund(p);
      const snapshot = p.alice.snapshot();
      expect(() => nextState(snapshot, "alice", { type: "create", transfer: { ...hashlockTransfer(1), timeout: 1n } }, context())).to.throw(TimeoutError);
      // A proposer whose SDK allows timeout 1 (a lower floor in its limits): the receiver still refuses it.
      const lax = await Channel.create({ ...config("alice", new MemoryChannelStore()), limits: { ...LIMITS, minTimeout: 1n } });
      const laxBob = await Channel.create({ ...config("bob", new MemoryChannelStore()), limits: { ...LIMITS, minTimeout: 1n } });
      await fund({ alice: lax, bob: laxBob, aliceStore: new MemoryChannelStore(), bobStore: new MemoryChannelStore() });
      const proposal = await lax.propose({ type: "create", transfer: { ...hashlockTransfer(1), timeout: 1n } });
      const honest = await Channel.open(config("bob", p.bobStore));
      // Bring the honest receiver to the same nonce as the lax pair (a deposit at nonce 1), then offer the lock.
      expect(honest.state.nonce).to.equal(1n);
      expect(await honest.receive(proposal).catch((e: unknown) => e)).to.be.instanceOf(TimeoutError);
      expect(honest.state.nonce).to.equal(1n);
    });
  });
});
