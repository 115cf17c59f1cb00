/**
 * src/protocol/random.ts: pooled 32-byte words from getRandomValues: the right shape, never handed out twice
 * (across many pool refills), drawn 32 to a getRandomValues call, and spread over every byte value.
 */
import { expect } from "chai";

import { randomWord } from "../../../src/protocol/random.js";
import { randomPreimage } from "../../../src/protocol/resolvers.js";

describe("random words (pooled CSPRNG)", () => {
  it("test_randomWord_givesDistinct32ByteWords_acrossPoolRefills", () => {
    const seen = new Set<string>();
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const w = i % 2 === 0 ? randomWord() : randomPreimage();
      expect(w).to.match(/^0x[0-9a-f]{64}$/);
      expect(seen.has(w), `word ${i} repeated`).to.equal(false);
      seen.add(w);
      for (let k = 2; k < 66; k += 2) counts[parseInt(w.slice(k, k + 2), 16)]!++;
    }
    // 320,000 bytes: each of the 256 values ~1,250 times; a stuck or zeroed pool would show far off that.
    expect(Math.min(...counts)).to.be.greaterThan(1_000);
    expect(Math.max(...counts)).to.be.lessThan(1_500);
  });

  it("test_randomWord_drawsFromGetRandomValues_inBatches", () => {
    const original = globalThis.crypto.getRandomValues.bind(globalThis.crypto);
    let calls = 0;
    const spy = <T extends ArrayBufferView | null>(array: T): T => {
      calls++;
      return original(array as never) as T;
    };
    Object.defineProperty(globalThis.crypto, "getRandomValues", { value: spy, configurable: true, writable: true });
    try {
      for (let i = 0; i < 320; i++) randomWord();
    } finally {
      Object.defineProperty(globalThis.crypto, "getRandomValues", {
        value: original,
        configurable: true,
        writable: true,
      });
    }
    expect(calls).to.be.within(10, 11); // 32 words a call
  });
});
