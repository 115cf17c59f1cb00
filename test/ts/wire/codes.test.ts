/** The wire's error-code table: stable, unique, and covering every typed error the SDK throws. */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { expect } from "chai";

import { ChannelAddressError } from "../../../src/protocol/channelAddress.js";
import { DoubleSignError, NonceError, SignatureError } from "../../../src/protocol/errors.js";
import { WIRE_ERRORS, WireError, isWireErrorName, toWireError, wireErrorName } from "../../../src/wire/codes.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

describe("wire error codes", () => {
  it("test_codes_areUniqueAndRoundTrip", () => {
    const codes = Object.values(WIRE_ERRORS);
    expect(new Set(codes).size).to.equal(codes.length);
    for (const [name, code] of Object.entries(WIRE_ERRORS)) expect(wireErrorName(code)).to.equal(name);
    expect(wireErrorName(12345)).to.equal(undefined);
  });

  it("test_codes_keepTheirPublishedValues", () => {
    expect(WIRE_ERRORS).to.include({
      PARSE_ERROR: -32700,
      INVALID_REQUEST: -32600,
      METHOD_NOT_FOUND: -32601,
      INVALID_PARAMS: -32602,
      INTERNAL_ERROR: -32603,
      UNAUTHORIZED: -32001,
      RATE_LIMITED: -32002,
      PAYLOAD_TOO_LARGE: -32003,
      SHUTTING_DOWN: -32004,
      UNAVAILABLE: -32006,
      CHALLENGE_UNKNOWN: 4001,
      CHALLENGE_EXPIRED: 4002,
      LOGIN_SIGNATURE: 4003,
      ALREADY_AUTHENTICATED: 4004,
      NONCE: 4100,
      DOUBLE_SIGN: 4116,
      CHANNEL_ADDRESS: 4121,
    });
  });

  it("test_everySdkErrorCode_hasAWireCode", async () => {
    const sources = ["src/protocol/errors.ts", "src/protocol/channelAddress.ts", "src/routing/network/errors.ts"];
    const found: string[] = [];
    // The store's own failures (a locked, corrupt, newer or unreachable database, a lost compare-and-set) are
    // the node's business: they name its files and servers, so they cross the wire as INTERNAL_ERROR (an
    // unreachable one as UNAVAILABLE, without its location: the request may be sent again).
    const nodeInternal = new Set(["STORE_LOCKED", "STORE_SCHEMA", "STORE_CORRUPT", "STORE_UNAVAILABLE", "STORE_CONFLICT"]);
    const internal: string[] = [];
    for (const file of sources) {
      const text = await readFile(path.join(ROOT, file), "utf8");
      for (const m of text.matchAll(/super\(\s*"([A-Z_]+)"/g)) found.push(m[1] as string);
      for (const m of text.matchAll(/super\([^\n]*?,\s*"([A-Z_]+)"\s*\);/g)) internal.push(m[1] as string);
    }
    expect(found.length).to.be.greaterThan(20);
    for (const code of found) expect(isWireErrorName(code), code).to.equal(true);
    expect(internal.sort()).to.deep.equal([...nodeInternal].sort());
    for (const code of internal) expect(isWireErrorName(code), code).to.equal(false);
  });

  it("test_toWireError_keepsSdkCausesAndHidesInternalOnes", () => {
    const replayed = toWireError(new NonceError(5n, 3n));
    expect(replayed.rpcCode).to.equal(4100);
    expect(replayed.data.name).to.equal("NONCE");
    expect(replayed.message).to.match(/replayed or stale/);
    expect(toWireError(new DoubleSignError(1n, "0xa", "0xb")).rpcCode).to.equal(4116);
    expect(toWireError(new SignatureError("0x01", "bad")).rpcCode).to.equal(4107);
    expect(toWireError(new ChannelAddressError("salt", "0x", "is bad")).rpcCode).to.equal(4121);
    const internal = toWireError(new Error("ENOENT /var/lib/switchyard/secret"));
    expect(internal.rpcCode).to.equal(-32603);
    expect(internal.message).to.equal("internal error");
    const wire = new WireError("RATE_LIMITED", "slow down", { retryAfterMs: 5 });
    expect(toWireError(wire)).to.equal(wire);
  });
});
