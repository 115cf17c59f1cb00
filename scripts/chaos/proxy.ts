/**
 * A TCP proxy on 127.0.0.1 (port 0) between the client processes and the node: it passes bytes both ways, and
 * on request cuts one connection mid-exchange: after the next N bytes it forwards in either direction, which
 * lands inside a WebSocket frame as often as between two (the client and the node see a reset socket, as on a
 * dropped mobile link). Each new connection dials the node's port afresh, so a restarted node is reached again.
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from "node:net";

export interface CutProxy {
  /** ws://127.0.0.1:<port>/v1 (what the clients dial). */
  readonly url: string;
  /** Connections open now. */
  open(): number;
  /**
   * Arms a cut: the connection chosen by `pick` (an index into the open ones) is destroyed after `afterBytes`
   * more bytes pass through it. Resolves with true once it was cut, false when no connection was open.
   */
  cut(pick: (count: number) => number, afterBytes: number): Promise<boolean>;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  node: Socket;
  /** Bytes still to pass before the armed cut (undefined: not armed). */
  budget?: number;
  onCut?: () => void;
}

export async function startCutProxy(nodePort: () => number): Promise<CutProxy> {
  const pairs = new Set<Pair>();
  const server: Server = createServer((client) => {
    const node = createConnection({ host: "127.0.0.1", port: nodePort() });
    const pair: Pair = { client, node };
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      node.destroy();
    };
    const relay = (from: Socket, to: Socket): void => {
      from.on("data", (chunk: Buffer) => {
        if (pair.budget !== undefined) {
          if (chunk.length >= pair.budget) {
            if (pair.budget > 0) to.write(chunk.subarray(0, pair.budget));
            const done = pair.onCut;
            end();
            done?.();
            return;
          }
          pair.budget -= chunk.length;
        }
        to.write(chunk);
      });
    };
    relay(client, node);
    relay(node, client);
    for (const s of [client, node]) {
      s.on("error", end);
      s.on("close", end);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/v1`,
    open: () => pairs.size,
    cut: (pick, afterBytes) => {
      const open = [...pairs].filter((p) => p.budget === undefined);
      if (open.length === 0) return Promise.resolve(false);
      const pair = open[Math.max(0, Math.min(open.length - 1, pick(open.length)))] as Pair;
      return new Promise<boolean>((resolve) => {
        pair.budget = afterBytes;
        pair.onCut = () => resolve(true);
        // A quiet connection is cut anyway after a while (the exchange it waited for never came).
        setTimeout(() => {
          if (pairs.has(pair)) {
            pairs.delete(pair);
            pair.client.destroy();
            pair.node.destroy();
          }
          resolve(true);
        }, 3_000).unref();
      });
    },
    close: async () => {
      for (const p of [...pairs]) {
        p.client.destroy();
        p.node.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
