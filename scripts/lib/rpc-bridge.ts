/**
 * Hardhat's embedded (in-process) network on a loopback JSON-RPC port, so that other processes (the node
 * service) and a browser page reach the same chain as the script that owns it. HTTP POST only, single and batch
 * requests, CORS open (the port is on 127.0.0.1 and lives as long as the script). Errors keep the provider's
 * JSON-RPC code and data (a revert's data stays decodable by ethers on the other side).
 *
 * Hardhat's own `hardhat node` server does the same, but its handler is internal to the hardhat package (not
 * in its exports map), so this is a small server of our own over Node's http module.
 */
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { LOOPBACK } from "./local-node.js";

/** An EIP-1193 provider (what `connection.provider` is for a Hardhat network connection). */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] | object }): Promise<unknown>;
}

/** A running bridge. */
export interface RpcBridge {
  url: string;
  port: number;
  /** Stops listening and closes every open connection. */
  close(): Promise<void>;
}

/** How long the bridge keeps an idle client connection open (ms): Node's own server default. */
export const BRIDGE_KEEP_ALIVE_MS = 5_000;

/** The largest request body accepted (a contract deployment's calldata fits many times over). */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

interface JsonRpcFailure {
  jsonrpc: "2.0";
  id: unknown;
  error: { code: number; message: string; data?: unknown };
}

type JsonRpcAnswer = { jsonrpc: "2.0"; id: unknown; result: unknown } | JsonRpcFailure;

/** Serves `provider` on 127.0.0.1:`port` (0: a free port). */
export async function startRpcBridge(provider: Eip1193Provider, port = 0): Promise<RpcBridge> {
  const server = createServer((req, res) => void handle(provider, req, res));
  // Long enough for the clients' keep-alive to work: Node's http agent keeps an idle socket for the server's
  // Keep-Alive hint minus one second, so 1 s (the previous value) made the node open a TCP connection for every
  // JSON-RPC request (connect, close: about a third of its chain polling's CPU in the load run). An idle socket
  // does not hold the process open after close(): that closes every connection.
  server.keepAliveTimeout = BRIDGE_KEEP_ALIVE_MS;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host: LOOPBACK }, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${LOOPBACK}:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(provider: Eip1193Provider, req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.setHeader("Access-Control-Allow-Origin", "*");
  res.setHeader("Access-Control-Allow-Methods", "POST, OPTIONS");
  res.setHeader("Access-Control-Allow-Headers", "content-type");
  if (req.method === "OPTIONS") {
    res.writeHead(204).end();
    return;
  }
  if (req.method !== "POST") {
    res.writeHead(405, { allow: "POST, OPTIONS" }).end();
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch (error) {
    send(res, failure(null, -32700, `parse error: ${(error as Error).message}`));
    return;
  }
  if (Array.isArray(body)) {
    const answers: JsonRpcAnswer[] = [];
    // One after the other, in order: the embedded network runs one request at a time anyway.
    for (const one of body) answers.push(await answer(provider, one));
    send(res, answers);
  } else {
    send(res, await answer(provider, body));
  }
}

async function answer(provider: Eip1193Provider, request: unknown): Promise<JsonRpcAnswer> {
  if (typeof request !== "object" || request === null) return failure(null, -32600, "invalid request");
  const { id = null, method, params = [] } = request as { id?: unknown; method?: unknown; params?: unknown };
  if (typeof method !== "string" || (typeof params !== "object" && params !== undefined)) {
    return failure(id, -32600, "invalid request: expected a method name and params");
  }
  try {
    const result = await provider.request({ method, params: params as unknown[] });
    return { jsonrpc: "2.0", id, result: result ?? null };
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown; data?: unknown };
    const code = typeof e.code === "number" ? e.code : -32603;
    const message = typeof e.message === "string" ? e.message : String(error);
    const failed = failure(id, code, message);
    if (e.data !== undefined) failed.error.data = e.data;
    return failed;
  }
}

function failure(id: unknown, code: number, message: string): JsonRpcFailure {
  return { jsonrpc: "2.0", id, error: { code, message } };
}

function send(res: ServerResponse, payload: unknown): void {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(
    JSON.stringify(payload, (_key, value: unknown) => (typeof value === "bigint" ? `0x${value.toString(16)}` : value)),
  );
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
