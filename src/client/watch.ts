/**
 * The chain watcher for the client's own channel (src/chain/watcher.ts), reported as `dispute` events: a dispute
 * seen on chain, the watcher's answer (a stale state refuted with the latest co-signed one, or closed with the
 * final state), its defunds, and its failures. It only reads the client's store; its transactions are sent by the
 * client's `sender`.
 */
import type { Provider, Signer } from "ethers";

import { Watcher, type TickReport } from "../chain/watcher.js";
import type { ChannelSigner } from "../protocol/signing.js";
import type { SwitchyardStore } from "../stores/store.js";
import type { Emitter } from "./emitter.js";
import type { ClientEvents } from "./types.js";

export interface ChannelWatchOptions {
  provider: Provider;
  sender: Signer;
  owner: ChannelSigner;
  channel: string;
  store: SwitchyardStore;
  events: Emitter<ClientEvents>;
  pollIntervalMs?: number;
  /** The client's latest co-signed nonce (a dispute at it is the client's own or its answer: not reported). */
  latestNonce: () => bigint;
}

/** Starts the watcher; returns it (stop it with `stop()`). */
export function watchChannel(o: ChannelWatchOptions): Watcher {
  const seen = new Set<bigint>();
  const watcher = new Watcher({
    provider: o.provider,
    sender: o.sender,
    channel: o.channel,
    store: o.store,
    ownerSigner: o.owner,
    ...(o.pollIntervalMs !== undefined ? { pollIntervalMs: o.pollIntervalMs } : {}),
    onReport: (report) => reportDispute(o.events, report, seen, o.latestNonce()),
    onError: (error) =>
      o.events.emit("dispute", { kind: "error", detail: error instanceof Error ? error.message : String(error) }),
  });
  watcher.start();
  return watcher;
}

/** Emits what `report` shows that was not reported before (`seen`: the disputed nonces reported). */
export function reportDispute(events: Emitter<ClientEvents>, report: TickReport, seen: Set<bigint>, latest: bigint): void {
  if (report.phase === "none" || report.phase === "closed") return;
  const disputed = report.dispute.nonce;
  if (!seen.has(disputed)) {
    seen.add(disputed);
    const stale = disputed < latest ? ` (stale: this client holds ${latest})` : "";
    events.emit("dispute", { kind: "disputed", nonce: disputed, detail: `the channel is disputed on chain at nonce ${disputed}${stale}` });
  }
  // The watcher's own refutation puts the latest nonce on chain: not a new dispute.
  if (report.actions.some((a) => a.kind === "refute")) seen.add(latest);
  for (const a of report.actions) {
    if (a.kind === "refute" || a.kind === "close") {
      events.emit("dispute", {
        kind: "answered",
        nonce: disputed,
        tx: a.txHash,
        detail: `a dispute at nonce ${disputed} answered with ${a.kind === "close" ? "the final state" : "the latest co-signed state"}`,
      });
    } else if (a.kind === "defund") {
      events.emit("dispute", { kind: "defunded", nonce: disputed, tx: a.txHash, detail: `defunded ${a.assets?.join(", ") ?? ""}` });
    }
  }
}
