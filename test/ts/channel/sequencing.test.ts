/**
 * Sequenced updates (src/channel/sequencing.ts): alice signs every update first. Bob's intents are signed by
 * alice as updates proposed by bob, accepted by bob only when they are exactly his intent on his latest state.
 */
import { expect } from "chai";
import { AbiCoder, ZeroAddress } from "ethers";

import { Channel } from "../../../src/channel/channel.js";
import { accept, proposeFor } from "../../../src/channel/sequencing.js";
import {
  DepositError,
  DoubleSignError,
  DuplicateTransferError,
  MalformedUpdateError,
  NonceError,
  SignatureError,
  TamperedUpdateError,
} from "../../../src/protocol/errors.js";
import { bobWallet, config, fund, hashlockTransfer, pair, preimageOf, type Pair } from "../sdk/helpers.js";

const abi = AbiCoder.defaultAbiCoder();

async function funded(): Promise<Pair> {
  const p = await pair();
  await fund(p);
  return p;
}

async function sequenced(p: Pair, intent: Parameters<typeof proposeFor>[1]): Promise<void> {
  const proposal = await proposeFor(p.alice, intent);
  const ack = await accept(p.bob, proposal, intent);
  await p.alice.complete(ack);
}


/** What `pending` rejected with (undefined when it resolved). */
async function rejectionOf(pending: Promise<unknown>): Promise<unknown> {
  try {
    await pending;
  } catch (error) {
    return error;
  }
  return undefined;
}
describe("channel sequencing (alice signs first)", () => {
  it("test_proposeFor_bobsCreateCoSignedInOneRoundTrip", async () => {
    const p = await funded();
    const intent = { type: "create" as const, transfer: hashlockTransfer(1, "bob") };
    const proposal = await proposeFor(p.alice, intent);
    expect(proposal.update.proposer).to.equal("bob");
    expect(p.alice.pending?.update.state.nonce).to.equal(2n); // alice's signature is stored before it leaves
    const ack = await accept(p.bob, proposal, intent);
    expect(p.bob.state.nonce).to.equal(2n); // bob holds the co-signed state after one round trip
    await p.alice.complete(ack);
    expect(p.alice.latest).to.deep.equal(p.bob.latest);
    expect(p.alice.transfers.size).to.equal(1);
  });

  it("test_accept_bobsResolveWithdrawAndDepositIntents", async () => {
    const p = await funded();
    await p.alice
      .propose({ type: "create", transfer: hashlockTransfer(2, "alice") })
      .then(async (pr) => p.alice.complete(await p.bob.receive(pr)));
    const id = (p.bob.transfers.list()[0] as { id: string }).id;
    await sequenced(p, {
      type: "resolve",
      transferId: id,
      toResponder: 10n ** 15n,
      resolverData: abi.encode(["bytes32"], [preimageOf(2)]),
    });
    const commitment = {
      asset: ZeroAddress,
      recipient: bobWallet.address,
      amount: 10n ** 15n,
      nonce: 1n,
      callTo: ZeroAddress,
      callData: "0x",
    };
    await sequenced(p, { type: "withdraw", party: "bob", commitment });
    expect(p.alice.latest).to.deep.equal(p.bob.latest);
    expect(p.bob.state.nonce).to.equal(p.alice.state.nonce);
  });

  it("test_accept_refusesAProposalThatIsNotTheIntent", async () => {
    const p = await funded();
    const intent = { type: "create" as const, transfer: hashlockTransfer(3, "bob", 10n ** 15n) };
    const other = { type: "create" as const, transfer: hashlockTransfer(3, "bob", 2n * 10n ** 15n) };
    const proposal = await proposeFor(p.alice, other);
    const before = await p.bobStore.load(p.bob.address);
    const error = await rejectionOf(accept(p.bob, proposal, intent));
    expect(error).to.be.instanceOf(TamperedUpdateError);
    expect(await p.bobStore.load(p.bob.address)).to.deep.equal(before);
  });

  it("test_accept_intentSpelledOtherwise_takenByItsContent", async () => {
    // Not identical to the node's normalized details (lowercase addresses, uppercase hex): compared by content.
    const p = await funded();
    const t = hashlockTransfer(31, "bob");
    const spelled = { ...t, channel: t.channel.toLowerCase(), initiator: t.initiator.toLowerCase(), data: "0x" + t.data.slice(2).toUpperCase() };
    const intent = { type: "create" as const, transfer: spelled };
    const proposal = await proposeFor(p.alice, intent);
    await p.alice.complete(await accept(p.bob, proposal, intent));
    expect(p.bob.state.nonce).to.equal(2n);
    expect(p.alice.latest).to.deep.equal(p.bob.latest);
    const other = { type: "create" as const, transfer: { ...spelled, amount: spelled.amount + 1n, salt: hashlockTransfer(32, "bob").salt } };
    const wrong = await proposeFor(p.alice, { type: "create", transfer: hashlockTransfer(32, "bob") });
    expect(await rejectionOf(accept(p.bob, wrong, other))).to.be.instanceOf(TamperedUpdateError);
  });

  it("test_accept_refusesAProposalNotSignedByAlice", async () => {
    const p = await funded();
    const intent = { type: "create" as const, transfer: hashlockTransfer(4, "bob") };
    const proposal = await proposeFor(p.alice, intent);
    // Alice's valid signature of another update (another transfer at the same nonce) over this one.
    const elsewhere = await funded();
    const another = await proposeFor(elsewhere.alice, { type: "create", transfer: hashlockTransfer(40, "bob") });
    const bad = { ...proposal, signatures: another.signatures };
    const error = await rejectionOf(accept(p.bob, bad, intent));
    expect(error).to.be.instanceOf(SignatureError);
    expect(p.bob.state.nonce).to.equal(1n);
  });

  it("test_proposeFor_waitsForAlicesPendingProposalThenRebases", async () => {
    const p = await funded();
    const own = await p.alice.propose({ type: "create", transfer: hashlockTransfer(5, "alice") });
    const intent = { type: "create" as const, transfer: hashlockTransfer(6, "bob") };
    // Alice has signed nonce 2: she cannot sign bob's intent at 2.
    const error = await rejectionOf(proposeFor(p.alice, intent));
    expect(error).to.be.instanceOf(DoubleSignError);
    await p.alice.complete(await p.bob.receive(own));
    await sequenced(p, intent); // applied after it, at nonce 3
    expect(p.bob.state.nonce).to.equal(3n);
    expect(p.alice.latest).to.deep.equal(p.bob.latest);
  });

  it("test_proposeFor_rebasedIntentFailsWithTheStateMachinesError", async () => {
    const p = await funded();
    const intent = { type: "create" as const, transfer: hashlockTransfer(7, "bob") };
    await sequenced(p, intent);
    const error = await rejectionOf(proposeFor(p.alice, intent));
    expect(error).to.be.instanceOf(DuplicateTransferError);
  });

  // Found by `npm run chaos` (a client killed mid-payment could never connect again): an intent already applied
  // whose outbox entry outlived its lost answer made every re-delivered proposal fail with the state machine's
  // error (DuplicateTransferError) instead of "not this intent", so the session never tried its other intents.
  it("test_accept_staleIntentThatNoLongerApplies_refusedAsNotThisIntentSoTheNextOneIsTried", async () => {
    const p = await funded();
    const stale = { type: "create" as const, transfer: hashlockTransfer(8, "bob") };
    await sequenced(p, stale); // applied: its transfer is active now
    const next = { type: "create" as const, transfer: hashlockTransfer(9, "bob") };
    const proposal = await proposeFor(p.alice, next);
    const error = await rejectionOf(accept(p.bob, proposal, stale));
    expect(error).to.be.instanceOf(TamperedUpdateError);
    expect(String(error)).to.match(/no longer applies/);
    expect(p.bob.state.nonce).to.equal(2n); // nothing signed for it
    const ack = await accept(p.bob, proposal, next); // the intent it is
    await p.alice.complete(ack);
    expect(p.alice.latest).to.deep.equal(p.bob.latest);
  });

  it("test_accept_bobSignsOneContentPerNonce", async () => {
    const p = await funded();
    const first = { type: "create" as const, transfer: hashlockTransfer(8, "bob") };
    const proposal = await proposeFor(p.alice, first);
    await accept(p.bob, proposal, first);
    // The same proposal again is behind bob's state now: refused, nothing signed.
    const error = await rejectionOf(accept(p.bob, proposal, first));
    expect(error).to.be.instanceOf(NonceError);
  });

  it("test_proposeFor_depositIntentCheckedAgainstTheChain", async () => {
    const p = await funded();
    const intent = {
      type: "deposit" as const,
      asset: ZeroAddress,
      totalDepositsAlice: 10n ** 19n,
      totalDepositsBob: 2n * 10n ** 19n,
    };
    const error = await rejectionOf(proposeFor(p.alice, intent)); // alice has no deposit reader: she refuses to sign a deposit intent
    expect(error).to.be.instanceOf(DepositError);
    const read = await Channel.open({
      ...config("alice", p.aliceStore),
      deposits: async () => ({ alice: 10n ** 19n, bob: 15n * 10n ** 18n }),
    });
    expect(await rejectionOf(proposeFor(read, intent))).to.be.instanceOf(DepositError);
    const ok = { ...intent, totalDepositsBob: 15n * 10n ** 18n };
    const proposal = await proposeFor(read, ok);
    await read.complete(await accept(p.bob, proposal, ok));
    expect(read.state.nonce).to.equal(2n);
  });

  it("test_sequencing_rolesAreFixed", async () => {
    const p = await funded();
    const intent = { type: "create" as const, transfer: hashlockTransfer(9, "bob") };
    expect(() => proposeFor(p.bob, intent)).to.throw(MalformedUpdateError);
    const proposal = await proposeFor(p.alice, intent);
    expect(() => accept(p.alice, proposal, intent)).to.throw(MalformedUpdateError);
  });
});
