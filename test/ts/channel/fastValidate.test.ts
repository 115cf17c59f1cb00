/**
 * The Channel boundary's fast path (src/channel/fastValidate.ts) against the wire's zod schemas it stands in
 * for: on real proposals, acknowledgements and details, on random re-casings of their hex and addresses, and on
 * thousands of random corruptions, the fast path either leaves the message to zod (undefined) or gives exactly
 * zod's output (same values, same key order); it never accepts what zod refuses. Seeded, so a failure replays.
 */
import { expect } from "chai";
import type { z } from "zod";

import type { Acknowledgement, Proposal } from "../../../src/channel/channel.js";
import { fastAcknowledgement, fastDetails, fastProposal } from "../../../src/channel/fastValidate.js";
import { fastPaymentNotice, fastServerMessage, fastUpdatePush, validateWire } from "../../../src/channel/fastWire.js";
import { checkedProposal } from "../../../src/channel/validate.js";
import { MalformedMessageError } from "../../../src/protocol/errors.js";
import { encodeJson } from "../../../src/protocol/record.js";
import type { UpdateDetails } from "../../../src/protocol/types.js";
import { WireValidationError } from "../../../src/wire/codes.js";
import { parseServerMessage } from "../../../src/wire/envelope.js";
import { paymentNotice, updatePush } from "../../../src/wire/methods.js";
import { acknowledgement, proposal, updateDetails } from "../../../src/wire/schemas.js";
import { CHANNEL, TOKEN, prng, realChannelRun } from "../sdk/helpers.js";
import { mutate as mutateWith, recase, type Json, type MutationMix } from "../utils/mutate.js";

const JUNK: Array<() => Json> = [
  () => null,
  () => undefined,
  () => 0,
  () => 1.5,
  () => "",
  () => "0x",
  () => "0x1",
  () => "0xzz",
  () => "0x" + "a".repeat(131),
  () => "0x" + "a".repeat(130),
  () => "0x" + "A".repeat(64),
  () => "0x" + "a".repeat(40),
  () => "0x000000000000000000000000000000000000DeaD",
  () => ({}),
  () => [],
  () => true,
  () => "alice",
  () => "carol",
  () => "withdraw",
  () => -1n,
  () => 0n,
  () => (1n << 256n) - 1n,
  () => 1n << 256n,
  () => Object.create({ inherited: 1 }) as Json,
  () => Object.create(null) as Json,
  () => new Map(),
];

/** fastValidate's mix: more re-casings (the fast path normalises hex), extra keys on the value itself. */
const MIX: MutationMix = { replace: 0.5, remove: 0.65, recase: 0.8, extraKey: "current" };
const mutate = (v: Json, rand: () => number): Json => mutateWith(v, rand, JUNK, MIX);

/** Checks one value: the fast path is undefined, or zod accepts with the very same output. */
function agree<T>(fast: (v: unknown) => T | undefined, schema: z.ZodType<T>, value: Json): "fast" | "zod" | "refused" {
  const mine = fast(value);
  const theirs = schema.safeParse(value);
  if (mine === undefined) return theirs.success ? "zod" : "refused";
  expect(theirs.success, `the fast path accepted what zod refuses: ${encodeJson(value)}`).to.equal(true);
  if (theirs.success) {
    expect(mine).to.deep.equal(theirs.data);
    expect(encodeJson(mine)).to.equal(encodeJson(theirs.data)); // key order too: the store's JSON is the same
  }
  return "fast";
}

