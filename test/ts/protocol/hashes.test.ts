/**
 * The hashing backends (src/protocol/hashes.ts): the WebAssembly keccak256 and sha256 (hash-wasm) give the
 * same bytes as ethers' (@noble/hashes) on every length around the keccak and sha256 block boundaries and on
 * random inputs, and every SDK digest is the same on both (the parity tests against the contracts run on
 * whichever is active).
 */
import { createHash } from "node:crypto";

import { expect } from "chai";
import { ZeroAddress, id, keccak256, sha256 } from "ethers";

import { stateDigest } from "../../../src/protocol/digests.js";
import { hashingBackend, hashingReady, keccakBytes, setHashingBackend, sha256Bytes } from "../../../src/protocol/hashes.js";
import { IncrementalMerkleTree } from "../../../src/protocol/merkle.js";
import { hashlockLock } from "../../../src/protocol/resolvers.js";
import { transferId } from "../../../src/protocol/transfers.js";
import { hashlockTransfer } from "../sdk/helpers.js";

function bytes(label: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let offset = 0, i = 0; offset < length; offset += 32, i++) {
    out.set(createHash("sha256").update(`${label}:${i}`).digest().subarray(0, Math.min(32, length - offset)), offset);
  }
  return out;
}

describe("hashing backends (src/protocol/hashes.ts)", () => {
  after(() => setHashingBackend("wasm"));

  it("test_hashingReady_switchesToWasm", async () => {
    expect(await hashingReady()).to.equal("wasm");
    expect(hashingBackend()).to.equal("wasm");
  });

  it("test_wasmKeccakAndSha256_matchEthers_onEveryLengthTo400AndRandomInputs", async () => {
    await setHashingBackend("wasm");
    const inputs: Uint8Array[] = [];
    for (let length = 0; length <= 400; length++) inputs.push(bytes(`len ${length}`, length));
    for (let i = 0; i < 1_000; i++) inputs.push(bytes(`random ${i}`, (i * 37) % 1_100));
    for (const data of inputs) {
      if (keccakBytes(data) !== keccak256(data)) expect.fail(`keccak of ${data.length} bytes`);
      if (sha256Bytes(data) !== sha256(data)) expect.fail(`sha256 of ${data.length} bytes`);
    }
  });

  it("test_sdkDigests_areTheSameOnBothBackends", async () => {
    const state = {
      nonce: 9n,
      timeout: 86_400n,
      transfersRoot: id("root"),
      assets: [{ asset: ZeroAddress, balanceAlice: 5n, balanceBob: 7n, processedAlice: 5n, processedBob: 7n, defundNonce: 1n }],
    };
    const leaves = Array.from({ length: 37 }, (_, i) => id(`leaf ${i}`));
    const compute = (): string[] => {
      const tree = IncrementalMerkleTree.fromLeaves(leaves);
      return [
        stateDigest(31337n, "0x00000000000000000000000000000000000c0ffe", state),
        transferId(hashlockTransfer(3)),
        hashlockLock(id("preimage")),
        tree.root,
        ...tree.proof(leaves[5] as string),
      ];
    };
    await setHashingBackend("js");
    expect(hashingBackend()).to.equal("js");
    const onJs = compute();
    await setHashingBackend("wasm");
    expect(hashingBackend()).to.equal("wasm");
    expect(compute()).to.deep.equal(onJs);
  });

  it("test_setHashingBackend_rejectsAnUnknownName", async () => {
    const error = await setHashingBackend("gpu" as "js").catch((e: unknown) => e);
    expect(error).to.be.instanceOf(TypeError);
  });
});
