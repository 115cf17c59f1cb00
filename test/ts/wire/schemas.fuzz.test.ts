/**
 * The wire's decoder and schemas against random and mutated messages: whatever arrives, the only error is a
 * typed WireError (PARSE_ERROR, PAYLOAD_TOO_LARGE, INVALID_PARAMS); what passes validation has the SDK's types,
 * and the state machine given it throws only typed SDK errors. Seeded, so a failure replays.
 */
import { expect } from "chai";
import { ZeroAddress } from "ethers";

import { Channel, type Proposal } from "../../../src/channel/channel.js";
import { SwitchyardError } from "../../../src/protocol/errors.js";
import { cloneRecord, encodeJson } from "../../../src/protocol/record.js";
import { MemoryChannelStore } from "../../../src/stores/store.js";
import { WireError, WireValidationError } from "../../../src/wire/codes.js";
import { decodeMessage, DEFAULT_DECODE_LIMITS } from "../../../src/wire/envelope.js";
import { acknowledgement, proposal as proposalSchema, validate } from "../../../src/wire/schemas.js";
import { CHANNEL, config, fund, hashlockTransfer, pair, prng } from "../sdk/helpers.js";
import { mutate as mutateWith, type Json } from "../utils/mutate.js";


const JUNK: Array<() => Json> = [
  () => null,
  () => 0,
  () => -1,
  () => 1.5,
  () => Number.MAX_SAFE_INTEGER + 2,
  () => "",
  () => "0x",
  () => "0x1",
  () => "0xzz",
  () => "0x" + "a".repeat(131),
  () => "0x" + "a".repeat(128),
  () => "x".repeat(10_000),
  () => ({}),
  () => [],
  () => true,
  () => "alice",
  () => "carol",
  () => -1n,
  () => 1n << 256n,
  () => ({ $n: "12e3" }),
  () => ({ $n: 5 }),
  () => nest(12),
  () => ({ __proto__: { polluted: true } }),
  () => ({ constructor: "x", toString: 1 }),
  () => "0x000000000000000000000000000000000000dEaD".toLowerCase().replace("dead", "DeaD"),
];

