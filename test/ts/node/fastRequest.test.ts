/**
 * The server's fast path for hot requests (src/node/fastRequest.ts) against the schemas it stands in for: on the
 * requests of a real channel's payments (payment.send, channel.propose, channel.acknowledge and their JSON-RPC
 * envelopes), on re-casings, and on thousands of random corruptions, the fast path either leaves the value to zod
 * (undefined) or gives exactly zod's output (same values, same key order); it never accepts what zod refuses.
 * Seeded, so a failure replays.
 */
import { expect } from "chai";

import { fastIncoming, fastParams } from "../../../src/node/fastRequest.js";
import { encodeJson } from "../../../src/protocol/record.js";
import { WireValidationError } from "../../../src/wire/codes.js";
import { IdentifiedError, parseIncoming } from "../../../src/wire/envelope.js";
import { METHODS, type MethodName } from "../../../src/wire/methods.js";
import { CHANNEL, prng, realChannelRun } from "../sdk/helpers.js";
import { mutate as mutateWith, recase, type Json, type MutationMix } from "../utils/mutate.js";

const JUNK: Array<() => Json> = [
  () => null,
  () => undefined,
  () => 0,
  () => -0,
  () => 1.5,
  () => 2 ** 53,
  () => "",
  () => "x".repeat(65),
  () => "x".repeat(129),
  () => "0x",
  () => "0x1",
  () => "0x" + "a".repeat(64),
  () => "0x" + "a".repeat(130),
  () => "0x000000000000000000000000000000000000DeaD",
  () => ({}),
  () => [],
  () => true,
  () => "2.0",
  () => "payment.send",
  () => -1n,
  () => 0n,
  () => 1n << 256n,
  () => Object.create({ inherited: 1 }) as Json,
  () => Object.create(null) as Json,
  () => new Map(),
];

const MIX: MutationMix = { replace: 0.5, remove: 0.65, recase: 0.8, extraKey: "current" };
const mutate = (v: Json, rand: () => number): Json => mutateWith(v, rand, JUNK, MIX);

type Verdict = "fast" | "zod" | "refused";

/** One params value: the fast path declines, or zod accepts with the very same output. */
function agreeParams(method: MethodName, value: Json): Verdict {
  const mine = fastParams(method, value);
  const theirs = METHODS[method].params.safeParse(value);
  if (mine === undefined) return theirs.success ? "zod" : "refused";
  expect(theirs.success, `${method}: the fast path accepted what zod refuses: ${encodeJson(value)}`).to.equal(true);
  if (theirs.success) {
    expect(mine).to.deep.equal(theirs.data);
    expect(encodeJson(mine)).to.equal(encodeJson(theirs.data)); // key order too (a route is stored in the payment)
  }
  return "fast";
}

/** One envelope: the fast path declines, or gives exactly what parseIncoming gives (which then accepts). */
function agreeEnvelope(value: Json): Verdict {
  const mine = fastIncoming(value);
  let theirs: unknown;
  try {
    theirs = parseIncoming(value);
  } catch (error) {
    expect(mine, `the fast path accepted what the schemas refuse: ${encodeJson(value)}`).to.equal(undefined);
    expect(error).to.be.instanceOf(IdentifiedError);
    expect((error as IdentifiedError).error.code).to.equal("INVALID_REQUEST"); // a batch: WireError, else WireValidationError
    if (!Array.isArray(value)) expect((error as IdentifiedError).error).to.be.instanceOf(WireValidationError);
    return "refused";
  }
  if (mine === undefined) return "zod";
  expect(mine).to.deep.equal(theirs);
  expect(encodeJson(mine)).to.equal(encodeJson(theirs));
  return "fast";
}

