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

export async function openNodeStore(location: StoreLocation): Promise<SwitchyardStore> {
  return location.kind === "postgres" ? PostgresStore.open({ url: location.url }) : SqliteStore.open(location.url);
}
