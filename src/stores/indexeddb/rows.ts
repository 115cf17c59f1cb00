/**
 * Rows of the IndexedDB store: how a channel record is split into object-store rows (the head, its transfers,
 * withdrawals and resolutions, as the SQL schema splits it, so an update writes O(1) rows), the keys, and
 * the decoding of what was read (a row that does not decode is StoreCorruptError).
 */
import { StoreCorruptError } from "../../protocol/errors.js";
import {
  decodeJson,
  encodeJson,
  type ChannelRecord,
  type SignedWithdraw,
  type StoredTransfer,
} from "../../protocol/record.js";
import type { IdbKey } from "./idb.js";

/** A channel record without the parts kept in their own rows. */
export type ChannelHead = Omit<ChannelRecord, "transfers" | "withdrawals" | "resolutions">;

/** A transfer row: its position in merkle-tree order and the stored transfer. */
export interface TransferRow {
  position: number;
  stored: StoredTransfer;
}

/** The head of `record`, encoded. */
export function headRow(record: ChannelRecord): string {
  const head: ChannelHead = {
    setup: record.setup,
    me: record.me,
    state: record.state,
    nextWithdrawNonce: record.nextWithdrawNonce,
    closed: record.closed,
  };
  if (record.latest !== undefined) head.latest = record.latest;
  if (record.final !== undefined) head.final = record.final;
  if (record.pending !== undefined) head.pending = record.pending;
  return encodeJson(head);
}

export function transferRow(position: number, stored: StoredTransfer): string {
  return encodeJson({ position, stored } satisfies TransferRow);
}

/** uint256 has at most 78 decimal digits: padded to 78, string order is numeric order. */
export function nonceKey(nonce: bigint): string {
  return nonce.toString().padStart(78, "0");
}

/** The lowest key of channel `channel`'s rows in a store keyed [channel, ...]. */
export function channelLow(channel: string): IdbKey {
  return [channel];
}

/** Above every [channel, string | number] key (arrays sort after strings and numbers). */
export function channelHigh(channel: string): IdbKey {
  return [channel, []];
}

/** Decodes a row read from `what`; StoreCorruptError when it is not the SDK's JSON. */
export function decodeRow<T>(location: string, value: unknown, what: string): T {
  if (typeof value !== "string") throw new StoreCorruptError(location, `${what} is not an encoded row`);
  try {
    return decodeJson<T>(value);
  } catch (error) {
    throw new StoreCorruptError(location, `${what} does not decode: ${String(error)}`);
  }
}

/** Rebuilds a channel record from its rows (transfers in position order). */
export function recordOf(
  location: string,
  channel: string,
  head: unknown,
  transfers: unknown[],
  withdrawals: unknown[],
  resolutionKeys: IdbKey[],
  resolutionValues: unknown[],
): ChannelRecord {
  const h = decodeRow<ChannelHead>(location, head, `channel ${channel}`);
  if (typeof h !== "object" || h === null || typeof h.state !== "object" || h.setup?.channel !== channel)
    throw new StoreCorruptError(location, `channel ${channel}'s row is not a channel record`);
  const rows = transfers.map((t) => decodeRow<TransferRow>(location, t, `a transfer of channel ${channel}`));
  rows.sort((a, b) => a.position - b.position);
  if (rows.some((r, i) => r.position !== i))
    throw new StoreCorruptError(location, `channel ${channel}'s transfer positions are not dense`);
  const resolutions: Record<string, string> = {};
  resolutionKeys.forEach((key, i) => {
    const id = Array.isArray(key) ? key[1] : undefined;
    const data = resolutionValues[i];
    if (typeof id !== "string" || typeof data !== "string")
      throw new StoreCorruptError(location, `a resolution row of channel ${channel} is malformed`);
    resolutions[id] = data;
  });
  return {
    ...h,
    transfers: rows.map((r) => r.stored),
    withdrawals: withdrawals.map((w) => decodeRow<SignedWithdraw>(location, w, `a withdrawal of channel ${channel}`)),
    resolutions,
  };
}