/** An array nested `depth` levels deep (no cycles: JSON cannot carry them). */
function nest(depth: number): Json {
  let v: Json = 0;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

const mutate = (v: Json, rand: () => number): Json => mutateWith(v, rand, JUNK);

/** A random edit of the text itself: a character replaced, inserted, or the text cut. */
function mangle(text: string, rand: () => number): string {
  const at = Math.floor(rand() * text.length);
  const chars = '{}[]":,\\0x9-e"$n ';
  const c = chars[Math.floor(rand() * chars.length)] as string;
  const r = rand();
  if (r < 0.4) return text.slice(0, at) + c + text.slice(at + 1);
  if (r < 0.8) return text.slice(0, at) + c + text.slice(at);
  return text.slice(0, at);
}

/** Decode then validate: returns the proposal, or the WireError. Anything else thrown fails the test. */
function pipeline(text: string): Proposal | WireError {
  try {
    return validate(proposalSchema, decodeMessage(text), "proposal");
  } catch (error) {
    if (error instanceof WireError) return error;
    throw new Error(`untyped error ${String(error)} for ${text.slice(0, 200)}`);
  }
}

describe("wire schemas (fuzz)", function () {
  this.timeout(120_000);
  let base: Proposal;
  let bobRecordStore: MemoryChannelStore;

  before(async () => {
    const p = await pair();
    await fund(p);
    base = await p.alice.propose({ type: "create", transfer: hashlockTransfer(1) });
    bobRecordStore = p.bobStore as MemoryChannelStore;
  });

  /** A fresh bob at the funded state (so each accepted message is checked against the same state). */
  async function freshBob(): Promise<Channel> {
    const record = await bobRecordStore.load(CHANNEL);
    if (record === undefined) throw new Error("no record");
    const store = new MemoryChannelStore();
    await store.create(cloneRecord(record));
    return Channel.open(config("bob", store));
  }

  it("test_proposal_roundTripsAndIsAccepted", async () => {
    const parsed = pipeline(encodeJson(base));
    expect(parsed).not.to.be.instanceOf(WireError);
    const ack = await (await freshBob()).receive(parsed as Proposal);
    expect(ack.nonce).to.equal(base.update.state.nonce);
  });

  it("test_proposal_mutationsGiveOnlyTypedErrors", async () => {
    const rand = prng(0x5eed);
    const baseValue = JSON.parse(encodeJson(base)) as Json;
    let refused = 0;
    let reachedStateMachine = 0;
    for (let i = 0; i < 1000; i++) {
      const text = encodeJson(mutate(baseValue, rand));
      const result = pipeline(text);
      if (result instanceof WireError) {
        expect(result.code).to.be.oneOf(["INVALID_PARAMS", "PARSE_ERROR"]);
        refused++;
        continue;
      }
      // It passed the schemas: the state machine may refuse it, but only with a typed SDK error.
      reachedStateMachine++;
      if (reachedStateMachine > 60) continue;
      try {
        await (await freshBob()).receive(result);
      } catch (error) {
        expect(error, String(error)).to.be.instanceOf(SwitchyardError);
      }
    }
    expect(refused).to.be.greaterThan(600);
    expect(reachedStateMachine).to.be.greaterThan(0);
  });

  it("test_proposal_mangledTextGivesOnlyTypedErrors", () => {
    const rand = prng(0xbad);
    const text = encodeJson(base);
    let parseErrors = 0;
    for (let i = 0; i < 2000; i++) {
      const result = pipeline(mangle(text, rand));
      if (result instanceof WireError && result.code === "PARSE_ERROR") parseErrors++;
    }
    expect(parseErrors).to.be.greaterThan(600);
  });

  it("test_decodeMessage_refusesDeepNestingWithoutRecursing", () => {
    const deep = "[".repeat(30_000) + "]".repeat(30_000);
    const error = pipeline(deep);
    expect(error).to.be.instanceOf(WireError);
    expect((error as WireError).code).to.equal("PARSE_ERROR");
    expect(pipeline(`{"a":${"[".repeat(17)}${"]".repeat(17)}}`)).to.have.property("code", "PARSE_ERROR");
    // brackets inside strings do not count
    expect(() => decodeMessage(JSON.stringify({ s: "[".repeat(100) }))).not.to.throw();
  });

  it("test_decodeMessage_refusesOversizedText", () => {
    const big = JSON.stringify({ s: "a".repeat(DEFAULT_DECODE_LIMITS.maxLength) });
    expect(pipeline(big)).to.have.property("code", "PAYLOAD_TOO_LARGE");
  });

  it("test_validate_namesThePathOfEachIssue", () => {
    const value = JSON.parse(encodeJson(base)) as { update: { state: { nonce: unknown; transfersRoot: string } } };
    value.update.state.nonce = 3; // a JSON number where a bigint is expected
    value.update.state.transfersRoot = "0x123"; // odd-length hex
    const error = pipeline(JSON.stringify(value));
    expect(error).to.be.instanceOf(WireValidationError);
    const paths = (error as WireValidationError).issues.map((i) => i.path);
    expect(paths).to.include.members(["update.state.nonce", "update.state.transfersRoot"]);
  });

  it("test_validate_refusesNullShortSignaturesUnknownKeysAndNegativeAmounts", () => {
    expect(pipeline("null")).to.be.instanceOf(WireValidationError);
    const short = structuredClone(JSON.parse(encodeJson(base))) as { signatures: { state: string } };
    short.signatures.state = short.signatures.state.slice(0, 130); // 64 bytes
    expect(pipeline(JSON.stringify(short))).to.be.instanceOf(WireValidationError);
    const extra = JSON.parse(encodeJson(base)) as Record<string, unknown>;
    extra.admin = true;
    expect(pipeline(JSON.stringify(extra))).to.be.instanceOf(WireValidationError);
    const negative = JSON.parse(encodeJson(base)) as { update: { details: { transfer: { amount: unknown } } } };
    negative.update.details.transfer.amount = { $n: "-5" };
    expect(pipeline(JSON.stringify(negative))).to.be.instanceOf(WireValidationError);
    const badChecksum = JSON.parse(encodeJson(base)) as { update: { details: { transfer: { asset: string } } } };
    badChecksum.update.details.transfer.asset = "0x000000000000000000000000000000000000dEAd";
    expect(pipeline(JSON.stringify(badChecksum))).to.be.instanceOf(WireValidationError);
  });

  it("test_validate_normalisesAddressesAndHex", () => {
    const value = JSON.parse(encodeJson(base)) as {
      update: { details: { transfer: { asset: string; salt: string } } };
    };
    value.update.details.transfer.asset = ZeroAddress.toUpperCase().replace("0X", "0x");
    value.update.details.transfer.salt = value.update.details.transfer.salt.toUpperCase().replace("0X", "0x");
    const parsed = pipeline(JSON.stringify(value)) as Proposal;
    expect(parsed).not.to.be.instanceOf(WireError);
    const d = parsed.update.details;
    expect(d.type === "create" && d.transfer.asset).to.equal(ZeroAddress);
    expect(d.type === "create" && d.transfer.salt).to.equal(d.type === "create" ? d.transfer.salt.toLowerCase() : "");
  });

  it("test_acknowledgement_refusesNumberNonce", () => {
    expect(() => validate(acknowledgement, { nonce: 1, signatures: {} }, "ack")).to.throw(WireValidationError);
    expect(validate(acknowledgement, { nonce: 1n, signatures: {} }, "ack").nonce).to.equal(1n);
  });
});
