/**
 * sameDetails (src/channel/fastIntent.ts): a proposal's details identical to the intent let the Channel skip
 * building the intent's transition a second time; anything not identical goes the content-comparing way.
 */
import { expect } from "chai";

import { sameDetails } from "../../../src/channel/fastIntent.js";

const transfer = {
  channel: "0x1111111111111111111111111111111111111111",
  asset: "0x0000000000000000000000000000000000000000",
  amount: 10n ** 15n,
  timeout: 3_600n,
  data: "0xabcdef",
};

describe("sameDetails: a proposal's details exactly an intent's", () => {
  it("test_sameDetails_identicalDataWhateverTheKeyOrderAndUndefinedKeys", () => {
    const intent = { type: "create", transfer };
    expect(sameDetails(intent, { type: "create", transfer: { ...transfer } })).to.equal(true);
    const reordered = { transfer: { data: "0xabcdef", timeout: 3_600n, amount: 10n ** 15n, asset: transfer.asset, channel: transfer.channel }, type: "create" };
    expect(sameDetails(intent, reordered)).to.equal(true);
    expect(sameDetails({ ...intent, route: undefined }, intent)).to.equal(true);
    expect(sameDetails({ type: "reopen", payouts: [{ asset: transfer.asset, alice: 1n, bob: 2n }] }, { type: "reopen", payouts: [{ bob: 2n, alice: 1n, asset: transfer.asset }] })).to.equal(true);
  });

  it("test_sameDetails_anythingNotIdenticalIsNot", () => {
    const intent = { type: "create", transfer };
    expect(sameDetails(intent, { type: "create", transfer: { ...transfer, data: "0xABCDEF" } }), "another case").to.equal(false);
    expect(sameDetails(intent, { type: "create", transfer: { ...transfer, amount: 10n ** 15n + 1n } }), "another amount").to.equal(false);
    expect(sameDetails(intent, { type: "create", transfer: { ...transfer, amount: "1000000000000000" } }), "a string for a bigint").to.equal(false);
    expect(sameDetails(intent, { type: "create", transfer: { ...transfer, salt: "0x01" } }), "an extra key").to.equal(false);
    const { data: _data, ...without } = transfer;
    expect(sameDetails(intent, { type: "create", transfer: without }), "a missing key").to.equal(false);
    expect(sameDetails(intent, { type: "create", transfer: [transfer] }), "an array for an object").to.equal(false);
    expect(sameDetails({ type: "reopen", payouts: [1n] }, { type: "reopen", payouts: [1n, 2n] }), "another length").to.equal(false);
    expect(sameDetails({ type: "x", at: new Date(0) }, { type: "x", at: new Date(0) }), "a class instance").to.equal(false);
    expect(sameDetails({ list: [undefined] }, { list: [undefined] }), "an undefined item").to.equal(false);
    expect(sameDetails(undefined, undefined)).to.equal(false);
    expect(sameDetails(null, { type: "close" })).to.equal(false);
    let deep: Record<string, unknown> = {};
    const top = deep;
    for (let i = 0; i < 40; i++) deep = (deep.next = {}) as Record<string, unknown>;
    expect(sameDetails(top, top), "deeper than any details").to.equal(false);
  });
});
