/**
 * The web wallet's HTTP server (`npm run demo:web`, scripts/demo-web.ts): serves the bundled page from memory
 * on 127.0.0.1 and puts the chain and the node behind the page's own origin, so the page needs no CORS and a
 * single address (an SSH port forward of one port is enough to use it from another machine):
 *
 * - `GET /` the page, `GET /wallet.js` its bundle, `GET /config.json` what the page needs to know (chain id,
 *   the deployment, the node's address, the faucet's amount);
 * - `POST /rpc` a JSON-RPC request (or batch) relayed to the local chain, only for the standard namespaces
 *   (`eth_`, `net_`, `web3_`) and never a method that signs with the chain's own unlocked accounts
 *   (`eth_sendTransaction`, `eth_sign…`, `eth_accounts`): a page sends transactions it signed itself
 *   (`eth_sendRawTransaction`) and cannot call the chain's test controls (`evm_*`, `hardhat_*`);
 * - `GET /v1` (a WebSocket upgrade) relayed byte for byte to the node service's `/v1`;
 * - `POST /faucet` `{ "address": "0x…" }`: sends the faucet amount of ETH once to an address (a page's
 *   generated test key pays its gas and deposits with it), from one of the stack's funded keys.
 *
 * `close()` stops it and cuts every relayed socket; the process that started it closes it on exit.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";

import { getAddress, isAddress } from "ethers";

/** One file the server answers with. */
export interface WebFile {
  body: string;
  type: string;
}

export interface WebServerOptions {
  /** The port (0: a free one). Always bound to 127.0.0.1. */
  port: number;
  /** The files by path (`/`, `/wallet.js`, …). */
  files: Record<string, WebFile>;
  /** Served at `/config.json`. */
  config: unknown;
  /** The chain's JSON-RPC URL (http://127.0.0.1:…). */
  chainUrl: string;
  /** The node service's host and port (its WebSocket is `/v1` there). */
  node: { host: string; port: number };
  /** Sends `amount` wei to `address` and resolves with the transaction hash (mined). */
  faucet?: (address: string) => Promise<string>;
}

export interface WebServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The JSON-RPC namespaces the page may call on the chain. */
const RPC_PREFIXES = ["eth_", "net_", "web3_"];
/** Methods of those namespaces that would act with the chain's unlocked accounts (the deployer's, the faucet's). */
const RPC_REFUSED = new Set([
  "eth_accounts",
  "eth_requestAccounts",
  "eth_sendTransaction",
  "eth_sign",
  "eth_signTransaction",
  "eth_signTypedData",
  "eth_signTypedData_v3",
  "eth_signTypedData_v4",
]);
const MAX_BODY = 1 << 20;

/** Reads a request body up to MAX_BODY bytes (undefined when it is longer). */
async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  response.end(JSON.stringify(body));
}

/** The method names of a JSON-RPC request or batch, or undefined when it is not one. */
function rpcMethods(body: unknown): string[] | undefined {
  const calls = Array.isArray(body) ? body : [body];
  if (calls.length === 0 || calls.length > 100) return undefined;
  const methods: string[] = [];
  for (const call of calls) {
    const method = (call as { method?: unknown } | null)?.method;
    if (typeof method !== "string") return undefined;
    methods.push(method);
  }
  return methods;
}

async function relayRpc(request: IncomingMessage, response: ServerResponse, chainUrl: string): Promise<void> {
  const text = await readBody(request);
  if (text === undefined) return json(response, 413, { error: "request body over 1 MiB" });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return json(response, 400, { jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } });
  }
  const methods = rpcMethods(body);
  if (methods === undefined)
    return json(response, 400, { jsonrpc: "2.0", id: null, error: { code: -32600, message: "invalid request" } });
  const refused = methods.find((m) => RPC_REFUSED.has(m) || !RPC_PREFIXES.some((p) => m.startsWith(p)));
  if (refused !== undefined)
    return json(response, 403, {
      jsonrpc: "2.0",
      id: null,
      error: {
        code: -32601,
        message: `${refused} is not relayed (${RPC_PREFIXES.join(", ")} methods only, none that signs with the chain's accounts)`,
      },
    });
  try {
    const answer = await fetch(chainUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: text,
      signal: AbortSignal.timeout(30_000),
    });
    response.writeHead(answer.status, { "content-type": "application/json", "cache-control": "no-store" });
    response.end(await answer.text());
  } catch (error) {
    json(response, 502, {
      jsonrpc: "2.0",
      id: null,
      error: { code: -32603, message: `the chain at ${chainUrl} did not answer: ${(error as Error).message}` },
    });
  }
}

