/**
 * Opens the node's durable store from its config: a SQLite file (the default) or a PostgreSQL database
 * (`postgres://` / `postgresql://`). Every channel the node holds, its pending signatures, co-signed history
 * and routed payments live there; a store another process holds is refused (StoreLockedError).
 */
import { PostgresStore } from "../stores/postgres/index.js";
import { SqliteStore } from "../stores/sqlite/index.js";
import type { SwitchyardStore } from "../stores/store.js";

export interface StoreLocation {
  kind: "sqlite" | "postgres";
  /** A file path (sqlite) or a connection URL (postgres). */
  url: string;
}

/** Opens the store; `shared`: several node processes write it at once (cluster mode, PostgreSQL only). */
export async function openNodeStore(location: StoreLocation, shared = false): Promise<SwitchyardStore> {
  return location.kind === "postgres"
    ? PostgresStore.open({ url: location.url, shared })
    : SqliteStore.open(location.url);
}

/** The store's methods that commit something (each one durable when it resolves). */
const COMMITS = new Set<PropertyKey>(["write", "create", "putSigned", "putCoSigned", "putResolution"]);

/**
 * The same store, with the time of every commit the node makes through it reported to `observe` (seconds; the
 * `switchyard_store_commit_duration_seconds` histogram). Everything else passes through unchanged; a commit
 * that fails is not counted.
 */
export function timedStore(store: SwitchyardStore, observe: (seconds: number) => void): SwitchyardStore {
  const timed = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      let bound = timed.get(property);
      if (bound === undefined) {
        const fn = value as (...args: unknown[]) => unknown;
        bound = COMMITS.has(property)
          ? async (...args: unknown[]) => {
              const started = process.hrtime.bigint();
              const result = await fn.apply(target, args);
              observe(Number(process.hrtime.bigint() - started) / 1e9);
              return result;
            }
          : fn.bind(target);
        timed.set(property, bound);
      }
      return bound;
    },
  });
}