describe("Server request fast path (fastRequest) against the wire schemas", function () {
  this.timeout(120_000);
  const sends: Json[] = [];
  const proposes: Json[] = [];
  const acks: Json[] = [];

  before(async () => {
    for (const [i, { details: d, ack }] of (await realChannelRun(4)).entries()) {
      acks.push({ ack } as unknown as Json);
      proposes.push({ details: d } as unknown as Json);
      if (d.type === "create") {
        const route = { recipient: CHANNEL, expiry: 1_000n + BigInt(i) };
        sends.push({ details: d, route } as unknown as Json);
        sends.push({ details: d, route: { ...route, amount: d.transfer.amount } } as unknown as Json);
        proposes.push({ details: d, route } as unknown as Json);
      }
    }
  });

  it("test_fastParams_givesZodsOutput_onEveryRequestOfRealPayments", () => {
    for (const s of sends) expect(agreeParams("payment.send", s)).to.equal("fast");
    for (const s of proposes) expect(agreeParams("channel.propose", s)).to.equal("fast");
    for (const a of acks) expect(agreeParams("channel.acknowledge", a)).to.equal("fast");
    // A route with an onward path, a route-less payment.send, another method: always zod's.
    const withPath = { ...(sends[0] as object), route: { recipient: CHANNEL, expiry: 5n, path: [] } };
    expect(agreeParams("payment.send", withPath)).to.equal("zod");
    expect(agreeParams("payment.send", proposes[0])).to.equal("refused");
    expect(fastParams("channel.sync", { nonce: 1n })).to.equal(undefined);
  });

  it("test_fastParams_givesZodsOutput_onRecasedAddresses", () => {
    const rand = prng(15);
    for (let i = 0; i < 200; i++) {
      const copy = structuredClone(sends[i % sends.length]) as { route: { recipient: string } };
      copy.route.recipient = rand() < 0.5 ? copy.route.recipient.toLowerCase() : recase(copy.route.recipient, rand);
      agreeParams("payment.send", copy as unknown as Json);
    }
  });

  it("test_fastParams_neverAcceptsWhatZodRefuses_on6000Corruptions", () => {
    const rand = prng(1515);
    const tally = { fast: 0, zod: 0, refused: 0 };
    for (let i = 0; i < 2000; i++) {
      tally[agreeParams("payment.send", mutate(sends[i % sends.length], rand))]++;
      tally[agreeParams("channel.propose", mutate(proposes[i % proposes.length], rand))]++;
      tally[agreeParams("channel.acknowledge", mutate(acks[i % acks.length], rand))]++;
    }
    expect(tally.refused, JSON.stringify(tally)).to.be.greaterThan(2500);
    expect(tally.fast, JSON.stringify(tally)).to.be.greaterThan(100);
  });

  it("test_fastIncoming_givesParseIncomingsOutput_onEnvelopesAndCorruptions", () => {
    const envelopes: Json[] = [
      { jsonrpc: "2.0", id: 7, method: "payment.send", params: sends[0] },
      { jsonrpc: "2.0", id: 0, method: "channel.acknowledge", params: acks[0] },
      { jsonrpc: "2.0", id: "req-1", method: "node.info" },
      { jsonrpc: "2.0", id: 2 ** 53 - 1, method: "channel.sync", params: { nonce: 3n } },
      { jsonrpc: "2.0", id: -5, method: "x", params: undefined },
      { jsonrpc: "2.0", method: "channel.propose", params: proposes[0] },
      { jsonrpc: "2.0", id: 1, method: "channel.get", extra: 1 },
      [{ jsonrpc: "2.0", id: 1, method: "node.info" }],
    ];
    expect(envelopes.map(agreeEnvelope)).to.deep.equal(["fast", "fast", "fast", "fast", "fast", "zod", "refused", "refused"]);
    const rand = prng(4343);
    const tally = { fast: 0, zod: 0, refused: 0 };
    for (let i = 0; i < 3000; i++) tally[agreeEnvelope(mutate(envelopes[i % envelopes.length], rand))]++;
    for (const junk of JUNK) tally[agreeEnvelope({ jsonrpc: "2.0", id: junk(), method: "node.info" })]++;
    for (const junk of JUNK) tally[agreeEnvelope({ jsonrpc: "2.0", id: 1, method: junk() })]++;
    for (const junk of JUNK) tally[agreeEnvelope({ jsonrpc: junk(), id: 1, method: "node.info" })]++;
    expect(tally.refused, JSON.stringify(tally)).to.be.greaterThan(300);
    expect(tally.fast, JSON.stringify(tally)).to.be.greaterThan(300);
  });
});
