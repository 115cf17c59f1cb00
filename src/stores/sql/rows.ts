/** Rows of the SQL schema (schema.ts) to and from the store's records. */
import { StoreCorruptError } from "../../protocol/errors.js";
import {
  decodeJson,
  encodeJson,
  encodeJsonShared,
  type ChannelRecord,
  type SignedWithdraw,
  type StoredTransfer,
} from "../../protocol/record.js";
import type { ChainTxRecord, PaymentRecord, PreimageRecord, StoredOutboxMessage } from "../store.js";
import type { SqlRow, SqlValue } from "./driver.js";

export const json = (value: unknown): string => encodeJson(value);

export function optionalJson(value: unknown): SqlValue {
  return value === undefined ? null : encodeJson(value);
}

/** Decodes a JSON column; a column that does not decode makes the store corrupt. */
export function parse<T>(location: string, value: unknown, what: string): T {
  if (typeof value !== "string") throw new StoreCorruptError(location, `${what} is not text`);
  try {
    return decodeJson<T>(value);
  } catch (error) {
    throw new StoreCorruptError(location, `${what} does not decode: ${String(error)}`);
  }
}

/**
 * The scalar columns of sy_channels for `record`, in the order the statements bind them, and the JSON of each
 * of `also` (a co-signed update's log row): one encoding of what they share (the state is the latest signed
 * state's and the update's), the same text as encoding each alone.
 */
export function channelColumns(
  record: ChannelRecord,
  also: readonly unknown[] = [],
): { columns: SqlValue[]; also: string[] } {
  const { state, latest, final, pending } = record;
  const present = [state, latest, final, pending].filter((v) => v !== undefined);
  const texts = encodeJsonShared([...present, ...also]);
  let next = 0;
  const text = (v: unknown): SqlValue => (v === undefined ? null : (texts[next++] as string));
  const columns: SqlValue[] = [
    state.nonce.toString(),
    text(state),
    text(latest),
    record.nextWithdrawNonce.toString(),
    text(final),
    record.closed ? 1 : 0,
    text(pending),
  ];
  return { columns, also: texts.slice(present.length) };
}

export function recordOf(
  location: string,
  row: SqlRow,
  transfers: SqlRow[],
  withdrawals: SqlRow[],
  resolutions: SqlRow[],
): ChannelRecord {
  const channel = String(row.channel);
  const what = (column: string): string => `channel ${channel} ${column}`;
  const record: ChannelRecord = {
    setup: parse(location, row.setup, what("setup")),
    me:
      row.me === "alice" || row.me === "bob"
        ? row.me
        : (() => {
            throw new StoreCorruptError(location, `${what("me")} is ${String(row.me)}`);
          })(),
    state: parse(location, row.state, what("state")),
    transfers: transfers.map((t, i) => {
      if (Number(t.position) !== i)
        throw new StoreCorruptError(
          location,
          `${what("transfers")}: position ${String(t.position)} where ${i} was expected`,
        );
      return {
        id: String(t.transfer_id),
        transfer: parse(location, t.transfer, what("transfer")),
      } satisfies StoredTransfer;
    }),
    nextWithdrawNonce: BigInt(String(row.next_withdraw_nonce)),
    withdrawals: withdrawals.map((w) => parse<SignedWithdraw>(location, w.signed, what("withdrawal"))),
    closed: Number(row.closed) === 1,
    resolutions: Object.fromEntries(resolutions.map((r) => [String(r.transfer_id), String(r.resolver_data)])),
  };
  if (row.latest !== null && row.latest !== undefined) record.latest = parse(location, row.latest, what("latest"));
  if (row.final !== null && row.final !== undefined) record.final = parse(location, row.final, what("final"));
  if (row.pending !== null && row.pending !== undefined) record.pending = parse(location, row.pending, what("pending"));
  if (record.state.nonce.toString() !== String(row.nonce))
    throw new StoreCorruptError(location, `${what("nonce")} differs from its state`);
  return record;
}

export function paymentOf(location: string, row: SqlRow): PaymentRecord {
  const p: PaymentRecord = {
    lockHash: String(row.lock_hash),
    status: String(row.status),
    upstreamPeer: String(row.upstream_peer),
    upstreamTransferId: String(row.upstream_transfer_id),
    body: parse(location, row.body, `payment ${String(row.lock_hash)} body`),
    updatedAt: Number(row.updated_at),
    version: Number(row.version),
  };
  if (row.downstream_peer !== null && row.downstream_peer !== undefined) p.downstreamPeer = String(row.downstream_peer);
  if (row.downstream_transfer_id !== null && row.downstream_transfer_id !== undefined)
    p.downstreamTransferId = String(row.downstream_transfer_id);
  return p;
}

export function preimageOf(row: SqlRow): PreimageRecord {
  return {
    lockHash: String(row.lock_hash),
    resolverData: String(row.resolver_data),
    source: String(row.source),
    learnedAt: Number(row.learned_at),
  };
}

/** What of a chain transaction is kept in its body column. */
type ChainTxBody = Pick<ChainTxRecord, "to" | "data" | "value" | "purpose" | "attempts" | "receipt">;

export function chainTxBody(tx: Omit<ChainTxRecord, "version">): string {
  const body: ChainTxBody = { to: tx.to, data: tx.data, value: tx.value, purpose: tx.purpose, attempts: tx.attempts };
  if (tx.receipt !== undefined) body.receipt = tx.receipt;
  return json(body);
}

export function chainTxOf(location: string, row: SqlRow): ChainTxRecord {
  const body = parse<ChainTxBody>(location, row.body, `chain transaction ${String(row.id)} body`);
  const tx: ChainTxRecord = {
    id: String(row.id),
    sender: String(row.sender),
    to: body.to,
    data: body.data,
    value: body.value,
    purpose: body.purpose,
    status: String(row.status) as ChainTxRecord["status"],
    attempts: body.attempts,
    createdAt: Number(row.created_at),
    version: Number(row.version),
  };
  if (row.nonce !== null && row.nonce !== undefined) tx.nonce = BigInt(String(row.nonce));
  if (body.receipt !== undefined) tx.receipt = body.receipt;
  return tx;
}

export function outboxOf(location: string, row: SqlRow): StoredOutboxMessage {
  const m: StoredOutboxMessage = {
    id: String(row.id),
    recipient: String(row.recipient),
    body: parse(location, row.body, `outbox message ${String(row.id)} body`),
    createdAt: Number(row.created_at),
    seq: Number(row.seq),
  };
  if (row.channel !== null && row.channel !== undefined) m.channel = String(row.channel);
  return m;
}

/** "$k, $k+1, …" for `n` placeholders from `from`. */
export function inList(n: number, from: number): string {
  return Array.from({ length: n }, (_, i) => `$${from + i}`).join(", ");
}
