import { expect } from "chai";
import { BaseWallet, Wallet, ZeroAddress, ZeroHash, getAddress, id } from "ethers";

import { Channel, type Proposal } from "../../../src/channel/channel.js";
import {
  CapacityError,
  ChannelClosedError,
  ConservationError,
  DepositError,
  DoubleSignError,
  DuplicateTransferError,
  MalformedUpdateError,
  NegativeBalanceError,
  NonceError,
  ResolutionError,
  SignatureError,
  TamperedUpdateError,
  TimeoutError,
  TransferCapError,
  UnknownResolverError,
  UnknownTransferError,
  WithdrawError,
} from "../../../src/protocol/errors.js";
import { merkleRootOf } from "../../../src/protocol/merkle.js";
import { DEFAULT_SAFETY_MARGIN } from "../../../src/protocol/policies.js";
import { encodeHashlockResolution, encodeHashlockTerms, hashlockLock } from "../../../src/protocol/resolvers.js";
import { payloadDigests, signPayloads, walletSigner } from "../../../src/protocol/signing.js";
import { genesisState, nextState, payloadsOf } from "../../../src/protocol/stateMachine.js";
import { FileChannelStore } from "../../../src/stores/file.js";
import { MemoryChannelStore } from "../../../src/stores/store.js";
import { TransferSet, transferId, transferLeaf } from "../../../src/protocol/transfers.js";
import type { Update, UpdateDetails } from "../../../src/protocol/types.js";
import {
  CHAIN_ID,
  CHANNEL,
  LIMITS,
  NOW,
  SETUP,
  TIMEOUT,
  TOKEN,
  aliceWallet,
  bobWallet,
  config,
  context,
  copyOfStore,
  fund,
  hashlockTransfer,
  pair,
  preimageOf,
  run,
  snapshotDir,
  tempDir,
  type Pair,
} from "./helpers.js";

const ETH = 10n ** 18n;

async function rejects<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await promise;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(type);
    return error as E;
  }
  expect.fail(`expected a ${type.name}`);
}

/** The honest update alice would propose for `details` on bob's view of the channel. */
function honest(bob: Channel, details: UpdateDetails, proposer: "alice" | "bob" = "alice"): Update {
  const t = nextState(bob.snapshot(), proposer, details, context());
  return { proposer, details, state: t.state };
}

/** Signs `update` with `wallet` (alice by default): a well-signed, possibly dishonest, proposal. */
async function forge(update: Update, wallet: BaseWallet = aliceWallet): Promise<Proposal> {
  const payloads = payloadsOf(update);
  let digests;
  try {
    digests = payloadDigests(CHAIN_ID, CHANNEL, payloads);
  } catch {
    return { update, signatures: {} }; // not even hashable: the receiver must refuse it before any signature check
  }
  return { update, signatures: await signPayloads(walletSigner(wallet), CHAIN_ID, CHANNEL, payloads, digests) };
}

