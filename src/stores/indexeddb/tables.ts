/**
 * The node tables of the IndexedDB store (payments, preimages, chain transactions, outbox) as the store keeps
 * them in memory: loaded and decoded at open, checked and changed there (with undo steps), written through
 * with the channel rows of each commit. A wallet's node tables are empty or small.
 */
import { StoreUnavailableError, SwitchyardError } from "../../protocol/errors.js";
import type { UndoLog } from "../engine.js";
import type { ChainTxRecord, PaymentRecord, PreimageRecord, StoredOutboxMessage } from "../store.js";
import { settle, type IdbDatabase } from "./idb.js";
import { decodeRow } from "./rows.js";
import { OBJECT_STORES as S } from "./schema.js";

/** The node tables, in memory (checked there; written through with the channel rows). */
export interface Tables {
  payments: Map<string, PaymentRecord>;
  preimages: Map<string, PreimageRecord>;
  chainTxs: Map<string, ChainTxRecord>;
  outbox: Map<string, StoredOutboxMessage>;
  outboxSeq: number;
}

/** Sets `map[key]` and logs how to restore it. */
export function put<K, V>(map: Map<K, V>, key: K, value: V, undo: UndoLog): void {
  const had = map.has(key);
  const old = map.get(key);
  map.set(key, value);
  undo.push(() => (had ? map.set(key, old as V) : map.delete(key)));
}

/** Reads the node tables into memory (decoding every row: StoreCorruptError when one does not decode). */
export async function loadTables(db: IdbDatabase, name: string): Promise<Tables> {
  const tx = db.transaction([S.payments, S.preimages, S.chainTxs, S.outbox], "readonly");
  const [payments, preimages, chainTxs, outbox] = await Promise.all([
    settle(tx.objectStore(S.payments).getAll()),
    settle(tx.objectStore(S.preimages).getAll()),
    settle(tx.objectStore(S.chainTxs).getAll()),
    settle(tx.objectStore(S.outbox).getAll()),
  ]);
  const tables: Tables = {
    payments: new Map(),
    preimages: new Map(),
    chainTxs: new Map(),
    outbox: new Map(),
    outboxSeq: 0,
  };
  for (const row of payments) {
    const p = decodeRow<PaymentRecord>(name, row, "a payment row");
    tables.payments.set(p.lockHash, p);
  }
  for (const row of preimages) {
    const p = decodeRow<PreimageRecord>(name, row, "a preimage row");
    tables.preimages.set(p.lockHash, p);
  }
  for (const row of chainTxs) {
    const t = decodeRow<ChainTxRecord>(name, row, "a chain transaction row");
    tables.chainTxs.set(t.id, t);
  }
  for (const row of outbox) {
    const m = decodeRow<StoredOutboxMessage>(name, row, "an outbox row");
    tables.outbox.set(m.id, m);
    tables.outboxSeq = Math.max(tables.outboxSeq, m.seq);
  }
  return tables;
}

/** Typed store errors for what IndexedDB throws (refusals and typed errors pass through). */
export function mapIdbError(location: string, error: unknown): unknown {
  if (error instanceof SwitchyardError) return error;
  const e = error as { name?: unknown; message?: unknown } | null;
  const name = typeof e?.name === "string" ? e.name : "";
  const message = typeof e?.message === "string" ? e.message : String(error);
  if (name === "QuotaExceededError")
    return new StoreUnavailableError(location, `the site's storage quota is exhausted: ${message}`);
  if (["InvalidStateError", "TransactionInactiveError", "UnknownError", "AbortError"].includes(name))
    return new StoreUnavailableError(location, `IndexedDB failed: ${name}: ${message}`);
  return error;
}
