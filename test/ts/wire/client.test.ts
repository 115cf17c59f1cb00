/**
 * The wire client against a scripted in-process WebSocket server on 127.0.0.1 (the node itself is tested in
 * test/ts/node/): ids and results, typed remote errors, pushed notifications, timeouts, a close while waiting,
 * and a malformed answer.
 */
import type { AddressInfo } from "node:net";

import { expect } from "chai";
import WebSocket, { WebSocketServer } from "ws";

import { encodeJson } from "../../../src/protocol/record.js";
import { WireClient } from "../../../src/wire/client.js";
import { RemoteError, TransportError } from "../../../src/wire/codes.js";

type Script = (request: { id: number; method: string; params?: unknown }, socket: WebSocket) => void;

async function server(script: Script): Promise<{ url: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  wss.on("connection", (socket) => socket.on("message", (data) => script(JSON.parse(String(data)) as never, socket)));
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/v1`,
    close: () => {
      for (const c of wss.clients) c.terminate();
      return new Promise((resolve) => wss.close(() => resolve()));
    },
  };
}

const connect = (url: string, timeoutMs = 2_000): Promise<WireClient> =>
  WireClient.connect(url, { WebSocket: WebSocket as never, timeoutMs });

describe("wire client", () => {
  it("test_request_matchesAnswersByIdAndDecodesBigints", async () => {
    const s = await server((r, socket) => {
      // answer out of order: the second request first
      const answer = (id: number): void =>
        socket.send(encodeJson({ jsonrpc: "2.0", id, result: { echo: r.method, n: 2n ** 70n } }));
      setTimeout(() => answer(r.id), r.method === "first" ? 50 : 0);
    });
    const client = await connect(s.url);
    const [a, b] = await Promise.all([client.call("first"), client.call("second")]);
    expect(a).to.deep.equal({ echo: "first", n: 2n ** 70n });
    expect(b).to.deep.equal({ echo: "second", n: 2n ** 70n });
    await client.close();
    await s.close();
  });

  it("test_request_raisesRemoteErrorWithTheSymbolicName", async () => {
    const s = await server((r, socket) =>
      socket.send(
        JSON.stringify({
          jsonrpc: "2.0",
          id: r.id,
          error: { code: -32001, message: "log in first", data: { name: "UNAUTHORIZED", requestId: "c1.1" } },
        }),
      ),
    );
    const client = await connect(s.url);
    const error = await client.request("node.info").catch((e: unknown) => e);
    expect(error).to.be.instanceOf(RemoteError);
    expect(error).to.include({ code: "UNAUTHORIZED", rpcCode: -32001, message: "log in first" });
    expect((error as RemoteError).data?.requestId).to.equal("c1.1");
    await client.close();
    await s.close();
  });

  it("test_request_refusesAMalformedResult", async () => {
    const s = await server((r, socket) =>
      socket.send(encodeJson({ jsonrpc: "2.0", id: r.id, result: { address: "0x12" } })),
    );
    const client = await connect(s.url);
    const error = await client
      .request("auth.login", { nonce: "0x" + "11".repeat(32), signature: "0x" + "22".repeat(65) })
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(TransportError);
    expect((error as TransportError).code).to.equal("TRANSPORT_PROTOCOL");
    await client.close();
    await s.close();
  });

  it("test_notifications_reachTheirHandlers", async () => {
    const s = await server((r, socket) => {
      socket.send(JSON.stringify({ jsonrpc: "2.0", method: "node.draining", params: { reason: "shutdown" } }));
      socket.send(JSON.stringify({ jsonrpc: "2.0", id: r.id, result: null }));
    });
    const client = await connect(s.url);
    const seen: unknown[] = [];
    const stop = client.on("node.draining", (p) => seen.push(p));
    await client.call("x");
    stop();
    await client.call("x");
    expect(seen).to.deep.equal([{ reason: "shutdown" }]);
    await client.close();
    await s.close();
  });

  it("test_request_timesOutAndFailsWhenTheSocketCloses", async () => {
    const s = await server((r, socket) => {
      if (r.method === "close") socket.close(1001, "bye");
    });
    const client = await connect(s.url, 200);
    const timeout = await client.call("silent").catch((e: unknown) => e);
    expect((timeout as TransportError).code).to.equal("TRANSPORT_TIMEOUT");
    const closed = await client.call("close", undefined, 5_000).catch((e: unknown) => e);
    expect((closed as TransportError).code).to.equal("TRANSPORT_CLOSED");
    expect(client.closed).to.deep.equal({ code: 1001, reason: "bye" });
    const after = await client.call("x").catch((e: unknown) => e);
    expect((after as TransportError).code).to.equal("TRANSPORT_NOT_CONNECTED");
    await s.close();
  });

  it("test_connect_failsWhenNothingListens", async () => {
    const s = await server(() => undefined);
    const url = s.url;
    await s.close();
    const error = await connect(url).catch((e: unknown) => e);
    expect((error as TransportError).code).to.equal("TRANSPORT_NOT_CONNECTED");
  });

  it("test_call_refusesParamsThatCannotBeEncoded", async () => {
    const s = await server(() => undefined);
    const client = await connect(s.url);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const error = await client.call("x", circular).catch((e: unknown) => e);
    expect((error as TransportError).code).to.equal("TRANSPORT_PROTOCOL");
    await client.close();
    await s.close();
  });
});
