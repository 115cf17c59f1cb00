/**
 * The load run's clients: real `SwitchyardClient`s over WebSocket (the `ws` package) to the node on 127.0.0.1,
 * each with its own key and its own store, living in this (the load generator's) process, never in the node's.
 *
 * Their stores are MemoryStores whose finished records are pruned every few seconds (`pruneStores`): a client
 * keeps its channel (the latest co-signed state and its active transfers), the last co-signed updates, and every
 * payment still in flight; finished payments, their preimages and older history are dropped. A wallet keeps all
 * of it, but a load generator that did would grow by a few kilobytes per payment and the soak would measure
 * the generator, not the node. The node keeps its whole history in its durable store.
 */
import { JsonRpcProvider, Wallet, ZeroAddress } from "ethers";
import WebSocket from "ws";

import { SwitchyardClient } from "../../src/client/index.js";
import { MemoryDatabase, MemoryStore } from "../../src/stores/memory.js";

export interface LoadClient {
  name: string;
  key: string;
  address: string;
  client: SwitchyardClient;
  db: MemoryDatabase;
}

/** Co-signed updates a pruned store keeps per channel. */
const KEEP_HISTORY = 16;
/** A finished payment is pruned once it is this old (ms). */
const KEEP_FINISHED_MS = 10_000;
const FINISHED = new Set(["completed", "refunded", "received"]);

export function chainProvider(url: string): JsonRpcProvider {
  // No read cache: a deposit's reconcile must see the block of its own transfer (docs/SDK.md, Quick start).
  return new JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
}

/** Connects (login, channel opened or started) a client for `key`. */
export async function connectLoadClient(
  name: string,
  key: string,
  node: string,
  chain: JsonRpcProvider,
): Promise<LoadClient> {
  const wallet = new Wallet(key, chain);
  const db = new MemoryDatabase();
  const client = await SwitchyardClient.connect({
    node,
    signer: wallet,
    store: new MemoryStore(db),
    chain,
    WebSocket: WebSocket as never,
    // The node's own watchers watch every channel; 100 client watchers polling the chain would load this process.
    watch: false,
    requestTimeoutMs: 30_000,
    paymentTimeoutMs: 30_000,
  });
  return { name, key, address: wallet.address, client, db };
}

/** Deposits `amount` of ETH into the client's channel (a plain transfer, the channel created first). */
export async function depositEth(c: LoadClient, amount: bigint): Promise<void> {
  await c.client.deposit({ asset: ZeroAddress, amount });
}

/** Drops finished payments, their preimages and all but the last co-signed updates (module comment). */
export function pruneStores(clients: readonly LoadClient[], now = Date.now()): void {
  for (const { db } of clients) {
    for (const [lockHash, record] of db.payments) {
      if (FINISHED.has(record.status) && now - record.updatedAt > KEEP_FINISHED_MS) {
        db.payments.delete(lockHash);
        db.preimages.delete(lockHash);
      }
    }
    for (const list of db.history.values())
      if (list.length > 2 * KEEP_HISTORY) list.splice(0, list.length - KEEP_HISTORY);
  }
}

/** Runs `task` over `items`, at most `limit` at a time. */
export async function inBatches<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await task(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
