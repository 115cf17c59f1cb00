/**
 * The plain transfer update (`{type: "plain", asset, amount}`): one co-signed update that moves `amount` from the
 * proposer's balance to the other party's, with no conditional transfer and no transfers-root change. Its rules,
 * its boundary checks, the sequenced flow (alice signs bob's intent first), and the store's record and restore.
 */
import { expect } from "chai";
import { ZeroAddress, ZeroHash } from "ethers";

import { checkedDetails } from "../../../src/channel/validate.js";
import { accept, proposeFor } from "../../../src/channel/sequencing.js";
import { Channel, type Proposal } from "../../../src/channel/channel.js";
import {
  ChannelClosedError,
  MalformedMessageError,
  MalformedUpdateError,
  NegativeBalanceError,
  TamperedUpdateError,
  TransferCapError,
} from "../../../src/protocol/errors.js";
import { payloadDigests, signPayloads, walletSigner } from "../../../src/protocol/signing.js";
import { nextState, payloadsOf } from "../../../src/protocol/stateMachine.js";
import type { Update, UpdateDetails } from "../../../src/protocol/types.js";
import { MemoryChannelStore } from "../../../src/stores/store.js";
import { CHAIN_ID, CHANNEL, TOKEN, aliceWallet, config, context, fund, hashlockTransfer, pair, run, type Pair } from "./helpers.js";

const ETH = 10n ** 18n;
const plain = (amount: bigint, asset = ZeroAddress): UpdateDetails => ({ type: "plain", asset, amount });

async function rejects<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await promise;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(type);
    return error as E;
  }
  expect.fail(`expected a ${type.name}`);
}

/** `update` signed by alice: a well-signed, possibly dishonest, proposal. */
async function forge(update: Update): Promise<Proposal> {
  const payloads = payloadsOf(update);
  const digests = payloadDigests(CHAIN_ID, CHANNEL, payloads);
  return { update, signatures: await signPayloads(walletSigner(aliceWallet), CHAIN_ID, CHANNEL, payloads, digests) };
}

