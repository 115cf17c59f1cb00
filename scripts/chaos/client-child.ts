/**
 * One client process of the chaos run: a SwitchyardClient with its own SQLite store file, driven by the
 * controller over IPC (./ipc.ts). The controller may SIGKILL it at any moment and start it again on the same
 * store: `connect` then restores the channel from the store, syncs and resumes the open payments. It exits when
 * the controller's IPC channel closes (the controller stopped or died) and after its lifetime at the latest.
 *
 *   node --import tsx scripts/chaos/client-child.ts   (SWITCHYARD_CHAOS_CLIENT: a ChildConfig in JSON)
 */
import { JsonRpcProvider, Wallet, ZeroAddress } from "ethers";
import WebSocket from "ws";

import { SwitchyardClient } from "../../src/client/index.js";
import { SqliteStore } from "../../src/stores/sqlite/index.js";
import type { ChildConfig, ClientStatus, CloseOutcome, FromChild, Request } from "./ipc.js";

const send = (m: FromChild): void => {
  if (process.connected) process.send?.(m);
};

if (process.send === undefined) {
  console.error("client-child: run me with an IPC channel (child_process.fork)");
  process.exit(2);
}
const raw = process.env.SWITCHYARD_CHAOS_CLIENT;
if (raw === undefined) {
  console.error("client-child: SWITCHYARD_CHAOS_CLIENT is not set");
  process.exit(2);
}
const config = JSON.parse(raw) as ChildConfig;
const lifetime = Number(process.env.SWITCHYARD_CHAOS_LIFETIME_MS ?? "1800000");
// The controller gone (its end of the IPC channel closed): nothing will drive this client any more.
process.on("disconnect", () => process.exit(0));
// It may have closed already while this process was still loading its modules (no event then).
if (!process.connected) process.exit(0);
setTimeout(() => process.exit(0), lifetime).unref();

function describe(error: unknown): { name: string; code?: string; message: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, ...(typeof code === "string" ? { code } : {}), message: error.message };
  }
  return { name: "Error", message: String(error) };
}

const provider = new JsonRpcProvider(config.rpc, 31337, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 250 });
const wallet = new Wallet(config.privateKey, provider);
const store = await SqliteStore.open(config.storeFile);

const started = Date.now();
let client: SwitchyardClient | undefined;
let attempts = 0;
while (client === undefined) {
  attempts++;
  try {
    client = await SwitchyardClient.connect({
      node: config.node,
      signer: wallet,
      store,
      chain: provider,
      WebSocket: WebSocket as never,
      reconnect: { initialMs: 100, maxMs: 1_000 },
      watchIntervalMs: 5_000,
      requestTimeoutMs: 15_000,
    });
  } catch (error) {
    if (!process.connected) process.exit(0);
    const d = describe(error);
    // The node is down (killed, restarting) or the link was cut during the login: try again. A fork is final.
    if (d.code === "FORK") {
      send({ kind: "fatal", message: `${d.name}: ${d.message}` });
      process.exit(3);
    }
    if (Date.now() - started > 120_000) {
      send({ kind: "fatal", message: `no connection within 120 s: ${d.name}: ${d.message}` });
      process.exit(4);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
const c = client;
for (const event of ["payment-completed", "payment-failed", "payment-received", "error"] as const) {
  c.on(event, () => send({ kind: "event", event }));
}
c.on("connection", (e) => send({ kind: "event", event: "connection", status: e.status }));

async function status(): Promise<ClientStatus> {
  const b = c.balances()[ZeroAddress];
  const record = await store.load(c.channelAddress);
  return {
    connected: c.connected,
    channel: c.channelAddress,
    nonce: (record?.latest?.state.nonce ?? 0n).toString(),
    mine: (b?.mine ?? 0n).toString(),
    lockedByMe: (b?.lockedByMe ?? 0n).toString(),
    lockedToMe: (b?.lockedToMe ?? 0n).toString(),
    open: (await store.payments({ statuses: ["locked"] })).length,
  };
}

async function handle(r: Request): Promise<unknown> {
  switch (r.op) {
    case "deposit": {
      const d = await c.deposit({ asset: ZeroAddress, amount: BigInt(r.amount) });
      return { tx: d.tx, nonce: d.nonce.toString() };
    }
    case "invoice": {
      const i = await c.invoice({ asset: ZeroAddress, amount: BigInt(r.amount) });
      return { to: i.to, asset: i.asset, amount: i.amount.toString(), lockHash: i.lockHash };
    }
    case "pay": {
      const paying = c.pay({ ...r.invoice, amount: BigInt(r.invoice.amount), timeoutMs: r.timeoutMs });
      send({ kind: "paying", lockHash: r.invoice.lockHash });
      const p = await paying;
      return { status: p.status, fee: p.fee.toString() };
    }
    case "status":
      return status();
    case "close": {
      const closed = await c.close();
      const outcome: CloseOutcome = {
        tx: closed.tx,
        blockNumber: closed.blockNumber,
        payouts: closed.payouts.map((p) => ({ asset: p.asset, mine: p.mine.toString(), node: p.node.toString() })),
      };
      return outcome;
    }
    case "stop":
      await c.disconnect();
      await store.close();
      provider.destroy();
      setTimeout(() => process.exit(0), 10);
      return "stopped";
  }
}

process.on("message", (m: Request) => {
  handle(m).then(
    (value) => send({ id: m.id, ok: true, value }),
    (error: unknown) => send({ id: m.id, ok: false, error: describe(error) }),
  );
});
send({ kind: "ready", address: wallet.address, channel: c.channelAddress, connectMs: Date.now() - started, attempts });