async function serveFaucet(
  request: IncomingMessage,
  response: ServerResponse,
  faucet: (address: string) => Promise<string>,
  funded: Set<string>,
): Promise<void> {
  const text = await readBody(request);
  let address: unknown;
  try {
    address = (JSON.parse(text ?? "") as { address?: unknown }).address;
  } catch {
    // reported below
  }
  if (typeof address !== "string" || !isAddress(address))
    return json(response, 400, { error: 'send { "address": "0x…" } (a 20-byte hex address)' });
  const account = getAddress(address);
  if (funded.has(account)) return json(response, 409, { error: `${account} was funded already` });
  funded.add(account);
  try {
    json(response, 200, { address: account, tx: await faucet(account) });
  } catch (error) {
    funded.delete(account);
    json(response, 502, { error: `the faucet's transaction failed: ${(error as Error).message}` });
  }
}

/** Relays a WebSocket upgrade on `/v1` to the node, byte for byte (the handshake included). */
function relayUpgrade(
  request: IncomingMessage,
  client: Socket,
  head: Buffer,
  node: { host: string; port: number },
  sockets: Set<Socket>,
): void {
  if (new URL(request.url ?? "/", "http://127.0.0.1").pathname !== "/v1") {
    client.end("HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n");
    return;
  }
  const upstream = connect(node.port, node.host);
  for (const s of [client, upstream]) {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
    s.on("error", () => {
      client.destroy();
      upstream.destroy();
    });
  }
  upstream.once("connect", () => {
    const lines = [`${request.method ?? "GET"} ${request.url ?? "/v1"} HTTP/1.1`];
    for (let i = 0; i < request.rawHeaders.length; i += 2)
      lines.push(`${request.rawHeaders[i] ?? ""}: ${request.rawHeaders[i + 1] ?? ""}`);
    upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  client.once("close", () => upstream.destroy());
  upstream.once("close", () => client.destroy());
}

/** Starts the server on 127.0.0.1:`port` (0: a free port). */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const sockets = new Set<Socket>();
  const funded = new Set<string>();
  const server: Server = createServer((request, response) => {
    const pathname = new URL(request.url ?? "/", "http://127.0.0.1").pathname;
    const route = `${request.method ?? "GET"} ${pathname}`;
    const done = (p: Promise<void>): void =>
      void p.catch((error: unknown) => {
        if (!response.headersSent) json(response, 500, { error: (error as Error).message });
        else response.destroy();
      });
    if (route === "POST /rpc") return done(relayRpc(request, response, options.chainUrl));
    if (route === "POST /faucet") {
      if (options.faucet === undefined) return json(response, 404, { error: "this server has no faucet" });
      return done(serveFaucet(request, response, options.faucet, funded));
    }
    if (route === "GET /config.json") return json(response, 200, options.config);
    const file = request.method === "GET" ? options.files[pathname] : undefined;
    if (file === undefined) return json(response, 404, { error: `no ${route}` });
    response.writeHead(200, { "content-type": file.type, "cache-control": "no-store" });
    response.end(file.body);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("upgrade", (request: IncomingMessage, socket: Socket, head: Buffer) =>
    relayUpgrade(request, socket, head, options.node, sockets),
  );
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void =>
      reject(
        error.code === "EADDRINUSE"
          ? new Error(`127.0.0.1:${options.port} is in use: choose another port (--port 0 takes a free one)`)
          : error,
      );
    server.once("error", failed);
    server.listen(options.port, "127.0.0.1", () => {
      server.off("error", failed);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
