/**
 * The node's Prometheus metrics (prom-client), on their own registry so two services in one process (tests)
 * never share counters. The transport fills the connection and request metrics now; the update, routing,
 * store and collateral metrics are registered with their final names so dashboards can be written before the
 * channel, routing and store parts fill them.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

import type { StoreStats } from "../stores/store.js";

export interface NodeMetrics {
  registry: Registry;
  connectedClients: Gauge;
  authenticatedClients: Gauge;
  requests: Counter<"method" | "outcome">;
  requestSeconds: Histogram<"method">;
  logins: Counter<"outcome">;
  disconnects: Counter<"reason">;
  updates: Counter<"type" | "proposer">;
  paymentsRouted: Counter<"asset">;
  paymentsFailed: Counter<"asset" | "reason">;
  /** Payments refused before the node signed anything, by reason ("overloaded": admission control). */
  paymentsRefused: Counter<"reason">;
  storeCommitSeconds: Histogram<"store">;
  /** The store's own counts (`SwitchyardStore.stats()`), read at each scrape (zero without `storeStats`). */
  storeGroupCommits: Gauge;
  storeUnits: Gauge;
  storeMaxUnitsPerCommit: Gauge;
  collateral: Gauge<"asset">;
  chainTxPending: Gauge;
  chainTxFailed: Gauge;
}

export function createMetrics(storeStats?: () => StoreStats): NodeMetrics {
  const registry = new Registry();
  const fromStore = (pick: (stats: StoreStats) => number) =>
    function (this: Gauge) {
      this.set(storeStats === undefined ? 0 : pick(storeStats()));
    };
  collectDefaultMetrics({ register: registry, prefix: "switchyard_" });
  const registers = [registry];
  return {
    registry,
    connectedClients: new Gauge({
      name: "switchyard_connected_clients",
      help: "WebSocket connections open now",
      registers,
    }),
    authenticatedClients: new Gauge({
      name: "switchyard_authenticated_clients",
      help: "WebSocket connections logged in now",
      registers,
    }),
    requests: new Counter({
      name: "switchyard_rpc_requests_total",
      help: 'JSON-RPC requests by method ("unknown" for names the node does not serve) and outcome (ok or the error name)',
      labelNames: ["method", "outcome"],
      registers,
    }),
    requestSeconds: new Histogram({
      name: "switchyard_rpc_request_duration_seconds",
      help: "Time from a request's arrival to its answer, by method",
      labelNames: ["method"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    logins: new Counter({
      name: "switchyard_logins_total",
      help: "Login attempts by outcome (ok or the error name)",
      labelNames: ["outcome"],
      registers,
    }),
    disconnects: new Counter({
      name: "switchyard_disconnects_total",
      help: "Connections closed by the node, by reason (misbehaviour, drain, oversized)",
      labelNames: ["reason"],
      registers,
    }),
    updates: new Counter({
      name: "switchyard_updates_total",
      help: "Co-signed channel updates by type and proposer",
      labelNames: ["type", "proposer"],
      registers,
    }),
    paymentsRouted: new Counter({
      name: "switchyard_payments_routed_total",
      help: "Routed payments completed, by asset",
      labelNames: ["asset"],
      registers,
    }),
    paymentsFailed: new Counter({
      name: "switchyard_payments_failed_total",
      help: "Routed payments refunded or refused, by asset and reason",
      labelNames: ["asset", "reason"],
      registers,
    }),
    paymentsRefused: new Counter({
      name: "switchyard_payments_refused_total",
      help: 'Payments refused before the node signed anything, by reason ("overloaded": wire.maxPaymentsInFlight in flight)',
      labelNames: ["reason"],
      registers,
    }),
    storeCommitSeconds: new Histogram({
      name: "switchyard_store_commit_duration_seconds",
      help: "Time from a store write (one unit) to its durable commit, by store kind (units share group commits)",
      labelNames: ["store"],
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    storeGroupCommits: new Gauge({
      name: "switchyard_store_group_commits",
      help: "Durable group commits (transactions, each one fsync) the store made since the node started",
      registers,
      collect: fromStore((stats) => stats.commits),
    }),
    storeUnits: new Gauge({
      name: "switchyard_store_units",
      help: "Units of work (writes) the store committed since the node started",
      registers,
      collect: fromStore((stats) => stats.units),
    }),
    storeMaxUnitsPerCommit: new Gauge({
      name: "switchyard_store_units_per_commit_max",
      help: "The most units one group commit of the store carried since the node started",
      registers,
      collect: fromStore((stats) => stats.maxUnitsPerCommit),
    }),
    collateral: new Gauge({
      name: "switchyard_collateral",
      help: "The node's balance (alice) across its channels, by asset, in the asset's base unit",
      labelNames: ["asset"],
      registers,
    }),
    chainTxPending: new Gauge({
      name: "switchyard_chain_transactions_pending",
      help: "On-chain transactions of the node recorded and not yet mined (queued or sent)",
      registers,
    }),
    chainTxFailed: new Gauge({
      name: "switchyard_chain_transactions_failed",
      help: "On-chain transactions of the node that reverted or were given up (in the store)",
      registers,
    }),
  };
}
