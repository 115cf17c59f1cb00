/**
 * The reopen update (src/protocol/reopen.ts): the next life cycle of a closed channel, from what the close paid.
 * Pure rules here; the on-chain cycle driven by the SDK is test/ts/sdk/reopen.onchain.test.ts.
 */
import { expect } from "chai";
import { ZeroAddress, ZeroHash } from "ethers";

import { Channel } from "../../../src/channel/channel.js";
import { ChannelClosedError, ReopenError, StoreError } from "../../../src/protocol/errors.js";
import { applyEntry, positionsOf } from "../../../src/protocol/record.js";
import { MAX_DEFUND_NONCE, reopenState, type ClosePayout } from "../../../src/protocol/reopen.js";
import { nextState } from "../../../src/protocol/stateMachine.js";
import type { AssetState, ChannelState } from "../../../src/protocol/typedData.js";
import { MemoryChannelStore } from "../../../src/stores/store.js";
import { CHANNEL, TIMEOUT, TOKEN, config, context, fund, run } from "../sdk/helpers.js";

const ETH = 10n ** 18n;

const closedState = (assets: AssetState[]): ChannelState => ({ nonce: 7n, timeout: TIMEOUT, transfersRoot: ZeroHash, assets });
const asset = (a: string, balanceAlice: bigint, balanceBob: bigint, processedAlice: bigint, processedBob: bigint, defundNonce = 1n): AssetState => ({
  asset: a,
  balanceAlice,
  balanceBob,
  processedAlice,
  processedBob,
  defundNonce,
});
const payout = (a: string, toAlice: bigint, toBob: bigint, defundNonce = 1n): ClosePayout => ({ asset: a, toAlice, toBob, defundNonce });

function throwsReopen(fn: () => unknown, fragment: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(ReopenError);
    expect((e as Error).message).to.include(fragment);
    return;
  }
  expect.fail("no ReopenError");
}

/** Two channels whose stores and reopen readers share one "chain": what the close paid. */
async function pairWithPayouts(payouts: () => ClosePayout[], closeNonce = 2n) {
  const aliceStore = new MemoryChannelStore();
  const bobStore = new MemoryChannelStore();
  const reader = (nonce: bigint) => {
    if (nonce !== closeNonce) return Promise.reject(new ReopenError(`no close at nonce ${nonce}`));
    return Promise.resolve(payouts());
  };
  const alice = await Channel.create({ ...config("alice", aliceStore), closePayouts: reader });
  const bob = await Channel.create({ ...config("bob", bobStore), closePayouts: reader });
  return { alice, bob, aliceStore, bobStore };
}

