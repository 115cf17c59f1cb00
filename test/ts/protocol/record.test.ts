/**
 * The record encoding (src/protocol/record.ts): `encodeJson`'s fast path for plain data gives exactly the
 * reference encoding (JSON.stringify with the bigint replacer) on random values and on every kind of value the
 * fast path hands back to the reference, `encodeJsonShared` gives each value's own encoding, and `copyData` copies what the encoding round-trips.
 */
import { expect } from "chai";

import { MalformedMessageError } from "../../../src/protocol/errors.js";
import {
  copyData,
  decodeJson,
  decodeJsonWithReviver,
  encodeJson,
  encodeJsonShared,
  encodeJsonWithReplacer,
} from "../../../src/protocol/record.js";
import { prng } from "../sdk/helpers.js";

describe("record encoding (encodeJson, copyData)", () => {
  const random = prng(1212);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const text = (): string =>
    pick(["", "a", "0xabcdef", 'quote " and \\ backslash', "ünïcödé ✓", "line\nbreak", "\u0000\u001f", "__proto__"]);
  const leaf = (): unknown =>
    pick([
      () => BigInt(Math.floor(random() * 1e9)) * (random() < 0.5 ? -1n : 1n) * 10n ** BigInt(Math.floor(random() * 60)),
      () => Math.floor(random() * 1e6) / (random() < 0.5 ? 1 : 7),
      () => text(),
      () => random() < 0.5,
      () => null,
      () => undefined,
      () => -0,
      () => Number.NaN,
    ])();
  const value = (depth: number): unknown => {
    if (depth > 4 || random() < 0.3) return leaf();
    if (random() < 0.4) return Array.from({ length: Math.floor(random() * 5) }, () => value(depth + 1));
    const out: Record<string, unknown> = {};
    for (let i = Math.floor(random() * 6); i > 0; i--)
      out[pick(["a", "nonce", "state", "$n", "x y", "0", "10", "ü"])] = value(depth + 1);
    return out;
  };

  it("gives the reference encoding for 5,000 random plain values", () => {
    for (let k = 0; k < 5_000; k++) {
      const v = value(0);
      expect(encodeJson(v)).to.equal(encodeJsonWithReplacer(v));
    }
  });

  it("gives the reference encoding for values the fast path does not take", () => {
    class Point {
      constructor(
        readonly x: bigint,
        readonly y: number,
      ) {}
    }
    const own = JSON.parse('{"__proto__": {"n": 1}, "b": 2}') as unknown;
    let deep: unknown = { n: 1n };
    for (let i = 0; i < 100; i++) deep = { next: deep, list: [i] };
    const cases: unknown[] = [
      new Date(0),
      { when: new Date(1_000), n: 5n },
      new Uint8Array([1, 2, 3]),
      { bytes: new Uint8Array([4, 5]) },
      new Map([[1, 2]]),
      { p: new Point(3n, 4) },
      { toJSON: () => ({ replaced: 7n }) },
      Object.assign(Object.create(null) as object, { n: 8n }),
      own,
      deep,
      [1n, [2n, [3n]]],
      { boxed: new String("s") },
      { f: () => 1, s: Symbol("s"), u: undefined, n: 9n },
      undefined,
      12n,
    ];
    for (const v of cases) expect(encodeJson(v)).to.equal(encodeJsonWithReplacer(v));
  });

  it("test_encodeJsonShared_givesEachValuesOwnEncoding_withObjectsSharedBetweenThem", () => {
    for (let k = 0; k < 1_000; k++) {
      const shared = [value(1), value(2), { deep: value(3) }];
      const values = Array.from({ length: 1 + Math.floor(random() * 4) }, () =>
        random() < 0.3 ? value(0) : { a: pick(shared), b: [pick(shared), value(2)], n: BigInt(k) },
      );
      values.push(pick(shared), new Date(k), { when: new Date(k), s: pick(shared) });
      expect(encodeJsonShared(values)).to.deep.equal(values.map((v) => encodeJsonWithReplacer(v)));
    }
    const cyclic: Record<string, unknown> = { n: 1n };
    cyclic.self = cyclic;
    expect(() => encodeJsonShared([{ n: 2n }, cyclic])).to.throw(TypeError);
  });

  it("fails on a cycle as the reference does", () => {
    const cyclic: Record<string, unknown> = { n: 1n };
    cyclic.self = cyclic;
    expect(() => encodeJsonWithReplacer(cyclic)).to.throw(TypeError);
    expect(() => encodeJson(cyclic)).to.throw(TypeError);
  });

  it("copies plain data as the encoding round-trips it (copyData)", () => {
    for (let k = 0; k < 2_000; k++) {
      const v = value(0);
      const copy = copyData(v);
      expect(encodeJson(copy)).to.equal(encodeJson(v));
      if (typeof v === "object" && v !== null) expect(copy).to.not.equal(v);
    }
    const nested = { a: { b: [1n, { c: "x" }] } };
    const copy = copyData(nested);
    (nested.a.b[1] as { c: string }).c = "changed";
    expect(decodeJson(encodeJson(copy))).to.deep.equal({ a: { b: [1n, { c: "x" }] } });
  });

  /** decodeJson and the reviver reference on one text: the same value (or both refuse, with the same error class). */
  function sameDecoding(json: string, maxDepth?: number): void {
    let theirs: unknown;
    let theirError: unknown;
    try {
      theirs = decodeJsonWithReviver(json, maxDepth);
    } catch (error) {
      theirError = error;
    }
    if (theirError !== undefined) {
      expect(() => decodeJson(json, maxDepth), json).to.throw(MalformedMessageError);
      return;
    }
    const mine = decodeJson(json, maxDepth);
    expect(mine, json).to.deep.equal(theirs);
    expect(encodeJson(mine)).to.equal(encodeJson(theirs));
    if (typeof mine === "object" && mine !== null)
      expect(Object.getPrototypeOf(mine)).to.equal(Object.getPrototypeOf(theirs));
  }

  it("test_decodeJson_givesTheRevivedValue_onRandomTextsAndBigintLookalikes", () => {
    for (let k = 0; k < 5_000; k++) sameDecoding(encodeJson(value(0)));
    for (const json of [
      '{"$n":"12"}',
      '{"$n":"-0"}',
      '{"$n":"1.5"}',
      '{"$n":12}',
      '{"$n":"12","x":1}',
      '{"$n":{"$n":"3"}}',
      '[{"$n":"99999999999999999999999999999999"},{"$n":""}]',
      '{"__proto__":{"$n":"7"}}',
      '{"__proto__":{"a":{"$n":"7"}},"b":[{"$n":"1"}]}',
      '{"a":{"__proto__":[{"$n":"2"}]}}',
      '"text"',
      "12",
      "null",
      "[]",
      "{}",
    ])
      sameDecoding(json);
    const proto = decodeJson<Record<string, unknown>>('{"__proto__":{"$n":"7"}}');
    expect(Object.getPrototypeOf(proto)).to.equal(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(proto, "__proto__")?.value).to.equal(7n);
  });

  it("test_decodeJson_refusesTooDeepAndMalformedTexts_asTheReferenceDoes", () => {
    for (const depth of [1, 2, 5, 16, 63, 64, 65, 100]) {
      for (const limit of [1, 4, 16, 64]) {
        sameDecoding("[".repeat(depth) + "]".repeat(depth), limit);
        sameDecoding('{"a":'.repeat(depth) + '{"$n":"1"}' + "}".repeat(depth), limit);
      }
    }
    expect(() => decodeJson("[".repeat(65) + "]".repeat(65))).to.throw(MalformedMessageError, /deeper than 64/);
    expect(() => decodeJson("[".repeat(100_000) + "]".repeat(100_000))).to.throw(MalformedMessageError, /deeper/);
    expect(() => decodeJson('{"a":"[[[[[[[[[[[[[[[[[[[["}', 2)).to.not.throw();
    for (const bad of ["", "{", '{"a":}', "[1,]", "01", "undefined"]) sameDecoding(bad);
    expect(() => decodeJson(5 as unknown as string)).to.throw(MalformedMessageError, /expected a string/);
  });
});
