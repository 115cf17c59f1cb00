/**
 * A tiny TCP balancer for the cluster tests (127.0.0.1, port 0): each connection goes to the first target in
 * the current order that accepts it, so a client given the balancer's URL reaches another node process once
 * its own is dead. `cut()` drops every relayed connection (the clients reconnect through the new order).
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export interface Balancer {
  /** ws://127.0.0.1:<port>/v1 */
  url: string;
  /** The targets (host ports) in the order connections try them. */
  order(ports: readonly number[]): void;
  cut(): void;
  close(): Promise<void>;
}

export async function startBalancer(ports: readonly number[]): Promise<Balancer> {
  let order = [...ports];
  const pairs = new Set<Socket>();
  const server: Server = createServer((client) => {
    pairs.add(client);
    client.on("close", () => pairs.delete(client));
    client.pause();
    const attempt = (i: number): void => {
      const port = order[i];
      if (port === undefined) return void client.destroy();
      const upstream = connect({ host: "127.0.0.1", port });
      upstream.once("error", () => attempt(i + 1));
      upstream.once("connect", () => {
        upstream.removeAllListeners("error");
        pairs.add(upstream);
        upstream.on("close", () => {
          pairs.delete(upstream);
          client.destroy();
        });
        upstream.on("error", () => client.destroy());
        client.on("error", () => upstream.destroy());
        client.on("close", () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  });
  await new Promise<void>((resolve) => server.listen({ host: "127.0.0.1", port: 0 }, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/v1`,
    order: (next) => (order = [...next]),
    cut: () => {
      for (const s of pairs) s.destroy();
    },
    close: async () => {
      for (const s of pairs) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
