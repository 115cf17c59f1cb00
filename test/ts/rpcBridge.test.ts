/**
 * scripts/lib/rpc-bridge.ts: Hardhat's embedded network on a loopback JSON-RPC port (what the node process and
 * a browser page of the demos talk to): single and batch requests, the provider's error codes kept, CORS for
 * pages, and nothing but POST.
 */
import { Agent, request } from "node:http";

import { expect } from "chai";
import hre from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import { isPortFree } from "../../scripts/lib/local-node.js";
import { type RpcBridge, startRpcBridge } from "../../scripts/lib/rpc-bridge.js";
import { MockERC20__factory } from "../../typechain-types/index.js";

describe("scripts/lib/rpc-bridge.ts (the embedded network on a loopback port)", function () {
  this.timeout(60_000);
  let connection: NetworkConnection;
  let bridge: RpcBridge;

  const post = async (body: string): Promise<unknown> => {
    const response = await fetch(bridge.url, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(response.status).to.equal(200);
    return response.json();
  };

  before(async () => {
    connection = await hre.network.create();
    bridge = await startRpcBridge(connection.provider);
  });

  after(async () => {
    await bridge?.close();
    await connection?.close();
  });

  it("test_rpcBridge_answersSingleAndBatchRequestsInOrder", async () => {
    expect(bridge.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await post(JSON.stringify({ jsonrpc: "2.0", id: 7, method: "eth_chainId", params: [] }))).to.deep.equal({
      jsonrpc: "2.0",
      id: 7,
      result: "0x7a69",
    });
    const batch = (await post(
      JSON.stringify([
        { jsonrpc: "2.0", id: "a", method: "eth_chainId" },
        { jsonrpc: "2.0", id: "b", method: "eth_blockNumber", params: [] },
      ]),
    )) as Array<{ id: string; result: string }>;
    expect(batch.map((b) => b.id)).to.deep.equal(["a", "b"]);
    expect(batch[1]?.result).to.equal(`0x${(await connection.ethers.provider.getBlockNumber()).toString(16)}`);
  });

  it("test_rpcBridge_keepsTheProvidersErrorCodesAndRefusesMalformedRequests", async () => {
    // What the provider itself throws, code and message, is what the bridge answers.
    const direct = async (method: string, params: unknown[]): Promise<{ code: number; message: string }> =>
      connection.provider.request({ method, params }).then(
        () => expect.fail(`${method} succeeded`),
        (e: unknown) => e as { code: number; message: string },
      );
    for (const [id, method, params] of [
      [1, "no_suchMethod", []],
      [2, "eth_getBalance", ["not an address", "latest"]],
    ] as const) {
      const expected = await direct(method, [...params]);
      expect(expected.code).to.be.a("number");
      const answer = (await post(JSON.stringify({ jsonrpc: "2.0", id, method, params }))) as {
        id: number;
        error: { code: number; message: string };
      };
      expect(answer.id).to.equal(id);
      expect(answer.error).to.include({ code: expected.code, message: expected.message });
    }
    // A revert keeps its data: a caller's ethers decodes the custom error from it as from any node.
    const [signer] = await connection.ethers.getSigners();
    if (signer === undefined) throw new Error("no account");
    const token = await new MockERC20__factory(signer).deploy("Test", "TST", 6);
    await token.waitForDeployment();
    const call = {
      from: "0x000000000000000000000000000000000000dEaD",
      to: await token.getAddress(),
      data: token.interface.encodeFunctionData("transfer", [signer.address, 1n]),
    };
    const reverted = (await direct("eth_call", [call, "latest"])) as { code: number; data?: unknown };
    const bridged = (await post(
      JSON.stringify({ jsonrpc: "2.0", id: 4, method: "eth_call", params: [call, "latest"] }),
    )) as {
      error: { code: number; data?: unknown };
    };
    expect(bridged.error.code).to.equal(reverted.code);
    expect(bridged.error.data).to.deep.equal(reverted.data);
    const decoded = token.interface.parseError(
      typeof reverted.data === "string" ? reverted.data : (reverted.data as { data: string }).data,
    );
    expect(decoded?.name).to.equal("ERC20InsufficientBalance");
    const notJson = (await post("{ not json")) as { id: unknown; error: { code: number } };
    expect(notJson.id).to.equal(null);
    expect(notJson.error.code).to.equal(-32700);
    expect(((await post("42")) as { error: { code: number } }).error.code).to.equal(-32600);
    expect(((await post(JSON.stringify({ id: 3 }))) as { error: { code: number } }).error.code).to.equal(-32600);
  });

  it("test_rpcBridge_allowsPagesOfOtherOriginsAndOnlyPost", async () => {
    const preflight = await fetch(bridge.url, { method: "OPTIONS" });
    expect(preflight.status).to.equal(204);
    expect(preflight.headers.get("access-control-allow-origin")).to.equal("*");
    expect(preflight.headers.get("access-control-allow-headers")).to.equal("content-type");
    const get = await fetch(bridge.url);
    expect(get.status).to.equal(405);
    expect(get.headers.get("allow")).to.equal("POST, OPTIONS");
  });

  it("test_rpcBridge_keepsAClientsConnectionForItsNextRequest", async () => {
    // The node's JSON-RPC provider asks the bridge one request after another; a keep-alive agent must get the same
    // socket back (with the old 1 s Keep-Alive hint, Node's agent dropped each socket at once: a connect per request).
    const agent = new Agent({ keepAlive: true });
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId" });
    const once = (): Promise<boolean> =>
      new Promise((resolve, reject) => {
        const req = request(bridge.url, { method: "POST", agent, headers: { "content-type": "application/json" } });
        req.once("response", (res) => {
          res.resume();
          res.once("end", () => resolve(req.reusedSocket));
        });
        req.once("error", reject);
        req.end(body);
      });
    try {
      const reused: boolean[] = [];
      for (let i = 0; i < 4; i++) {
        reused.push(await once());
        await new Promise((r) => setTimeout(r, 20)); // the agent takes the socket back after the response ends
      }
      expect(reused).to.deep.equal([false, true, true, true]);
    } finally {
      agent.destroy();
    }
  });

  it("test_rpcBridge_closeFreesThePort", async () => {
    const other = await startRpcBridge(connection.provider);
    await fetch(other.url, { method: "POST", body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId" }) });
    await other.close();
    expect(await isPortFree(other.port)).to.equal(true);
  });
});