describe("SDK state machine and channel (src/stateMachine.ts, src/channel.ts)", () => {
  let p: Pair;
  let bobDir: string;

  /** Alice on a memory store, bob on a file store (so "the store is left byte-identical" is checked on disk). */
  beforeEach(async () => {
    bobDir = await tempDir("sm");
    p = await pair(new MemoryChannelStore(), await FileChannelStore.open(bobDir));
    await fund(p);
  });

  /** Bob must refuse `proposal` with `type`, leaving his files and his memory exactly as they were. */
  async function refused<E extends Error>(proposal: Proposal, type: new (...args: never[]) => E): Promise<E> {
    const files = await snapshotDir(bobDir);
    const state = p.bob.state;
    const latest = p.bob.latest;
    const root = p.bob.transfers.root;
    const error = await rejects(p.bob.receive(proposal), type);
    expect(await snapshotDir(bobDir)).to.deep.equal(files);
    expect(p.bob.state).to.equal(state);
    expect(p.bob.latest).to.equal(latest);
    expect(p.bob.transfers.root).to.equal(root);
    const reopened = await Channel.open(config("bob", await FileChannelStore.open(await copyOfStore(bobDir))));
    expect(reopened.state).to.deep.equal(state);
    return error;
  }

  describe("transitions", () => {
    it("deposit reconciled: adds each side's new deposits and records them as processed", async () => {
      const a = p.alice.state.assets[0];
      expect(a).to.deep.include({ asset: ZeroAddress, balanceAlice: 10n * ETH, balanceBob: 10n * ETH, processedAlice: 10n * ETH, processedBob: 10n * ETH, defundNonce: 1n });
      await run(p.bob, p.alice, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 10n * ETH, totalDepositsBob: 15n * ETH });
      expect(p.alice.state.nonce).to.equal(2n);
      expect(p.bob.state.assets[0]).to.deep.include({ balanceBob: 15n * ETH, processedBob: 15n * ETH, balanceAlice: 10n * ETH });
      await run(p.alice, p.bob, { type: "deposit", asset: TOKEN, totalDepositsAlice: 5n, totalDepositsBob: 0n });
      expect(p.bob.state.assets[1]).to.deep.equal({ asset: TOKEN, balanceAlice: 5n, balanceBob: 0n, processedAlice: 5n, processedBob: 0n, defundNonce: 1n });
      expect(p.alice.state).to.deep.equal(p.bob.state);
      expect(p.bob.latest?.state).to.deep.equal(p.bob.state);
    });

    it("transfer created: locks the amount from the initiator and adds its leaf to the root", async () => {
      const t = hashlockTransfer(1, "alice", ETH);
      await run(p.alice, p.bob, { type: "create", transfer: t });
      const s = p.bob.state;
      expect(s.nonce).to.equal(2n);
      expect(s.assets[0]?.balanceAlice).to.equal(9n * ETH);
      expect(s.assets[0]?.balanceBob).to.equal(10n * ETH);
      expect(s.transfersRoot).to.equal(transferLeaf(transferId(t)));
      expect(p.alice.state).to.deep.equal(s);
      const t2 = hashlockTransfer(2, "bob", 2n * ETH);
      await run(p.bob, p.alice, { type: "create", transfer: t2 });
      expect(p.alice.state.transfersRoot).to.equal(merkleRootOf([transferLeaf(transferId(t)), transferLeaf(transferId(t2))]));
      expect(p.alice.state.assets[0]?.balanceBob).to.equal(8n * ETH);
    });

    it("transfer resolved: the responder gets what the evidence gives, the initiator the rest, the leaf leaves", async () => {
      const t = hashlockTransfer(1, "alice", ETH);
      await run(p.alice, p.bob, { type: "create", transfer: t });
      await run(p.bob, p.alice, { type: "resolve", transferId: transferId(t), toResponder: ETH, resolverData: encodeHashlockResolution(preimageOf(1)) });
      expect(p.alice.state.transfersRoot).to.equal(ZeroHash);
      expect(p.alice.state.assets[0]).to.deep.include({ balanceAlice: 9n * ETH, balanceBob: 11n * ETH });
      expect(p.alice.transfers.size).to.equal(0);
      // A cancel: the responder proposes paying itself nothing; the initiator gets the amount back.
      const t2 = hashlockTransfer(2, "alice", ETH);
      await run(p.alice, p.bob, { type: "create", transfer: t2 });
      await run(p.bob, p.alice, { type: "resolve", transferId: transferId(t2), toResponder: 0n, resolverData: "0x" });
      expect(p.bob.state.assets[0]).to.deep.include({ balanceAlice: 9n * ETH, balanceBob: 11n * ETH });
      expect(p.bob.state.nonce).to.equal(5n);
    });

    it("withdraw: takes the amount from the withdrawer and co-signs a commitment with the next withdraw nonce", async () => {
      const commitment = { asset: ZeroAddress, recipient: bobWallet.address, amount: 3n * ETH, nonce: 1n, callTo: ZeroAddress, callData: "0x" };
      const proposal = await p.bob.propose({ type: "withdraw", party: "bob", commitment });
      expect(proposal.signatures.withdraw).to.be.a("string");
      await p.bob.complete(await p.alice.receive(proposal));
      expect(p.alice.state.assets[0]?.balanceBob).to.equal(7n * ETH);
      expect(p.alice.snapshot().nextWithdrawNonce).to.equal(2n);
      const record = await p.bobStore.load(CHANNEL);
      expect(record?.withdrawals).to.have.length(1);
      expect(record?.withdrawals[0]?.commitment).to.deep.equal(commitment);
      await run(p.alice, p.bob, { type: "withdraw", party: "alice", commitment: { ...commitment, recipient: aliceWallet.address, nonce: 2n } });
      expect(p.bob.state.assets[0]?.balanceAlice).to.equal(7n * ETH);
    });

    it("close: both sign a final state at the next nonce; no update follows", async () => {
      await run(p.alice, p.bob, { type: "close" });
      expect(p.alice.isClosed && p.bob.isClosed).to.equal(true);
      const record = await p.bobStore.load(CHANNEL);
      expect(record?.final?.state).to.deep.equal({ nonce: 2n, assets: p.bob.state.assets });
      expect(record?.latest?.state.nonce).to.equal(1n); // the last ordinary co-signed state stays for disputes
      await rejects(p.alice.propose({ type: "deposit", asset: ZeroAddress, totalDepositsAlice: 20n * ETH, totalDepositsBob: 10n * ETH }), ChannelClosedError);
    });
  });

  describe("rules (each refused with its own typed error, the receiver's store byte-identical)", () => {
    it("nonce strictly +1: replayed, stale and out-of-order updates fail (NonceError)", async () => {
      const first = await p.alice.propose({ type: "create", transfer: hashlockTransfer(1) });
      await p.alice.complete(await p.bob.receive(first));
      await refused(first, NonceError); // replayed
      const stale = honest(p.bob, { type: "create", transfer: hashlockTransfer(2) });
      await refused(await forge({ ...stale, state: { ...stale.state, nonce: 1n } }), NonceError);
      await refused(await forge({ ...stale, state: { ...stale.state, nonce: 4n } }), NonceError); // skips 3
    });

    it("balances conserved per asset (ConservationError)", async () => {
      const u = honest(p.bob, { type: "create", transfer: hashlockTransfer(1, "alice", ETH) });
      const assets = u.state.assets.map((a) => ({ ...a, balanceAlice: a.balanceAlice + ETH }));
      await refused(await forge({ ...u, state: { ...u.state, assets } }), ConservationError);
    });

    it("every other field follows from the update (TamperedUpdateError)", async () => {
      const u = honest(p.bob, { type: "create", transfer: hashlockTransfer(1, "alice", ETH) });
      const a = u.state.assets[0];
      if (a === undefined) throw new Error("no asset");
      const tampered: Update[] = [
        { ...u, state: { ...u.state, transfersRoot: id("another root") } },
        { ...u, state: { ...u.state, timeout: TIMEOUT + 1n } },
        { ...u, state: { ...u.state, assets: [{ ...a, processedBob: a.processedBob + 1n }] } },
        { ...u, state: { ...u.state, assets: [{ ...a, defundNonce: 2n }] } },
        // Moves value between the parties while keeping the total: still not what the update gives.
        { ...u, state: { ...u.state, assets: [{ ...a, balanceAlice: a.balanceAlice + 1n, balanceBob: a.balanceBob - 1n }] } },
        { ...u, state: { ...u.state, assets: [] } },
      ];
      for (const update of tampered) await refused(await forge(update), TamperedUpdateError);
    });

    it("the proposer's signatures must verify (SignatureError), before anything is signed or stored", async () => {
      const u = honest(p.bob, { type: "create", transfer: hashlockTransfer(1) });
      await refused(await forge(u, bobWallet), SignatureError); // signed by the wrong key
      await refused(await forge(u, Wallet.createRandom()), SignatureError);
      const good = await forge(u);
      await refused({ ...good, signatures: {} }, SignatureError);
      // A different update under alice's signature of another state.
      const other = honest(p.bob, { type: "create", transfer: hashlockTransfer(2) });
      await refused({ update: other, signatures: good.signatures }, SignatureError);
    });

    it("no negative balance (NegativeBalanceError)", async () => {
      const big = 10n * ETH + 1n;
      const limits = { ...LIMITS, assets: new Map() };
      expect(() => nextState(p.bob.snapshot(), "alice", { type: "create", transfer: hashlockTransfer(1, "alice", big) }, { ...context(), limits })).to.throw(NegativeBalanceError);
      const w = { asset: ZeroAddress, recipient: aliceWallet.address, amount: big, nonce: 1n, callTo: ZeroAddress, callData: "0x" };
      await rejects(p.alice.propose({ type: "withdraw", party: "alice", commitment: w }), NegativeBalanceError);
      // A forged state that pays alice a transfer she cannot afford (token never deposited).
      const t = { ...hashlockTransfer(1, "alice", 1n), asset: TOKEN };
      await refused(await forge(honestUnchecked({ type: "create", transfer: t })), NegativeBalanceError);
    });

    /** An update whose state is copied from the current one (for rules that fail before a state exists). */
    function honestUnchecked(details: UpdateDetails): Update {
      return { proposer: "alice", details, state: { ...p.bob.state, nonce: p.bob.state.nonce + 1n } };
    }

    it("no balance above the channel capacity, counting the amounts locked (CapacityError)", async () => {
      await run(p.alice, p.bob, { type: "create", transfer: hashlockTransfer(1, "alice", 5n * ETH) });
      // 100 ETH capacity: 15 + 5 locked + 81 new = 101.
      const d: UpdateDetails = { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 10n * ETH, totalDepositsBob: 91n * ETH };
      await refused(await forge(honestUnchecked(d)), CapacityError);
      await rejects(p.bob.propose(d), CapacityError);
      await run(p.bob, p.alice, { ...d, totalDepositsBob: 90n * ETH }); // exactly at capacity
    });

    it("a transfer is at most the transfer cap (TransferCapError)", async () => {
      await run(p.alice, p.bob, { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 50n * ETH, totalDepositsBob: 10n * ETH });
      await refused(await forge(honestUnchecked({ type: "create", transfer: hashlockTransfer(1, "alice", 10n * ETH + 1n) })), TransferCapError);
      await run(p.alice, p.bob, { type: "create", transfer: hashlockTransfer(1, "alice", 10n * ETH) });
    });

    it("a transfer names an accepted resolver (UnknownResolverError)", async () => {
      const t = { ...hashlockTransfer(1), resolver: getAddress("0x00000000000000000000000000000000000bad00") };
      await refused(await forge(honestUnchecked({ type: "create", transfer: t })), UnknownResolverError);
    });

    it("timeouts fit the channel's windows (TimeoutError)", async () => {
      for (const timeout of [0n, TIMEOUT + 1n]) {
        const t = { ...hashlockTransfer(1), timeout };
        await refused(await forge(honestUnchecked({ type: "create", transfer: t })), TimeoutError);
      }
      // Hashlock lifetime: the responder needs one consensus phase plus the margin to claim on chain.
      const lock = hashlockLock(preimageOf(1));
      const tooSoon = { ...hashlockTransfer(1), data: encodeHashlockTerms({ lockHash: lock, expiry: NOW + TIMEOUT + DEFAULT_SAFETY_MARGIN - 1n }) };
      await refused(await forge(honestUnchecked({ type: "create", transfer: tooSoon })), TimeoutError);
      const justEnough = { ...tooSoon, data: encodeHashlockTerms({ lockHash: lock, expiry: NOW + TIMEOUT + DEFAULT_SAFETY_MARGIN }) };
      await run(p.alice, p.bob, { type: "create", transfer: justEnough });
      // A channel whose dispute timeout is outside the deployment's bounds is never set up.
      expect(() => genesisState({ ...SETUP, timeout: LIMITS.minTimeout - 1n }, LIMITS)).to.throw(TimeoutError);
      expect(() => genesisState({ ...SETUP, timeout: LIMITS.maxTimeout + 1n }, LIMITS)).to.throw(TimeoutError);
    });

    it("a transfer id is new (DuplicateTransferError)", async () => {
      const t = hashlockTransfer(1);
      await run(p.alice, p.bob, { type: "create", transfer: t });
      await refused(await forge(honestUnchecked({ type: "create", transfer: t })), DuplicateTransferError);
      await rejects(p.alice.propose({ type: "create", transfer: t }), DuplicateTransferError);
    });

    it("a resolve names an active transfer (UnknownTransferError)", async () => {
      const d: UpdateDetails = { type: "resolve", transferId: transferId(hashlockTransfer(9)), toResponder: 0n, resolverData: "0x" };
      await refused(await forge({ ...honestUnchecked(d), proposer: "alice" }), UnknownTransferError);
    });

    it("a resolve pays what the evidence gives, at most the amount, proposed by the responder (ResolutionError)", async () => {
      const t = hashlockTransfer(1, "bob", ETH); // bob locks, alice is the responder
      await run(p.bob, p.alice, { type: "create", transfer: t });
      const tid = transferId(t);
      const good = encodeHashlockResolution(preimageOf(1));
      const cases: UpdateDetails[] = [
        { type: "resolve", transferId: tid, toResponder: ETH, resolverData: encodeHashlockResolution(preimageOf(2)) }, // wrong preimage
        { type: "resolve", transferId: tid, toResponder: ETH + 1n, resolverData: good }, // more than locked
        { type: "resolve", transferId: tid, toResponder: ETH - 1n, resolverData: good }, // not what the evidence gives
        { type: "resolve", transferId: tid, toResponder: 1n, resolverData: "0x" }, // a cancel paying the responder
      ];
      for (const d of cases) await refused(await forge(honestUnchecked(d)), ResolutionError);
      // The initiator (bob) cannot resolve its own transfer off chain.
      await rejects(p.bob.propose({ type: "resolve", transferId: tid, toResponder: 0n, resolverData: "0x" }), ResolutionError);
      // After expiry the preimage no longer pays.
      const late = nextStateThrows({ type: "resolve", transferId: tid, toResponder: ETH, resolverData: good }, NOW + 8n * 86_400n);
      expect(late).to.be.instanceOf(ResolutionError);
      await run(p.alice, p.bob, { type: "resolve", transferId: tid, toResponder: ETH, resolverData: good });
      expect(p.bob.state.assets[0]).to.deep.include({ balanceAlice: 11n * ETH, balanceBob: 9n * ETH });
    });

    function nextStateThrows(details: UpdateDetails, now: bigint): unknown {
      try {
        nextState(p.alice.snapshot(), "alice", details, context(now));
      } catch (error) {
        return error;
      }
      return undefined;
    }

    it("deposits only move forward (DepositError)", async () => {
      const d: UpdateDetails = { type: "deposit", asset: ZeroAddress, totalDepositsAlice: 9n * ETH, totalDepositsBob: 10n * ETH };
      await refused(await forge(honestUnchecked(d)), DepositError);
      await rejects(p.alice.propose({ ...d, totalDepositsAlice: 10n * ETH }), DepositError); // nothing new
    });

    it("a deposit claims no more than the chain shows, when the receiver reads the chain (DepositError)", async () => {
      const onchain = { alice: 12n * ETH, bob: 10n * ETH };
      const reader = async (): Promise<{ alice: bigint; bob: bigint }> => onchain;
      const aliceStore = new MemoryChannelStore();
      const bobStore = new MemoryChannelStore();
      const alice = await Channel.create({ ...config("alice", aliceStore), deposits: reader });
      const bob = await Channel.create({ ...config("bob", bobStore), deposits: reader });
      const greedy = await alice.propose({ type: "deposit", asset: ZeroAddress, totalDepositsAlice: 13n * ETH, totalDepositsBob: 10n * ETH });
      await rejects(bob.receive(greedy), DepositError);
      expect(bob.state.nonce).to.equal(0n);
      expect((await bobStore.load(CHANNEL))?.state.nonce).to.equal(0n);
      const honestBob = await Channel.create({ ...config("bob", new MemoryChannelStore()), deposits: reader });
      const fromChain = await honestBob.proposeDeposit(ZeroAddress);
      expect(fromChain.update.details).to.deep.equal({ type: "deposit", asset: ZeroAddress, totalDepositsAlice: 12n * ETH, totalDepositsBob: 10n * ETH });
    });

    it("a withdraw spends the next withdraw nonce and the proposer's own balance (WithdrawError)", async () => {
      const c = { asset: ZeroAddress, recipient: aliceWallet.address, amount: ETH, nonce: 2n, callTo: ZeroAddress, callData: "0x" };
      await refused(await forge(honestUnchecked({ type: "withdraw", party: "alice", commitment: c })), WithdrawError);
      await refused(await forge(honestUnchecked({ type: "withdraw", party: "bob", commitment: { ...c, nonce: 1n } })), WithdrawError);
      await refused(await forge(honestUnchecked({ type: "withdraw", party: "alice", commitment: { ...c, nonce: 1n, amount: 0n } })), WithdrawError);
    });

    it("a close needs no active transfer (ChannelClosedError)", async () => {
      await run(p.alice, p.bob, { type: "create", transfer: hashlockTransfer(1) });
      await refused(await forge(honestUnchecked({ type: "close" })), ChannelClosedError);
    });

    it("malformed updates fail before any rule (MalformedUpdateError)", async () => {
      const u = honest(p.bob, { type: "create", transfer: hashlockTransfer(1) });
      const a = u.state.assets[0];
      if (a === undefined) throw new Error("no asset");
      const bad: Update[] = [
        { ...u, state: { ...u.state, assets: [{ ...a, balanceBob: -1n }] } },
        { ...u, state: { ...u.state, assets: [a, a] } },
        { ...u, state: { ...u.state, transfersRoot: "0x1234" } },
        { ...u, details: { type: "create", transfer: { ...hashlockTransfer(1), channel: getAddress("0x00000000000000000000000000000000000c0fff") } } },
        { ...u, details: { type: "create", transfer: { ...hashlockTransfer(1), initiator: Wallet.createRandom().address } } },
        { ...u, details: { type: "create", transfer: { ...hashlockTransfer(1), data: "0x1234" } } },
        { ...u, details: { type: "create", transfer: { ...hashlockTransfer(1), amount: 0n } } },
        { ...u, details: { type: "create", transfer: hashlockTransfer(1, "bob") } }, // bob's funds, proposed by alice
        { ...u, proposer: "bob" },
        { ...u, details: { type: "mint" } as unknown as UpdateDetails },
      ];
      for (const update of bad) await refused(await forge(update), MalformedUpdateError);
    });
  });

  describe("signing discipline", () => {
    it("never signs two contents at one nonce (DoubleSignError), but resends the same one", async () => {
      const first = await p.alice.propose({ type: "create", transfer: hashlockTransfer(1) });
      const again = await p.alice.propose({ type: "create", transfer: hashlockTransfer(1) });
      expect(again).to.deep.equal(first);
      await rejects(p.alice.propose({ type: "create", transfer: hashlockTransfer(2) }), DoubleSignError);
      // Both parties proposed at once: alice, who signed her own update at this nonce, refuses bob's.
      const bobs = await forge(honest(p.bob, { type: "create", transfer: hashlockTransfer(3, "bob") }, "bob"), bobWallet);
      await rejects(p.alice.receive(bobs), DoubleSignError);
      // The stored signature survives a restart, and still blocks other content.
      const reopened = await Channel.open(config("alice", p.aliceStore));
      await rejects(reopened.propose({ type: "create", transfer: hashlockTransfer(2) }), DoubleSignError);
      expect(reopened.pending).to.deep.equal(first);
      await reopened.complete(await p.bob.receive(first));
      expect(reopened.state).to.deep.equal(p.bob.state);
    });

    it("a forged acknowledgement does not complete a proposal (SignatureError)", async () => {
      const proposal = await p.alice.propose({ type: "create", transfer: hashlockTransfer(1) });
      const ack = await p.bob.receive(proposal);
      const forged = await forge(proposal.update, Wallet.createRandom());
      await rejects(p.alice.complete({ nonce: ack.nonce, signatures: forged.signatures }), SignatureError);
      await rejects(p.alice.complete({ nonce: ack.nonce + 1n, signatures: ack.signatures }), NonceError);
      expect(p.alice.state.nonce).to.equal(1n);
      await p.alice.complete(ack);
      expect(p.alice.state).to.deep.equal(p.bob.state);
    });

    it("restores a co-signed update the counter-party holds after a crash cut the proposer off", async () => {
      const proposal = await p.alice.propose({ type: "create", transfer: hashlockTransfer(1) });
      await p.bob.receive(proposal); // alice "crashes" before the acknowledgement arrives
      const record = await p.bobStore.load(CHANNEL);
      const bobsAck = record?.latest;
      if (bobsAck === undefined) throw new Error("bob stored nothing");
      const reopened = await Channel.open(config("alice", p.aliceStore));
      await reopened.restore({
        update: proposal.update,
        transferId: transferId(hashlockTransfer(1)),
        alice: proposal.signatures,
        bob: { state: bobsAck.bobSignature },
      });
      expect(reopened.state).to.deep.equal(p.bob.state);
      expect(reopened.transfers.root).to.equal(p.bob.transfers.root);
    });

    it("keeps the transfer set and the stored record consistent across many updates", async () => {
      const set = TransferSet.from([]);
      for (let i = 0; i < 12; i++) {
        const t = hashlockTransfer(i, i % 2 === 0 ? "alice" : "bob", ETH / 10n);
        if (i % 2 === 0) await run(p.alice, p.bob, { type: "create", transfer: t });
        else await run(p.bob, p.alice, { type: "create", transfer: t });
        set.add(t);
      }
      for (const i of [3, 0, 11, 6]) {
        const t = hashlockTransfer(i, i % 2 === 0 ? "alice" : "bob", ETH / 10n);
        const responder = i % 2 === 0 ? p.bob : p.alice;
        const initiator = i % 2 === 0 ? p.alice : p.bob;
        await run(responder, initiator, { type: "resolve", transferId: transferId(t), toResponder: t.amount, resolverData: encodeHashlockResolution(preimageOf(i)) });
        set.remove(transferId(t));
      }
      expect(p.alice.transfers.root).to.equal(set.root);
      expect(p.bob.state.transfersRoot).to.equal(set.root);
      const reopened = await Channel.open(config("bob", await FileChannelStore.open(await copyOfStore(bobDir))));
      expect(reopened.transfers.list().map((t) => t.id)).to.deep.equal(set.list().map((t) => t.id));
      expect(reopened.state).to.deep.equal(p.alice.state);
      const record = reopened.snapshot();
      expect(record.nextWithdrawNonce).to.equal(1n);
    });
  });
});