describe("reopen: the next life cycle of a closed channel", () => {
  describe("reopenState", () => {
    it("zeroes both balances, moves processed deposits to the totals the close paid against, and takes the next defund nonce", () => {
      // Final state: alice 4 / bob 6 of processed 7 / 3; the close also paid 2 of alice's and 1 of bob's deposits
      // that arrived after the final state was signed (toAlice 6, toBob 7): the totals were 9 / 4.
      const closed = closedState([asset(ZeroAddress, 4n * ETH, 6n * ETH, 7n * ETH, 3n * ETH, 2n), asset(TOKEN, 0n, 5n, 5n, 0n)]);
      const next = reopenState(closed, { type: "reopen", payouts: [payout(ZeroAddress, 6n * ETH, 7n * ETH, 2n), payout(TOKEN, 0n, 5n)] });
      expect(next).to.deep.equal({
        nonce: 8n,
        timeout: TIMEOUT,
        transfersRoot: ZeroHash,
        assets: [asset(ZeroAddress, 0n, 0n, 9n * ETH, 4n * ETH, 3n), asset(TOKEN, 0n, 0n, 5n, 0n, 2n)],
      });
    });

    it("refuses payouts that are not one per settled asset, in order, at its defund nonce", () => {
      const closed = closedState([asset(ZeroAddress, 1n, 1n, 1n, 1n), asset(TOKEN, 1n, 1n, 1n, 1n)]);
      throwsReopen(() => reopenState(closed, { type: "reopen", payouts: [payout(ZeroAddress, 1n, 1n)] }), "settled 2 asset(s)");
      throwsReopen(
        () => reopenState(closed, { type: "reopen", payouts: [payout(TOKEN, 1n, 1n), payout(ZeroAddress, 1n, 1n)] }),
        "the close settled",
      );
      throwsReopen(
        () => reopenState(closed, { type: "reopen", payouts: [payout(ZeroAddress, 1n, 1n, 2n), payout(TOKEN, 1n, 1n)] }),
        "defund nonce 2",
      );
      throwsReopen(() => reopenState(closed, { type: "reopen", payouts: "x" as unknown as ClosePayout[] }), "lists the close's payouts");
      throwsReopen(
        () => reopenState(closed, { type: "reopen", payouts: [{ ...payout(ZeroAddress, 1n, 1n), toBob: 1 as unknown as bigint }, payout(TOKEN, 1n, 1n)] }),
        "toBob must be a uint256",
      );
      throwsReopen(
        () => reopenState(closed, { type: "reopen", payouts: [payout("0x1234", 1n, 1n), payout(TOKEN, 1n, 1n)] }),
        "must be an address",
      );
    });

    it("refuses a close that paid a side less than its final balance (a different close, or figures made up)", () => {
      const closed = closedState([asset(ZeroAddress, 4n, 6n, 7n, 3n)]);
      throwsReopen(() => reopenState(closed, { type: "reopen", payouts: [payout(ZeroAddress, 3n, 6n)] }), "less than the final balances");
      throwsReopen(() => reopenState(closed, { type: "reopen", payouts: [payout(ZeroAddress, 4n, 5n)] }), "less than the final balances");
    });

    it("refuses to reopen an asset whose defund nonce is the last the contract can record (uint24)", () => {
      const closed = closedState([asset(ZeroAddress, 0n, 0n, 0n, 0n, MAX_DEFUND_NONCE)]);
      throwsReopen(() => reopenState(closed, { type: "reopen", payouts: [payout(ZeroAddress, 0n, 0n, MAX_DEFUND_NONCE)] }), "last one");
      const below = closedState([asset(ZeroAddress, 0n, 0n, 0n, 0n, MAX_DEFUND_NONCE - 1n)]);
      const next = reopenState(below, { type: "reopen", payouts: [payout(ZeroAddress, 0n, 0n, MAX_DEFUND_NONCE - 1n)] });
      expect(next.assets[0]?.defundNonce).to.equal(MAX_DEFUND_NONCE);
    });
  });

  describe("state machine", () => {
    const closed = closedState([asset(ZeroAddress, 4n, 6n, 7n, 3n)]);
    const transfers = { size: 0, get: () => undefined, lockedIn: () => 0n, root: ZeroHash } as unknown as Parameters<typeof nextState>[0]["transfers"];

    it("after a close only a reopen follows; a reopen signs the new channel state and opens the channel", () => {
      const snapshot = { state: closed, transfers, nextWithdrawNonce: 4n, closed: true };
      expect(() => nextState(snapshot, "alice", { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 8n, totalDepositsBob: 3n }, context())).to.throw(
        ChannelClosedError,
        "only a reopen",
      );
      const t = nextState(snapshot, "bob", { type: "reopen", payouts: [payout(ZeroAddress, 4n, 6n)] }, context());
      expect(t.closed).to.equal(false);
      expect(t.nextWithdrawNonce).to.equal(4n);
      expect(t.state).to.deep.equal({ nonce: 8n, timeout: TIMEOUT, transfersRoot: ZeroHash, assets: [asset(ZeroAddress, 0n, 0n, 7n, 3n, 2n)] });
      expect(t.payloads).to.deep.equal({ state: t.state });
    });

    it("a reopen of a channel that is not closed is refused (ReopenError)", () => {
      const snapshot = { state: closed, transfers, nextWithdrawNonce: 1n, closed: false };
      expect(() => nextState(snapshot, "alice", { type: "reopen", payouts: [payout(ZeroAddress, 4n, 6n)] }, context())).to.throw(
        ReopenError,
        "only a channel closed",
      );
    });
  });

  describe("Channel", () => {
    it("closes, reopens from the close's payouts, reconciles new deposits and closes again at the next defund nonce", async () => {
      // Final state 10 / 10 − 1 wei (bob withdrew 1 wei); the close paid those balances plus 1 ETH bob sent after
      // the final state was signed: bob's total was 11 ETH when it paid.
      const p = await pairWithPayouts(() => [payout(ZeroAddress, 10n * ETH, 11n * ETH - 1n)], 3n);
      await fund(p); // nonce 1: 10 / 10
      await run(p.bob, p.alice, { type: "withdraw", party: "bob", commitment: { asset: ZeroAddress, recipient: p.bob.channelSetup.bob, amount: 1n, nonce: 1n, callTo: ZeroAddress, callData: "0x" } });
      await run(p.alice, p.bob, { type: "close" }); // nonce 3
      expect(p.alice.isClosed).to.equal(true);

      await p.bob.complete(await p.alice.receive(await p.bob.proposeReopen()));
      for (const side of [p.alice, p.bob]) {
        expect(side.isClosed).to.equal(false);
        expect(side.state).to.deep.equal({ nonce: 4n, timeout: TIMEOUT, transfersRoot: ZeroHash, assets: [asset(ZeroAddress, 0n, 0n, 10n * ETH, 11n * ETH, 2n)] });
        expect(side.latest?.state.nonce).to.equal(4n);
      }
      const record = await p.aliceStore.load(CHANNEL);
      expect(record?.closed).to.equal(false);
      expect(record?.final?.state.nonce).to.equal(3n); // the executed close stays recorded
      expect(record?.nextWithdrawNonce).to.equal(2n); // withdraw nonces carry on (the bitmap is on chain)

      // Next cycle: alice deposits 5 more, bob 2 more; reconciled, then closed at defund nonce 2.
      await run(p.alice, p.bob, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 15n * ETH, totalDepositsBob: 13n * ETH });
      expect(p.bob.state.assets[0]).to.deep.equal(asset(ZeroAddress, 5n * ETH, 2n * ETH, 15n * ETH, 13n * ETH, 2n));
      await run(p.alice, p.bob, { type: "close" });
      const again = await p.bobStore.load(CHANNEL);
      expect(again?.closed).to.equal(true);
      expect(again?.final?.state).to.deep.equal({ nonce: 6n, assets: [asset(ZeroAddress, 5n * ETH, 2n * ETH, 15n * ETH, 13n * ETH, 2n)] });
    });

    it("proposeReopen reads the close's payouts; without a reader, or before a close, it is refused", async () => {
      const p = await pairWithPayouts(() => [payout(ZeroAddress, 10n * ETH, 10n * ETH)]);
      await fund(p);
      try {
        await p.alice.proposeReopen();
        expect.fail("reopened an open channel");
      } catch (e) {
        expect(e).to.be.instanceOf(ReopenError);
      }
      const plain = await Channel.create(config("alice", new MemoryChannelStore()));
      try {
        await plain.proposeReopen();
        expect.fail("reopened without a reader");
      } catch (e) {
        expect(e).to.be.instanceOf(ReopenError);
        expect((e as Error).message).to.include("no close payout reader");
      }
      await run(p.alice, p.bob, { type: "close" });
      const proposal = await p.alice.proposeReopen();
      expect(proposal.update.details).to.deep.equal({ type: "reopen", payouts: [payout(ZeroAddress, 10n * ETH, 10n * ETH)] });
    });

    it("a received reopen whose payouts differ from what the receiver reads on chain is refused, its store unchanged", async () => {
      let paidToBob = 10n * ETH;
      const p = await pairWithPayouts(() => [payout(ZeroAddress, 10n * ETH, paidToBob)]);
      await fund(p);
      await run(p.alice, p.bob, { type: "close" });
      // A proposer signs only the payouts it reads itself.
      try {
        await p.alice.propose({ type: "reopen", payouts: [payout(ZeroAddress, 10n * ETH, 13n * ETH)] });
        expect.fail("proposed payouts the close did not make");
      } catch (e) {
        expect(e).to.be.instanceOf(ReopenError);
        expect(p.alice.pending).to.equal(undefined);
      }
      // Alice proposes from a chain on which the close paid bob 12 (so bob's later deposits would be short 2).
      paidToBob = 12n * ETH;
      const proposal = await p.alice.proposeReopen();
      paidToBob = 10n * ETH;
      const before = JSON.stringify(await p.bobStore.load(CHANNEL), (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
      try {
        await p.bob.receive(proposal);
        expect.fail("accepted a reopen that is not the close's");
      } catch (e) {
        expect(e).to.be.instanceOf(ReopenError);
        expect((e as Error).message).to.include("differ from what the close paid");
      }
      const after = JSON.stringify(await p.bobStore.load(CHANNEL), (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
      expect(after).to.equal(before);
      expect(p.bob.isClosed).to.equal(true);
    });

    it("the stores accept a reopen only after a close, and nothing else after a close", async () => {
      const p = await pairWithPayouts(() => [payout(ZeroAddress, 10n * ETH, 10n * ETH)]);
      await fund(p);
      const open = await p.aliceStore.load(CHANNEL);
      const reopenProposal = { nonce: 2n, content: "0x01", update: { proposer: "alice" as const, details: { type: "reopen" as const, payouts: [] }, state: closedState([]) }, signatures: {} };
      if (open === undefined) throw new Error("no record");
      expect(() => applyEntry(open, { kind: "signed", pending: reopenProposal }, positionsOf(open))).to.throw(StoreError, "not closed");
      await run(p.alice, p.bob, { type: "close" });
      const closed = await p.aliceStore.load(CHANNEL);
      if (closed === undefined) throw new Error("no record");
      const deposit = { ...reopenProposal, nonce: 3n, update: { ...reopenProposal.update, details: { type: "deposit" as const, asset: ZeroAddress, totalDepositsAlice: 1n, totalDepositsBob: 1n } } };
      expect(() => applyEntry(closed, { kind: "signed", pending: deposit }, positionsOf(closed))).to.throw(StoreError, "only a reopen");
    });
  });
});