describe("plain transfer update (src/protocol/stateMachine.ts)", () => {
  let p: Pair;

  beforeEach(async () => {
    p = await pair();
    await fund(p); // 10 ETH each
  });

  /** Bob must refuse `proposal` with `type`, his state and store unchanged. */
  async function refused<E extends Error>(proposal: Proposal, type: new (...args: never[]) => E): Promise<void> {
    const before = p.bob.state;
    const stored = await p.bobStore.load(CHANNEL);
    await rejects(p.bob.receive(proposal), type);
    expect(p.bob.state).to.equal(before);
    expect(await p.bobStore.load(CHANNEL)).to.deep.equal(stored);
  }

  it("test_plainTransfer_movesAmountFromProposerToOtherParty", async () => {
    const root = p.bob.state.transfersRoot;
    await run(p.bob, p.alice, plain(3n * ETH));
    expect(p.alice.state.assets[0]).to.deep.include({ balanceAlice: 13n * ETH, balanceBob: 7n * ETH, processedAlice: 10n * ETH, processedBob: 10n * ETH });
    await run(p.alice, p.bob, plain(1n));
    expect(p.bob.state.assets[0]).to.deep.include({ balanceAlice: 13n * ETH - 1n, balanceBob: 7n * ETH + 1n });
    expect(p.bob.state.nonce).to.equal(3n);
    expect(p.bob.state.transfersRoot).to.equal(root);
    expect(p.bob.transfers.size).to.equal(0);
    expect(p.alice.state).to.deep.equal(p.bob.state);
    expect(p.bob.latest?.state).to.deep.equal(p.bob.state);
  });

  it("test_plainTransfer_keepsActiveTransfersAndTheirRoot", async () => {
    await run(p.alice, p.bob, { type: "create", transfer: hashlockTransfer(1, "alice", ETH) });
    const root = p.bob.state.transfersRoot;
    expect(root).to.not.equal(ZeroHash);
    await run(p.bob, p.alice, plain(2n * ETH));
    expect(p.alice.state.transfersRoot).to.equal(root);
    expect(p.alice.state.assets[0]).to.deep.include({ balanceAlice: 11n * ETH, balanceBob: 8n * ETH });
  });

  it("test_plainTransfer_spendsTheWholeBalanceButNotMore", async () => {
    await run(p.bob, p.alice, plain(10n * ETH, ZeroAddress));
    expect(p.bob.state.assets[0]?.balanceBob).to.equal(0n);
    await rejects(p.bob.propose(plain(1n)), NegativeBalanceError);
  });

  it("test_plainTransfer_revertsOnOverdraftForgedOrProposed", async () => {
    await run(p.alice, p.bob, plain(5n * ETH)); // alice keeps 5 ETH (below the 10 ETH cap, so the cap is not what refuses)
    await rejects(p.alice.propose(plain(5n * ETH + 1n)), NegativeBalanceError);
    // A state alice signed that moves more than she holds: bob refuses it and stores nothing.
    const details = plain(5n * ETH + 1n);
    const state = { ...p.bob.state, nonce: 3n, assets: [{ ...p.bob.state.assets[0]!, balanceAlice: 0n, balanceBob: 20n * ETH }] };
    await refused(await forge({ proposer: "alice", details, state }), NegativeBalanceError);
  });

  it("test_plainTransfer_revertsOnAnAssetTheChannelDoesNotHold", async () => {
    await rejects(p.alice.propose(plain(1n, TOKEN)), NegativeBalanceError);
  });

  it("test_plainTransfer_revertsOnZeroAmount", () => {
    expect(() => nextState(p.bob.snapshot(), "bob", plain(0n), context())).to.throw(MalformedUpdateError, /non-zero/);
  });

  it("test_plainTransfer_revertsAboveTheTransferCap", async () => {
    await run(p.alice, p.bob, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 10n * ETH, totalDepositsBob: 50n * ETH });
    const over = 10n * ETH + 1n; // helpers' LIMITS: a 10 ETH transfer cap
    const error = await rejects(p.bob.propose(plain(over)), TransferCapError);
    expect(error.message).to.contain(String(over));
    await run(p.bob, p.alice, plain(10n * ETH)); // exactly the cap
  });

  it("test_plainTransfer_revertsOnAStateCreditingTheWrongSide", async () => {
    const honest = nextState(p.bob.snapshot(), "alice", plain(ETH), context()).state;
    const a = honest.assets[0]!;
    // Alice proposes paying bob 1 ETH but signs a state paying herself.
    const swapped = { ...honest, assets: [{ ...a, balanceAlice: a.balanceBob, balanceBob: a.balanceAlice }] };
    await refused(await forge({ proposer: "alice", details: plain(ETH), state: swapped }), TamperedUpdateError);
    // Alice proposes a plain transfer as bob's (moving bob's money to her) and signs it herself.
    const asBob = nextState(p.bob.snapshot(), "bob", plain(ETH), context()).state;
    const forgedProposer = await forge({ proposer: "bob", details: plain(ETH), state: asBob });
    await rejects(p.bob.receive(forgedProposer), MalformedUpdateError);
    expect(p.bob.state.nonce).to.equal(1n);
  });

  it("test_plainTransfer_revertsOnAClosedChannel", async () => {
    await run(p.alice, p.bob, { type: "close" });
    await rejects(p.bob.propose(plain(1n)), ChannelClosedError);
  });

  it("test_checkedDetails_refusesMalformedPlainTransfers", () => {
    for (const bad of [
      { type: "plain", asset: ZeroAddress, amount: 1 },
      { type: "plain", asset: ZeroAddress },
      { type: "plain", asset: "0x1234", amount: 1n },
      { type: "plain", asset: ZeroAddress, amount: -1n },
      { type: "plain", asset: ZeroAddress, amount: 1n, to: aliceWallet.address },
      { type: "plain", asset: null, amount: 1n },
    ]) {
      expect(() => checkedDetails(bad, CHANNEL), JSON.stringify(bad, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v))).to.throw(MalformedMessageError);
    }
    expect(checkedDetails({ type: "plain", asset: ZeroAddress.toLowerCase(), amount: 5n }, CHANNEL)).to.deep.equal(plain(5n));
  });

  it("test_plainTransfer_sequencedIntentSignedByAliceFirst", async () => {
    const intent = plain(4n * ETH);
    const proposal = await proposeFor(p.alice, intent);
    expect(proposal.update.proposer).to.equal("bob");
    // Bob refuses the proposal against another intent (a different amount) and takes it against his own.
    await rejects(accept(p.bob, proposal, plain(3n * ETH)), TamperedUpdateError);
    const ack = await accept(p.bob, proposal, intent);
    await p.alice.complete(ack);
    expect(p.alice.state).to.deep.equal(p.bob.state);
    expect(p.bob.state.assets[0]).to.deep.include({ balanceAlice: 14n * ETH, balanceBob: 6n * ETH });
  });

  it("test_plainTransfer_recordedAndRestoredFromTheCounterParty", async () => {
    const proposal = await p.alice.propose(plain(2n * ETH));
    await p.bob.receive(proposal); // alice "crashes" before the acknowledgement arrives
    const bobs = (await p.bobStore.load(CHANNEL))?.latest;
    if (bobs === undefined) throw new Error("bob stored nothing");
    const reopened = await Channel.open(config("alice", p.aliceStore));
    await reopened.restore({ update: proposal.update, alice: proposal.signatures, bob: { state: bobs.bobSignature } });
    expect(reopened.state).to.deep.equal(p.bob.state);
    // A fresh store opened from bob's record folds to the same state.
    const copy = new MemoryChannelStore();
    const record = await p.bobStore.load(CHANNEL);
    if (record === undefined) throw new Error("no record");
    await copy.create(record);
    expect((await Channel.open(config("bob", copy))).state).to.deep.equal(p.bob.state);
  });
});
