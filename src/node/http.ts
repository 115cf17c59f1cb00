/** The node's small HTTP and socket helpers (JSON answers, closing a socket on shutdown, deployment addresses). */
import type { ServerResponse } from "node:http";

import type { WebSocket } from "ws";

import { encodeJson } from "../protocol/record.js";
import { CLOSE_CODES, type ClientConnection } from "./connection.js";

export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = encodeJson(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    ...headers,
  });
  res.end(text);
}

export async function closeSocket(socket: WebSocket, connection: ClientConnection | undefined): Promise<void> {
  if (socket.readyState === socket.CLOSED) return;
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  if (connection !== undefined) connection.close(CLOSE_CODES.goingAway, "node shutting down");
  else socket.close(CLOSE_CODES.goingAway, "node shutting down");
  const timer = setTimeout(() => socket.terminate(), 2_000);
  await closed;
  clearTimeout(timer);
}

export function required(value: string | undefined, name: string): string {
  if (value === undefined) throw new TypeError(`the deployment has no ${name} address`);
  return value;
}
