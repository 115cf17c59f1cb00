/**
 * A WebSocket relay between the clients and a node (127.0.0.1, port 0) for the network-failure tests: it passes
 * every message both ways, and on request cuts the connections, drops the next client message of a method (and
 * cuts right after it, as a dropped link would), or rewrites the node's next answer to a method.
 */
import type { AddressInfo } from "node:net";

import WebSocket, { WebSocketServer } from "ws";

export interface Relay {
  url: string;
  /** Closes every relayed connection (both sides), as a network cut. */
  cut(): void;
  /** Swallows the next client request of `method`, then cuts the connection. */
  dropNextRequest(method: string): Promise<void>;
  /** Replaces the node's answer to the next request of `method` with `rewrite(answerText)` (queued per call). */
  rewriteNextAnswer(method: string, rewrite: (text: string) => string): void;
  close(): Promise<void>;
}

export async function startRelay(target: string): Promise<Relay> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const pairs = new Set<{ client: WebSocket; upstream: WebSocket }>();
  let drop: { method: string; done: () => void } | undefined;
  const rewrites: Array<{ method: string; fn: (text: string) => string }> = [];

  server.on("connection", (client) => {
    const upstream = new WebSocket(target);
    const pair = { client, upstream };
    pairs.add(pair);
    const early: string[] = [];
    const rewriteIds = new Map<unknown, (text: string) => string>();
    const end = (): void => {
      pairs.delete(pair);
      client.terminate();
      upstream.terminate();
    };
    upstream.on("open", () => {
      for (const m of early.splice(0)) upstream.send(m);
    });
    upstream.on("message", (data) => {
      let text = String(data);
      try {
        const message = JSON.parse(text) as { id?: unknown };
        const fn = message.id !== undefined ? rewriteIds.get(message.id) : undefined;
        if (fn !== undefined) {
          rewriteIds.delete(message.id);
          text = fn(text);
        }
      } catch {
        // not JSON: passed as it is
      }
      if (client.readyState === WebSocket.OPEN) client.send(text);
    });
    client.on("message", (data) => {
      const text = String(data);
      let method: string | undefined;
      let id: unknown;
      try {
        ({ method, id } = JSON.parse(text) as { method?: string; id?: unknown });
      } catch {
        method = undefined;
      }
      if (drop !== undefined && method === drop.method) {
        const done = drop.done;
        drop = undefined;
        end();
        done();
        return;
      }
      const r = rewrites.findIndex((w) => w.method === method);
      if (r >= 0) {
        rewriteIds.set(id, (rewrites[r] as { fn: (text: string) => string }).fn);
        rewrites.splice(r, 1);
      }
      if (upstream.readyState === WebSocket.OPEN) upstream.send(text);
      else early.push(text);
    });
    client.on("close", end);
    upstream.on("close", end);
    upstream.on("error", end);
    client.on("error", end);
  });

  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    cut: () => {
      for (const p of [...pairs]) {
        p.client.terminate();
        p.upstream.terminate();
      }
      pairs.clear();
    },
    dropNextRequest: (method) => new Promise<void>((resolve) => (drop = { method, done: resolve })),
    rewriteNextAnswer: (method, fn) => {
      rewrites.push({ method, fn });
    },
    close: async () => {
      for (const p of [...pairs]) {
        p.client.terminate();
        p.upstream.terminate();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