describe("Channel boundary fast path (fastValidate) against the wire schemas", function () {
  this.timeout(120_000);
  const proposals: Proposal[] = [];
  const acks: Acknowledgement[] = [];
  const details: UpdateDetails[] = [];

  before(async () => {
    for (const step of await realChannelRun(6)) {
      proposals.push(step.proposal);
      acks.push(step.ack);
      details.push(step.details);
    }
    details.push({ type: "deposit", asset: TOKEN.toLowerCase(), totalDepositsAlice: 0n, totalDepositsBob: 1n });
  });

  it("test_fastPath_givesZodsOutput_onEveryMessageOfARealChannel", () => {
    for (const p of proposals) expect(agree(fastProposal, proposal, p)).to.equal("fast");
    for (const a of acks) expect(agree(fastAcknowledgement, acknowledgement, a)).to.equal("fast");
    for (const d of details) expect(agree(fastDetails, updateDetails, d)).to.equal("fast");
  });

  it("test_fastPath_givesZodsOutput_onRecasedHexAndAddresses", () => {
    const rand = prng(12);
    for (let i = 0; i < 300; i++) {
      const p = proposals[i % proposals.length] as Proposal;
      const copy = structuredClone(p) as Proposal;
      copy.update.state.transfersRoot = recase(copy.update.state.transfersRoot, rand);
      if (copy.signatures.state !== undefined) copy.signatures.state = recase(copy.signatures.state, rand);
      const asset = copy.update.state.assets[0];
      if (asset !== undefined)
        asset.asset = rand() < 0.5 ? asset.asset.toLowerCase() : asset.asset.toUpperCase().replace("0X", "0x");
      expect(agree(fastProposal, proposal, copy)).to.equal("fast");
    }
  });

  it("test_fastPath_neverAcceptsWhatZodRefuses_on6000Corruptions", () => {
    const rand = prng(2026);
    const tally = { fast: 0, zod: 0, refused: 0 };
    for (let i = 0; i < 2000; i++) {
      tally[agree(fastProposal, proposal, mutate(proposals[i % proposals.length], rand))]++;
      tally[agree(fastAcknowledgement, acknowledgement, mutate(acks[i % acks.length], rand))]++;
      tally[agree(fastDetails, updateDetails, mutate(details[i % details.length], rand))]++;
    }
    expect(tally.refused, JSON.stringify(tally)).to.be.greaterThan(3000); // most corruptions are refusals
    expect(tally.fast, JSON.stringify(tally)).to.be.greaterThan(100); // re-casings and value swaps stay valid
  });

  /** payment.status pushes as the node sends them (docs/PROTOCOL.md), with and without the optional keys. */
  function notices(): Json[] {
    const lockHash = "0x" + "ab".repeat(32);
    const transferId = "0x" + "CD".repeat(32);
    return [
      { lockHash, status: "forwarded", role: "payer" },
      { lockHash, status: "received", role: "payee", transferId, amount: 1_000n },
      { lockHash, status: "completed", role: "payer", amount: 0n },
      { lockHash, status: "refunded", role: "payer", code: "ROUTE_EXHAUSTED", reason: "no route" },
      { lockHash, status: "completed", role: "payer", route: [CHANNEL] },
      { lockHash, status: "completed", role: "payer", transferId, amount: 7n, attempts: [], route: [CHANNEL.toLowerCase()] },
      { lockHash, status: "completed", role: "payer", attempts: [{ path: [CHANNEL], refusedBy: CHANNEL, reason: "no" }], route: [] },
    ];
  }

  it("test_fastPushes_giveZodsOutput_onRealPushesAndCorruptions", () => {
    for (const p of proposals) expect(agree(fastUpdatePush, updatePush, { proposal: p })).to.equal("fast");
    expect(agree(fastUpdatePush, updatePush, { proposal: proposals[0], route: { recipient: CHANNEL } })).to.not.equal(
      "fast",
    );
    const kinds = notices().map((n) => agree(fastPaymentNotice, paymentNotice, n));
    expect(kinds).to.deep.equal(["fast", "fast", "fast", "zod", "fast", "fast", "zod"]);
    const rand = prng(77);
    const tally = { fast: 0, zod: 0, refused: 0 };
    for (let i = 0; i < 1500; i++) {
      tally[agree(fastUpdatePush, updatePush, mutate({ proposal: proposals[i % proposals.length] } as Json, rand))]++;
      tally[agree(fastPaymentNotice, paymentNotice, mutate(notices()[i % 7] as Json, rand))]++;
    }
    expect(tally.refused, JSON.stringify(tally)).to.be.greaterThan(1000);
    expect(tally.fast, JSON.stringify(tally)).to.be.greaterThan(50);
  });

  it("test_fastServerMessage_givesParseServerMessagesOutput_onEnvelopesAndCorruptions", () => {
    const envelopes: Json[] = [
      { jsonrpc: "2.0", id: 7, result: proposals[0] as unknown as Json },
      { jsonrpc: "2.0", id: 0, result: null },
      { jsonrpc: "2.0", id: 2 ** 53 - 1, result: { nonce: 3n } },
      { jsonrpc: "2.0", method: "channel.update", params: { proposal: proposals[1] as unknown as Json } },
      { jsonrpc: "2.0", method: "payment.status" },
      { jsonrpc: "2.0", method: "payment.status", params: notices()[1] as Json, extra: 1 },
      { jsonrpc: "2.0", id: 7, result: 1, extra: "stripped" },
      { jsonrpc: "2.0", id: "a", result: 1 },
      { jsonrpc: "2.0", id: 1, error: { code: -32000, message: "no" } },
    ];
    /** Both agree: the fast path declines, or gives exactly what parseServerMessage gives (which then accepts). */
    const check = (value: Json): "fast" | "slow" | "refused" => {
      const mine = fastServerMessage(value);
      let theirs: unknown;
      try {
        theirs = parseServerMessage(value);
      } catch (error) {
        expect(mine, `the fast path accepted what the schemas refuse: ${encodeJson(value)}`).to.equal(undefined);
        expect(error).to.be.instanceOf(WireValidationError);
        return "refused";
      }
      if (mine === undefined) return "slow";
      expect(mine).to.deep.equal(theirs);
      expect(encodeJson(mine)).to.equal(encodeJson(theirs));
      return "fast";
    };
    expect(envelopes.map(check)).to.deep.equal([
      "fast",
      "fast",
      "fast",
      "fast",
      "fast",
      "fast",
      "fast",
      "slow",
      "slow",
    ]);
    const rand = prng(4242);
    const tally = { fast: 0, slow: 0, refused: 0 };
    for (let i = 0; i < 3000; i++) tally[check(mutate(envelopes[i % envelopes.length] as Json, rand))]++;
    for (const junk of JUNK) tally[check({ jsonrpc: "2.0", id: junk(), result: 1 })]++;
    for (const junk of JUNK) tally[check({ jsonrpc: "2.0", method: junk(), params: 1 })]++;
    expect(tally.refused, JSON.stringify(tally)).to.be.greaterThan(300);
    expect(tally.fast, JSON.stringify(tally)).to.be.greaterThan(300);
  });

  it("test_validateWire_refusesWithTheSchemasError_whenTheFastPathDeclines", () => {
    const bad = { lockHash: "0x12", status: "completed", role: "payer" };
    expect(fastPaymentNotice(bad)).to.equal(undefined);
    try {
      validateWire(paymentNotice, bad, "payment.status");
      expect.fail("expected WireValidationError");
    } catch (error) {
      expect(error).to.be.instanceOf(WireValidationError);
      expect(String((error as Error).message)).to.contain("payment.status is invalid (lockHash:");
    }
    expect(validateWire(proposal, proposals[2], "proposal")).to.deep.equal(proposal.parse(proposals[2]));
  });

  it("test_checkedProposal_refusesWithTheSchemasError_whenTheFastPathDeclines", () => {
    const p = structuredClone(proposals[1]) as Proposal;
    (p.update.state as unknown as Record<string, unknown>).nonce = 5; // a JS number where a bigint belongs
    expect(fastProposal(p)).to.equal(undefined);
    try {
      checkedProposal(p, CHANNEL);
      expect.fail("expected MalformedMessageError");
    } catch (error) {
      expect(error).to.be.instanceOf(MalformedMessageError);
      expect(String((error as Error).message)).to.contain("update.state.nonce");
    }
  });
});
