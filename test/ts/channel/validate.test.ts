/**
 * The Channel's boundary (src/channel/validate.ts): every malformed message is refused with a typed
 * SwitchyardError before anything is signed or stored, and a withdraw paying the channel's own address is
 * refused on both sides (docs/SECURITY.md §5). Ends with a seeded fuzz of proposals and acknowledgements.
 */
import { expect } from "chai";
import { ZeroAddress } from "ethers";

import { Channel, type Acknowledgement, type Proposal } from "../../../src/channel/channel.js";
import { MalformedMessageError, SwitchyardError, WithdrawError } from "../../../src/protocol/errors.js";
import { cloneRecord, decodeJson, encodeJson } from "../../../src/protocol/record.js";
import { payloadDigests, signPayloads, walletSigner, type ChannelSigner } from "../../../src/protocol/signing.js";
import { nextState } from "../../../src/protocol/stateMachine.js";
import type { UpdateDetails } from "../../../src/protocol/types.js";
import { Node } from "../../../src/routing/node.js";
import { MemoryChannelStore } from "../../../src/stores/store.js";
import {
  CHANNEL,
  HASHLOCK,
  SETUP,
  TOKEN,
  aliceWallet,
  bobWallet,
  config,
  context,
  fund,
  hashlockTransfer,
  pair,
  prng,
  type Pair,
} from "../sdk/helpers.js";
import { mutate as mutateWith, type Json } from "../utils/mutate.js";

/** A signer that counts what it signs. */
function countingSigner(inner: ChannelSigner): ChannelSigner & { count: number } {
  const spy = {
    address: inner.address,
    count: 0,
    sign(request: Parameters<ChannelSigner["sign"]>[0]) {
      spy.count++;
      return inner.sign(request);
    },
  };
  return spy;
}

/** A party's channel opened on a copy of `from`'s record, with a counting signer. */
async function copyOf(from: MemoryChannelStore, me: "alice" | "bob") {
  const record = await from.load(CHANNEL);
  if (record === undefined) throw new Error("no record");
  const store = new MemoryChannelStore();
  await store.create(cloneRecord(record));
  const signer = countingSigner(walletSigner(me === "alice" ? aliceWallet : bobWallet));
  const channel = await Channel.open({ ...config(me, store), signer });
  const stored = async () => encodeJson(await store.load(CHANNEL));
  return { channel, signer, store, stored, before: await stored() };
}

/** Expects `task` to reject with MalformedMessageError (or `type`). */
async function refused(
  task: Promise<unknown>,
  type: new (...args: never[]) => Error = MalformedMessageError,
): Promise<Error> {
  try {
    await task;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(type);
    return error as Error;
  }
  throw new Error("expected a refusal");
}

function withdrawTo(recipient: string): UpdateDetails {
  const commitment = {
    asset: ZeroAddress,
    recipient,
    amount: 10n ** 18n,
    nonce: 1n,
    callTo: ZeroAddress,
    callData: "0x",
  };
  return { type: "withdraw", party: "alice", commitment };
}

