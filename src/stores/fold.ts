/**
 * Folding a store entry into a cached channel record so that it can be undone, and the delta a database
 * backend writes for it. Every backend checks an entry against its record with record.ts (`applyEntry` checks
 * before it changes anything), keeps the fold when the unit commits and undoes it when the unit or the commit
 * fails, so the cache never holds anything that is not durable.
 */
import {
  applyEntry,
  type ChannelRecord,
  type CoSignedUpdate,
  type SignedWithdraw,
  type StoreEntry,
  type StoredTransfer,
} from "../protocol/record.js";

/** A channel's record in a store's cache, with its transfers indexed by id. */
export interface Slot {
  record: ChannelRecord;
  positions: Map<string, number>;
}

/** What one entry changed, for a database backend to write. */
export interface EntryDelta {
  kind: StoreEntry["kind"];
  /** The record's nonce before the entry (the row the update must still find). */
  priorNonce: bigint;
  added?: { transfer: StoredTransfer; position: number };
  removed?: string;
  /** The transfer moved into the removed one's position (merkle-tree order keeps positions dense). */
  moved?: { id: string; position: number };
  withdrawal?: { signed: SignedWithdraw; index: number };
  resolution?: { transferId: string; resolverData: string };
  cosigned?: CoSignedUpdate;
}

export interface Fold {
  delta: EntryDelta;
  undo: () => void;
}

/** Folds `entry` into `slot` (throwing, with nothing changed, when it does not follow) and returns how to undo it. */
export function foldEntry(slot: Slot, entry: StoreEntry): Fold {
  const { record, positions } = slot;
  const before = {
    state: record.state,
    latest: record.latest,
    pending: record.pending,
    nextWithdrawNonce: record.nextWithdrawNonce,
    final: record.final,
    closed: record.closed,
    transfers: record.transfers.length,
    withdrawals: record.withdrawals.length,
  };
  const resolved = resolutionKey(entry);
  const hadResolution = resolved !== undefined && Object.prototype.hasOwnProperty.call(record.resolutions, resolved);
  const oldResolution = resolved === undefined ? undefined : record.resolutions[resolved];
  const removedId =
    entry.kind === "cosigned" && entry.cosigned.update.details.type === "resolve"
      ? entry.cosigned.update.details.transferId.toLowerCase()
      : undefined;
  const hole = removedId === undefined ? undefined : positions.get(removedId);
  const holeTransfer = hole === undefined ? undefined : record.transfers[hole];
  const lastTransfer = record.transfers[record.transfers.length - 1];

  applyEntry(record, entry, positions);

  const delta: EntryDelta = { kind: entry.kind, priorNonce: before.state.nonce };
  if (entry.kind === "cosigned") {
    delta.cosigned = entry.cosigned;
    const d = entry.cosigned.update.details;
    if (d.type === "create") {
      const position = record.transfers.length - 1;
      delta.added = { transfer: record.transfers[position] as StoredTransfer, position };
    }
    if (removedId !== undefined && hole !== undefined) {
      delta.removed = removedId;
      if (lastTransfer !== undefined && lastTransfer.id !== removedId)
        delta.moved = { id: lastTransfer.id, position: hole };
    }
    if (d.type === "withdraw") {
      const index = record.withdrawals.length - 1;
      delta.withdrawal = { signed: record.withdrawals[index] as SignedWithdraw, index };
    }
  }
  if (resolved !== undefined && record.resolutions[resolved] !== oldResolution) {
    delta.resolution = { transferId: resolved, resolverData: record.resolutions[resolved] as string };
  }

  return {
    delta,
    undo: undoer(record, positions, delta, before, {
      resolved,
      hadResolution,
      oldResolution,
      hole,
      holeTransfer,
      lastTransfer,
    }),
  };
}

/** What foldEntry saw before it folded, for its undo. */
interface Before {
  state: ChannelRecord["state"];
  latest: ChannelRecord["latest"];
  pending: ChannelRecord["pending"];
  nextWithdrawNonce: bigint;
  final: ChannelRecord["final"];
  closed: boolean;
  transfers: number;
  withdrawals: number;
}

interface Touched {
  resolved: string | undefined;
  hadResolution: boolean;
  oldResolution: string | undefined;
  hole: number | undefined;
  holeTransfer: StoredTransfer | undefined;
  lastTransfer: StoredTransfer | undefined;
}

/** The undo of one fold (a factory, so that a fold creates one plain closure). */
function undoer(
  record: ChannelRecord,
  positions: Map<string, number>,
  delta: EntryDelta,
  before: Before,
  touched: Touched,
): () => void {
  const { resolved, hadResolution, oldResolution, hole, holeTransfer, lastTransfer } = touched;
  return () => {
    record.state = before.state;
    record.nextWithdrawNonce = before.nextWithdrawNonce;
    record.closed = before.closed;
    restore(record, "latest", before.latest);
    restore(record, "pending", before.pending);
    restore(record, "final", before.final);
    record.withdrawals.length = before.withdrawals;
    if (delta.added !== undefined) {
      record.transfers.pop();
      positions.delete(delta.added.transfer.id);
    }
    if (delta.removed !== undefined && holeTransfer !== undefined && hole !== undefined && lastTransfer !== undefined) {
      if (delta.moved !== undefined) {
        record.transfers[hole] = holeTransfer;
        positions.set(lastTransfer.id, before.transfers - 1);
      }
      record.transfers.push(lastTransfer);
      positions.set(holeTransfer.id, hole);
    }
    if (resolved !== undefined) {
      if (hadResolution) record.resolutions[resolved] = oldResolution as string;
      else delete record.resolutions[resolved];
    }
  };
}

function resolutionKey(entry: StoreEntry): string | undefined {
  if (entry.kind === "resolution") return entry.transferId.toLowerCase();
  if (entry.kind === "cosigned" && entry.cosigned.update.details.type === "resolve")
    return entry.cosigned.update.details.transferId.toLowerCase();
  return undefined;
}

function restore<K extends "latest" | "pending" | "final">(
  record: ChannelRecord,
  key: K,
  value: ChannelRecord[K],
): void {
  if (value === undefined) delete record[key];
  else record[key] = value;
}
