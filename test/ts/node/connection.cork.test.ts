/** ClientConnection's writes: the messages of one event-loop turn leave through one corked write of the TCP socket. */
import { expect } from "chai";
import pino from "pino";
import type { WebSocket } from "ws";

import { ClientConnection } from "../../../src/node/connection.js";
import { createMetrics } from "../../../src/node/metrics.js";
import { DEFAULT_WIRE_LIMITS } from "../../../src/node/options.js";
import type { createHandlers } from "../../../src/node/rpc.js";
import { loginDomain } from "../../../src/wire/login.js";

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function connection(log: string[], open = true): ClientConnection {
  const socket = {
    OPEN: 1,
    readyState: open ? 1 : 3,
    on: () => undefined,
    send: (text: string) => void log.push(`send ${JSON.parse(text).method as string}`),
  } as unknown as WebSocket;
  return new ClientConnection({
    id: "c1",
    socket,
    transport: { cork: () => void log.push("cork"), uncork: () => void log.push("uncork") },
    limits: DEFAULT_WIRE_LIMITS,
    auth: { domain: loginDomain("test", 1n, `0x${"11".repeat(20)}`), ttlSeconds: 60, maxOutstanding: 4, clock: () => Date.now() },
    handlers: {} as ReturnType<typeof createHandlers>,
    metrics: createMetrics(),
    logger: pino({ level: "silent" }),
    draining: () => false,
    clock: () => Date.now(),
  });
}

describe("ClientConnection writes", () => {
  it("corks the socket for the rest of the turn: the turn's messages leave in one write, in order", async () => {
    const log: string[] = [];
    const c = connection(log);
    c.push({ jsonrpc: "2.0", method: "a", params: {} });
    c.push({ jsonrpc: "2.0", method: "b", params: {} });
    await Promise.resolve(); // a microtask later is the same turn
    c.push({ jsonrpc: "2.0", method: "c", params: {} });
    expect(log).to.deep.equal(["cork", "send a", "send b", "send c"]);
    await turn();
    expect(log).to.deep.equal(["cork", "send a", "send b", "send c", "uncork"]);
    c.push({ jsonrpc: "2.0", method: "d", params: {} });
    await turn();
    expect(log.slice(5)).to.deep.equal(["cork", "send d", "uncork"]);
  });

  it("neither corks nor sends on a socket that is not open", async () => {
    const log: string[] = [];
    connection(log, false).push({ jsonrpc: "2.0", method: "a", params: {} });
    await turn();
    expect(log).to.deep.equal([]);
  });
});