describe("the Channel's boundary (src/channel/validate.ts)", function () {
  this.timeout(120_000);
  let p: Pair;
  let base: Proposal;
  let aliceStore: MemoryChannelStore;
  let bobStore: MemoryChannelStore;

  before(async () => {
    p = await pair();
    await fund(p);
    base = await p.alice.propose({ type: "create", transfer: hashlockTransfer(1) });
    aliceStore = p.aliceStore as MemoryChannelStore;
    bobStore = p.bobStore as MemoryChannelStore;
  });

  /** `base` as plain data with one change made by `edit`. */
  // `any` stays inside this helper: the edits reach into the message freely, as an attacker's would.
  function edited(edit: (v: any) => void): Json {
    const v: unknown = structuredClone(base);
    edit(v);
    return v;
  }

  async function bobRefuses(message: Json): Promise<Error> {
    const bob = await copyOf(bobStore, "bob");
    const error = await refused(bob.channel.receive(message as Proposal));
    expect(bob.signer.count, "signatures made").to.equal(0);
    expect(await bob.stored(), "store").to.equal(bob.before);
    return error;
  }

  describe("withdraw to the channel's own address", () => {
    it("test_propose_refusesWithdrawToTheChannelItself", async () => {
      // a fresh funded pair: a channel with no pending proposal
      const q = await pair();
      await fund(q);
      const signer = countingSigner(walletSigner(aliceWallet));
      const own = await Channel.open({ ...config("alice", q.aliceStore), signer });
      const error = await refused(own.propose(withdrawTo(CHANNEL)), WithdrawError);
      expect(error.message).to.contain("channel's own address");
      await refused(own.propose(withdrawTo(CHANNEL.toLowerCase())), WithdrawError);
      expect(signer.count).to.equal(0);
      expect(own.pending).to.equal(undefined);
    });

    it("test_receive_refusesWithdrawToTheChannelItself", async () => {
      const q = await pair();
      await fund(q);
      // A rogue alice signs the withdraw without the SDK's check.
      const details = withdrawTo(CHANNEL);
      const transition = nextState(q.alice.snapshot(), "alice", details, context());
      const digests = payloadDigests(SETUP.chainId, CHANNEL, transition.payloads);
      const signatures = await signPayloads(
        walletSigner(aliceWallet),
        SETUP.chainId,
        CHANNEL,
        transition.payloads,
        digests,
      );
      const forged: Proposal = { update: { proposer: "alice", details, state: transition.state }, signatures };
      const bob = await copyOf(q.bobStore as MemoryChannelStore, "bob");
      await refused(bob.channel.receive(forged), WithdrawError);
      expect(bob.signer.count).to.equal(0);
      expect(await bob.stored()).to.equal(bob.before);
      // The same withdraw to alice's own address is co-signed.
      const fine = withdrawTo(aliceWallet.address);
      const ok = nextState(q.alice.snapshot(), "alice", fine, context());
      const okDigests = payloadDigests(SETUP.chainId, CHANNEL, ok.payloads);
      const okSignatures = await signPayloads(
        walletSigner(aliceWallet),
        SETUP.chainId,
        CHANNEL,
        ok.payloads,
        okDigests,
      );
      const ack = await bob.channel.receive({
        update: { proposer: "alice", details: fine, state: ok.state },
        signatures: okSignatures,
      });
      expect(ack.signatures.withdraw).to.be.a("string");
    });
  });

  describe("malformed messages give typed errors, and nothing is signed or stored", () => {
    it("test_receive_refusesNull", async () => {
      await bobRefuses(null);
      await bobRefuses(undefined);
      await bobRefuses("proposal");
    });

    it("test_receive_refusesNullSignatures", async () => {
      await bobRefuses(edited((v) => (v.signatures = null)));
    });

    it("test_receive_refusesNullInStateAssets", async () => {
      const error = (await bobRefuses(edited((v) => v.update.state.assets.push(null)))) as MalformedMessageError;
      expect(error.issues.map((i) => i.path)).to.include("update.state.assets.1");
    });

    it("test_receive_refusesOddLengthHexSignature", async () => {
      await bobRefuses(edited((v) => (v.signatures.state = `${v.signatures.state}0`)));
      await bobRefuses(edited((v) => (v.signatures.state = (v.signatures.state as string).slice(0, 131))));
    });

    it("test_receive_refusesCircularExtraFieldInDetails", async () => {
      await bobRefuses(
        edited((v) => {
          const loop: Record<string, unknown> = {};
          loop.self = loop;
          v.update.details.note = loop;
        }),
      );
    });

    it("test_receive_refusesNumberWhereBigintBelongs", async () => {
      await bobRefuses(edited((v) => (v.update.state.nonce = Number(v.update.state.nonce))));
    });

    it("test_receive_refusesAThrowingGetter", async () => {
      const message = structuredClone(base) as unknown as Record<string, unknown>;
      Object.defineProperty(message, "signatures", {
        enumerable: true,
        get: () => {
          throw new RangeError("boom");
        },
      });
      await bobRefuses(message);
    });

    it("test_propose_refusesCircularExtraFieldBeforeSigning", async () => {
      const q = await pair();
      await fund(q);
      const signer = countingSigner(walletSigner(aliceWallet));
      const alice = await Channel.open({ ...config("alice", q.aliceStore), signer });
      const before = encodeJson(await q.aliceStore.load(CHANNEL));
      const loop: Record<string, unknown> = {};
      loop.self = loop;
      const details = { type: "create", transfer: hashlockTransfer(2), note: loop } as unknown as UpdateDetails;
      await refused(alice.propose(details));
      expect(signer.count).to.equal(0);
      expect(alice.pending).to.equal(undefined);
      expect(encodeJson(await q.aliceStore.load(CHANNEL))).to.equal(before);
      // the same details without the extra field are proposed
      const ok = await alice.propose({ type: "create", transfer: hashlockTransfer(2) });
      expect(ok.signatures.state).to.be.a("string");
    });

    it("test_complete_refusesNullAndMalformedAcknowledgements", async () => {
      const alice = await copyOf(aliceStore, "alice");
      await refused(alice.channel.complete(null as unknown as Acknowledgement));
      await refused(alice.channel.complete({ nonce: 3, signatures: {} } as unknown as Acknowledgement));
      await refused(alice.channel.complete({ nonce: base.update.state.nonce, signatures: { state: "0x1" } }));
      expect(await alice.stored()).to.equal(alice.before);
      expect(alice.channel.pending?.update.state.nonce).to.equal(base.update.state.nonce);
      // the real acknowledgement still completes
      const bob = await copyOf(bobStore, "bob");
      await alice.channel.complete(await bob.channel.receive(base));
      expect(alice.channel.state.nonce).to.equal(base.update.state.nonce);
    });

    it("test_restoreAndLearnResolution_refuseMalformedInput", async () => {
      const alice = await copyOf(aliceStore, "alice");
      await refused(alice.channel.restore(null as never));
      await refused(alice.channel.restore({ update: base.update, alice: null, bob: {} } as never));
      await refused(alice.channel.learnResolution("0x12", "0x"));
      await refused(alice.channel.learnResolution(null as never, "0x"));
      await refused(alice.channel.proposeDeposit(42 as never));
      expect(await alice.stored()).to.equal(alice.before);
      expect(alice.signer.count).to.equal(0);
    });

    it("test_nodeReceive_refusesRouteExpiryAsANumber", async () => {
      const q = await pair();
      await fund(q);
      const signer = countingSigner(walletSigner(aliceWallet));
      // A node's channel reads deposits on chain (Node.addPeer refuses one that cannot): a reader of this fixture's totals.
      const deposits = () => Promise.resolve({ alice: 0n, bob: 0n });
      const nodeChannel = await Channel.open({ ...config("alice", q.aliceStore), signer, deposits });
      const node = new Node({ address: aliceWallet.address, hashlock: HASHLOCK, clock: () => context().now });
      node.addPeer(bobWallet.address, nodeChannel, { receive: () => Promise.reject(new Error("offline")) });
      const before = encodeJson(await q.aliceStore.load(CHANNEL));
      const proposal = await q.bob.propose({ type: "create", transfer: hashlockTransfer(3, "bob") });
      // The schema refuses the number before any route rule runs (the recipient is not even looked up).
      const route = { recipient: TOKEN, expiry: Number(context().now) + 90_000 };
      const error = (await refused(node.receive(bobWallet.address, proposal, route as never))) as MalformedMessageError;
      expect(error.issues.map((i) => i.path)).to.include("expiry");
      await refused(node.receive(bobWallet.address, null as never));
      expect(signer.count).to.equal(0);
      expect(encodeJson(await q.aliceStore.load(CHANNEL))).to.equal(before);
    });

    it("test_decodeJson_refusesDeepNestingAndBadText", () => {
      const deep = "[".repeat(100_000) + "]".repeat(100_000);
      expect(() => decodeJson(deep)).to.throw(MalformedMessageError, "deeper than 64");
      expect(() => decodeJson(`{"a":${"[".repeat(70)}${"]".repeat(70)}}`)).to.throw(MalformedMessageError);
      expect(() => decodeJson("{")).to.throw(MalformedMessageError);
      expect(() => decodeJson(null as never)).to.throw(MalformedMessageError);
      // brackets inside strings do not count, and ordinary records decode
      expect(decodeJson<{ s: string }>(JSON.stringify({ s: "[".repeat(1000) })).s).to.have.length(1000);
      expect(decodeJson<Proposal>(encodeJson(base))).to.deep.equal(base);
    });
  });

  describe("fuzz: random mutations of valid proposals and acknowledgements", () => {
    const JUNK: Array<() => Json> = [
      () => null,
      () => undefined,
      () => 0,
      () => 1,
      () => -1n,
      () => 1n << 256n,
      () => 5n,
      () => "",
      () => "0x",
      () => "0x1",
      () => "0x" + "ab".repeat(65) + "c",
      () => "0x" + "ab".repeat(64),
      () => ({}),
      () => [],
      () => [null],
      () => "alice",
      () => "bob",
      () => ZeroAddress,
      () => bobWallet.address,
      () => CHANNEL,
      () => {
        const loop: Record<string, unknown> = {};
        loop.self = loop;
        return loop;
      },
    ];

    const mutate = (v: Json, rand: () => number): Json => mutateWith(v, rand, JUNK);

    it("test_receive_fuzzedProposalsAreAcceptedOrRefusedTyped", async () => {
      const rand = prng(0xc4a1);
      let accepted = 0;
      let rejected = 0;
      for (let i = 0; i < 400; i++) {
        const bob = await copyOf(bobStore, "bob");
        try {
          const ack = await bob.channel.receive(mutate(base, rand) as Proposal);
          accepted++;
          expect(ack.nonce).to.equal(base.update.state.nonce);
        } catch (error) {
          expect(error, String(error)).to.be.instanceOf(SwitchyardError);
          expect(bob.signer.count, `signed for a refused message: ${String(error)}`).to.equal(0);
          expect(await bob.stored(), "stored for a refused message").to.equal(bob.before);
          rejected++;
        }
      }
      expect(rejected).to.be.greaterThan(300);
      expect(accepted + rejected).to.equal(400);
    });

    it("test_complete_fuzzedAcknowledgementsAreAcceptedOrRefusedTyped", async () => {
      const ack = await (await copyOf(bobStore, "bob")).channel.receive(base);
      const rand = prng(0xac4);
      let accepted = 0;
      let rejected = 0;
      for (let i = 0; i < 300; i++) {
        const alice = await copyOf(aliceStore, "alice");
        try {
          await alice.channel.complete(mutate(ack, rand) as Acknowledgement);
          accepted++;
          expect(alice.channel.state.nonce).to.equal(base.update.state.nonce);
        } catch (error) {
          expect(error, String(error)).to.be.instanceOf(SwitchyardError);
          expect(alice.signer.count).to.equal(0);
          expect(await alice.stored(), "stored for a refused message").to.equal(alice.before);
          expect(alice.channel.pending?.update.state.nonce).to.equal(base.update.state.nonce);
          rejected++;
        }
      }
      expect(rejected).to.be.greaterThan(200);
      expect(accepted + rejected).to.equal(300);
    });
  });
});
