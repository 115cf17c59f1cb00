/**
 * The node as its own process over real sockets (anvil as the chain): the HTTP routes, login over the
 * WebSocket (EOA and ERC-1271, replayed, cross-connection, wrong-key and wrong-domain challenges), every bad
 * input of issue 13's list answered with its stable code and logged, the rate limit and the misbehaviour
 * disconnection, and other clients unaffected throughout.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import { ContractFactory, JsonRpcProvider, TypedDataEncoder, type InterfaceAbi } from "ethers";

import { sleep, type LocalNode } from "../../../scripts/lib/local-node.js";
import { computeChannelAddress } from "../../../src/protocol/channelAddress.js";
import { walletSigner, type ChannelSigner } from "../../../src/protocol/signing.js";
import type { WireClient } from "../../../src/wire/client.js";
import { RemoteError, WIRE_ERRORS } from "../../../src/wire/codes.js";
import { LOGIN_TYPES, loginSignRequest } from "../../../src/wire/login.js";
import { prng } from "../sdk/helpers.js";
import {
  ADDRESSES,
  ROOT,
  clientWallet,
  connect,
  get,
  nodeWallet,
  otherWallet,
  rawSocket,
  startChain,
  startNodeProcess,
  writeConfig,
  type NodeProcess,
} from "./harness.js";

async function refused(promise: Promise<unknown>): Promise<RemoteError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(RemoteError);
    return error as RemoteError;
  }
  throw new Error("expected a JSON-RPC error");
}

function errorOf(message: Record<string, unknown>): {
  code: number;
  message: string;
  data: { name: string; requestId: string; issues?: Array<{ path: string }>; retryAfterMs?: number };
} {
  expect(message, JSON.stringify(message)).to.have.property("error");
  return message.error as never;
}

describe("node service (own process, real sockets)", function () {
  this.timeout(120_000);
  let chain: LocalNode;
  let node: NodeProcess;
  let steady: WireClient;

  before(async () => {
    chain = await startChain();
    const config = await writeConfig(chain.url, { wire: { ratePerSecond: 20, burst: 20, misbehaviourLimit: 10 } });
    node = await startNodeProcess(config);
    // A well-behaved client that stays logged in while the others misbehave.
    steady = await connect(node.ws);
    await steady.login(walletSigner(otherWallet));
  });

  after(async () => {
    await steady?.close();
    await node?.stop();
    await chain?.stop();
  });

  /** The steady client still gets answers (bad inputs elsewhere never affect it). */
  async function steadyStillServed(): Promise<void> {
    const info = await steady.request("node.info");
    expect(info.node).to.equal(nodeWallet.address);
  }

  describe("HTTP", () => {
    it("test_health_and_ready_answer200", async () => {
      expect((await get(`${node.http}/health`)).status).to.equal(200);
      const ready = await get(`${node.http}/ready`);
      expect(ready.status).to.equal(200);
      expect(JSON.parse(ready.text)).to.deep.equal({ ready: true, reasons: [] });
    });

    it("test_info_describesNodeChainDeploymentLimitsFeesResolvers", async () => {
      const res = await get(`${node.http}/v1/info`);
      expect(res.status).to.equal(200);
      expect(res.type).to.match(/^application\/json/);
      const info = JSON.parse(res.text) as Record<string, unknown>;
      expect(info.node).to.equal(nodeWallet.address);
      expect(info.chainId).to.deep.equal({ $n: "31337" });
      expect(info.deployment).to.deep.equal(ADDRESSES);
      expect(info.limits).to.deep.equal({
        minTimeout: { $n: "3600" },
        maxTimeout: { $n: "2592000" },
        assets: [
          {
            asset: "0x0000000000000000000000000000000000000000",
            channelCapacity: { $n: "100000000000000000000" },
            transferCap: { $n: "10000000000000000000" },
          },
        ],
      });
      expect(info.fees).to.deep.equal({ default: { flat: { $n: "1" }, ppm: { $n: "100" } }, assets: [] });
      expect(info.resolvers).to.deep.equal([
        { name: "hashlock", address: ADDRESSES.HashlockResolver },
        { name: "signed-transfer", address: ADDRESSES.SignedTransferResolver },
      ]);
      expect(info.methods).to.deep.equal([
        "auth.challenge",
        "auth.login",
        "node.info",
        "channel.get",
        "channel.propose",
        "channel.acknowledge",
        "channel.sync",
        "channel.restore",
        "payment.send",
        "channel.requestCollateral",
      ]);
    });

    it("test_metrics_exposesTransportAndPlannedMetricNames", async () => {
      const res = await get(`${node.http}/metrics`);
      expect(res.status).to.equal(200);
      expect(res.type).to.match(/^text\/plain/);
      for (const name of [
        "switchyard_connected_clients",
        "switchyard_authenticated_clients",
        "switchyard_rpc_requests_total",
        "switchyard_rpc_request_duration_seconds",
        "switchyard_logins_total",
        "switchyard_disconnects_total",
        "switchyard_updates_total",
        "switchyard_payments_routed_total",
        "switchyard_payments_failed_total",
        "switchyard_store_commit_duration_seconds",
        "switchyard_collateral",
        "switchyard_process_resident_memory_bytes",
      ]) {
        expect(res.text, name).to.contain(`# TYPE ${name} `);
      }
      expect(res.text).to.match(/^switchyard_connected_clients [1-9]\d*$/m);
      expect(res.text).to.match(/^switchyard_authenticated_clients [1-9]\d*$/m);
      expect(res.text).to.match(/^switchyard_rpc_requests_total\{method="auth.login",outcome="ok"\} [1-9]/m);
      expect(res.text).to.match(/^switchyard_rpc_request_duration_seconds_count\{method="auth.challenge"\} [1-9]/m);
    });

    it("test_unknownPathAndMethod_answer404And405", async () => {
      expect((await get(`${node.http}/v2/info`)).status).to.equal(404);
      expect((await get(`${node.http}/v1/info`, { method: "POST", body: "{}" })).status).to.equal(405);
      const wrongPath = await rawSocket(node.ws.replace("/v1", "/v0")).then(
        () => "opened",
        (error: Error) => error.message,
      );
      expect(wrongPath).to.match(/404/);
    });
  });

  describe("login", () => {
    it("test_login_eoa_thenChannelGetComputesTheCreate2Address", async () => {
      const client = await connect(node.ws);
      expect(await client.login(walletSigner(clientWallet))).to.equal(clientWallet.address);
      const channel = await client.request("channel.get");
      const expected = computeChannelAddress(
        ADDRESSES.ChannelFactory,
        ADDRESSES.ChannelMastercopy,
        nodeWallet.address,
        clientWallet.address,
        "0x" + "00".repeat(32),
      );
      expect(channel.channel).to.equal(expected);
      expect(channel.alice).to.equal(nodeWallet.address);
      expect(channel.bob).to.equal(clientWallet.address);
      expect(channel.nonce).to.equal(0n);
      expect(channel.store).to.equal("sqlite");
      // the same channel on a second call and on a second connection of the same address
      expect((await client.request("channel.get")).channel).to.equal(expected);
      const again = await connect(node.ws);
      await again.login(walletSigner(clientWallet));
      expect((await again.request("channel.get")).channel).to.equal(expected);
      await Promise.all([client.close(), again.close()]);
    });

    it("test_everyMethodButAuth_isRefusedBeforeLogin", async () => {
      const client = await connect(node.ws);
      for (const method of ["node.info", "channel.get"] as const) {
        const error = await refused(client.request(method));
        expect(error.code).to.equal("UNAUTHORIZED");
        expect(error.rpcCode).to.equal(WIRE_ERRORS.UNAUTHORIZED);
      }
      await client.close();
    });

    it("test_login_wrongKey_isRefusedAndUsesTheChallengeUp", async () => {
      const client = await connect(node.ws);
      const challenge = await client.request("auth.challenge", { address: clientWallet.address });
      const wrong = await walletSigner(otherWallet).sign(loginSignRequest(challenge));
      const error = await refused(client.request("auth.login", { nonce: challenge.message.nonce, signature: wrong }));
      expect(error.code).to.equal("LOGIN_SIGNATURE");
      expect(error.rpcCode).to.equal(4003);
      const right = await walletSigner(clientWallet).sign(loginSignRequest(challenge));
      expect(
        (await refused(client.request("auth.login", { nonce: challenge.message.nonce, signature: right }))).code,
      ).to.equal("CHALLENGE_UNKNOWN");
      expect((await refused(client.request("channel.get"))).code).to.equal("UNAUTHORIZED");
      await client.close();
    });

    it("test_login_challengeOfAnotherConnection_isRefused", async () => {
      const a = await connect(node.ws);
      const b = await connect(node.ws);
      const challenge = await a.request("auth.challenge", { address: clientWallet.address });
      const signature = await walletSigner(clientWallet).sign(loginSignRequest(challenge));
      expect((await refused(b.request("auth.login", { nonce: challenge.message.nonce, signature }))).code).to.equal(
        "CHALLENGE_UNKNOWN",
      );
      expect((await refused(b.request("channel.get"))).code).to.equal("UNAUTHORIZED");
      // the challenge is still good where it was issued
      expect((await a.request("auth.login", { nonce: challenge.message.nonce, signature })).address).to.equal(
        clientWallet.address,
      );
      // replayed after use: refused on its own connection and on any other
      expect((await refused(a.request("auth.login", { nonce: challenge.message.nonce, signature }))).code).to.equal(
        "ALREADY_AUTHENTICATED",
      );
      const c = await connect(node.ws);
      expect((await refused(c.request("auth.login", { nonce: challenge.message.nonce, signature }))).code).to.equal(
        "CHALLENGE_UNKNOWN",
      );
      // a logged-in connection cannot be re-bound to another address
      expect((await refused(a.request("auth.challenge", { address: otherWallet.address }))).code).to.equal(
        "ALREADY_AUTHENTICATED",
      );
      await Promise.all([a.close(), b.close(), c.close()]);
    });

    it("test_login_signatureForAnotherDomain_isRefused", async () => {
      const client = await connect(node.ws);
      const challenge = await client.request("auth.challenge", { address: clientWallet.address });
      expect(challenge.domain).to.deep.equal({
        name: "Switchyard test node",
        version: "1",
        chainId: 31337n,
        verifyingContract: nodeWallet.address,
      });
      const otherChain = { ...challenge.domain, chainId: 1n };
      const digest = TypedDataEncoder.hash(otherChain, LOGIN_TYPES, challenge.message);
      const signature = clientWallet.signingKey.sign(digest).serialized;
      expect(
        (await refused(client.request("auth.login", { nonce: challenge.message.nonce, signature }))).code,
      ).to.equal("LOGIN_SIGNATURE");
      await client.close();
    });

    it("test_login_erc1271Account_isVerifiedOnChain", async () => {
      const artifactPath = path.join(
        ROOT,
        "artifacts/contracts/test/mocks/MockERC1271Wallet.sol/MockERC1271Wallet.json",
      );
      const artifact = JSON.parse(await readFile(artifactPath, "utf8")) as { abi: InterfaceAbi; bytecode: string };
      const provider = new JsonRpcProvider(chain.url, 31337, { staticNetwork: true });
      const deployer = await provider.getSigner(0);
      const wallet = await new ContractFactory(artifact.abi, artifact.bytecode, deployer).deploy(clientWallet.address);
      await wallet.waitForDeployment();
      const account = await wallet.getAddress();
      const signedBy = (owner: typeof clientWallet): ChannelSigner => ({
        address: account,
        sign: async (request) => owner.signingKey.sign(request.digest).serialized,
      });
      const refusedClient = await connect(node.ws);
      expect((await refused(refusedClient.login(signedBy(otherWallet)))).code).to.equal("LOGIN_SIGNATURE");
      const client = await connect(node.ws);
      expect(await client.login(signedBy(clientWallet))).to.equal(account);
      expect((await client.request("channel.get")).bob).to.equal(account);
      provider.destroy();
      await Promise.all([client.close(), refusedClient.close()]);
    });
  });

  describe("bad input (each answered with its stable code, logged, others unaffected)", () => {
    const cases: Array<{ name: string; send: string | Buffer; binary?: boolean; code: number; id?: unknown }> = [
      { name: "malformed JSON", send: "{not json", code: -32700, id: null },
      { name: "truncated JSON", send: '{"jsonrpc":"2.0","id":5,"method":"node.info"', code: -32700, id: null },
      { name: "a batch", send: '[{"jsonrpc":"2.0","id":1,"method":"node.info"}]', code: -32600, id: null },
      { name: "a wrong envelope", send: '{"jsonrpc":"1.0","id":7,"method":"node.info"}', code: -32600, id: 7 },
      { name: "an unknown method", send: '{"jsonrpc":"2.0","id":8,"method":"admin.shutdown"}', code: -32601, id: 8 },
      {
        name: "wrong parameter types",
        send: '{"jsonrpc":"2.0","id":9,"method":"auth.challenge","params":{"address":12}}',
        code: -32602,
        id: 9,
      },
      {
        name: "odd-length hex",
        send: '{"jsonrpc":"2.0","id":10,"method":"auth.login","params":{"nonce":"0x123","signature":"0x00"}}',
        code: -32602,
        id: 10,
      },
      {
        name: "an unknown parameter",
        send: '{"jsonrpc":"2.0","id":"n","method":"auth.challenge","params":{"address":"0x0000000000000000000000000000000000000001","x":1}}',
        code: -32602,
        id: "n",
      },
      {
        name: "a request before login",
        send: '{"jsonrpc":"2.0","id":11,"method":"channel.get"}',
        code: -32001,
        id: 11,
      },
      {
        name: "a message over the size limit",
        send: JSON.stringify({ jsonrpc: "2.0", id: 12, method: "node.info", params: { pad: "a".repeat(70_000) } }),
        code: -32003,
        id: null,
      },
      {
        name: "too deep a nesting",
        send: `{"jsonrpc":"2.0","id":13,"method":"node.info","params":${"[".repeat(40)}${"]".repeat(40)}}`,
        code: -32700,
        id: null,
      },
      {
        name: "a binary frame",
        send: Buffer.from('{"jsonrpc":"2.0","id":14,"method":"node.info"}'),
        binary: true,
        code: -32600,
        id: null,
      },
      { name: "null", send: "null", code: -32600, id: null },
    ];
    for (const c of cases) {
      it(`test_badInput_${c.name.replace(/\W+/g, "_")}_answers${c.code}`, async () => {
        const raw = await rawSocket(node.ws);
        const answer = await raw.ask(c.send, c.binary);
        const error = errorOf(answer);
        expect(error.code).to.equal(c.code);
        expect(answer.id).to.deep.equal(c.id);
        expect(error.data.requestId).to.match(/^c\d+\.\d+$/);
        if (c.code === -32602) expect(error.data.issues?.length).to.be.greaterThan(0);
        // logged with its request id and name
        const logged = await node.waitForLog((l) => l.requestId === error.data.requestId);
        expect(logged, node.output().slice(-2000)).to.include({ error: error.data.name, code: c.code });
        raw.socket.close();
        await steadyStillServed();
      });
    }

    it("test_badInput_paramsIssuesNameThePath", async () => {
      const raw = await rawSocket(node.ws);
      const error = errorOf(
        await raw.ask('{"jsonrpc":"2.0","id":1,"method":"auth.challenge","params":{"address":"0x12"}}'),
      );
      expect(error.data.issues?.[0]?.path).to.equal("address");
      raw.socket.close();
    });

    it("test_repeatedBadMessages_disconnectTheClient", async () => {
      const raw = await rawSocket(node.ws);
      for (let i = 0; i < 10; i++) raw.socket.send("{bad");
      const closed = await raw.closed;
      expect(closed.code).to.equal(1008);
      expect(raw.messages.length).to.equal(10);
      expect(raw.messages.every((m) => (m.error as { code: number }).code === -32700)).to.equal(true);
      await steadyStillServed();
      const metrics = await get(`${node.http}/metrics`);
      expect(metrics.text).to.match(/^switchyard_disconnects_total\{reason="misbehaviour"\} [1-9]/m);
    });

    it("test_flood_isRateLimitedThenDisconnected", async () => {
      const raw = await rawSocket(node.ws);
      const request = (i: number): string =>
        JSON.stringify({ jsonrpc: "2.0", id: i, method: "auth.challenge", params: { address: clientWallet.address } });
      for (let i = 0; i < 60; i++) raw.socket.send(request(i));
      const closed = await raw.closed;
      expect(closed.code).to.equal(1008);
      const ok = raw.messages.filter((m) => "result" in m);
      const limited = raw.messages.filter((m) => (m.error as { code?: number } | undefined)?.code === -32002);
      // The requests taken before the limit are answered (in flight ones too, before the close); the ten
      // refused ones (bucket empty, or too many in flight) reach the misbehaviour limit; nothing else comes.
      expect(ok.length).to.be.greaterThan(0);
      expect(limited.length).to.equal(10);
      expect(ok.length + limited.length).to.equal(raw.messages.length);
      const retryAfter = limited.map((m) => (m.error as { data: { retryAfterMs?: number } }).data.retryAfterMs ?? 0);
      expect(Math.max(...retryAfter)).to.be.greaterThan(0);
      await steadyStillServed();
    });

    it("test_randomFrames_areAnsweredWithTableCodesAndNeverTakeTheNodeDown", async () => {
      const rand = prng(0xf00d);
      const pieces = [
        '{"jsonrpc":"2.0"',
        '"id":',
        "1",
        '"x"',
        "null",
        '"method":',
        '"auth.login"',
        '"channel.get"',
        '"params":',
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        '{"$n":"-1"}',
        '"0x1"',
        "1e309",
        '"\\u0000"',
      ];
      const known = new Set<number>(Object.values(WIRE_ERRORS));
      let answered = 0;
      for (let round = 0; round < 8; round++) {
        const raw = await rawSocket(node.ws);
        for (let i = 0; i < 8; i++) {
          let text = "";
          const n = 1 + Math.floor(rand() * 12);
          for (let j = 0; j < n; j++) text += pieces[Math.floor(rand() * pieces.length)];
          raw.socket.send(text);
        }
        await Promise.race([raw.closed, sleep(1_500)]);
        for (const m of raw.messages) {
          if ("error" in m) expect(known.has((m.error as { code: number }).code), JSON.stringify(m)).to.equal(true);
          answered++;
        }
        raw.socket.close();
      }
      expect(answered).to.be.greaterThan(20);
      expect((await get(`${node.http}/health`)).status).to.equal(200);
      await steadyStillServed();
    });

    it("test_messageFarAboveTheLimit_closesTheSocket1009", async () => {
      const raw = await rawSocket(node.ws);
      raw.socket.send("x".repeat(4 * 65_536 + 1));
      expect((await raw.closed).code).to.equal(1009);
      await steadyStillServed();
    });
  });
});
