/**
 * The engine's input checks of a unit (engine.ts `write`): keys lowercased and addresses checksummed, so every
 * backend indexes alike; StoreError on bad input.
 */
import { checksum } from "../protocol/address.js";
import { StoreError } from "../protocol/errors.js";
import type { WriteUnit } from "./store.js";

const HEX = /^0x[0-9a-fA-F]*$/;

function hex(value: unknown, what: string): string {
  if (typeof value !== "string" || !HEX.test(value))
    throw new StoreError(`${what} must be 0x-prefixed hex, got ${String(value)}`);
  return value.toLowerCase();
}

function text(value: unknown, what: string): string {
  if (typeof value !== "string" || value.length === 0) throw new StoreError(`${what} must be a non-empty string`);
  return value;
}

function version(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
    throw new StoreError(`${what} must be a version (integer ≥ 0)`);
  return value;
}

/** Lowercases keys and checksums addresses, so every backend indexes alike; throws StoreError on bad input. */
export function normalizeUnit(unit: WriteUnit): WriteUnit {
  for (const op of unit.channels ?? []) {
    if (op.op === "create") op.record.setup.channel = checksum(op.record.setup.channel);
    else op.channel = checksum(op.channel);
  }
  for (const w of unit.payments ?? []) {
    const p = w.payment;
    version(w.expectedVersion, "expectedVersion");
    p.lockHash = hex(p.lockHash, "lockHash");
    text(p.status, "status");
    p.upstreamPeer = checksum(p.upstreamPeer);
    p.upstreamTransferId = hex(p.upstreamTransferId, "upstreamTransferId");
    if (p.downstreamPeer !== undefined) p.downstreamPeer = checksum(p.downstreamPeer);
    if (p.downstreamTransferId !== undefined)
      p.downstreamTransferId = hex(p.downstreamTransferId, "downstreamTransferId");
  }
  for (const p of unit.preimages ?? []) {
    p.lockHash = hex(p.lockHash, "lockHash");
    p.resolverData = hex(p.resolverData, "resolverData");
    text(p.source, "source");
  }
  for (const w of unit.chainTxs ?? []) {
    version(w.expectedVersion, "expectedVersion");
    const t = w.tx;
    text(t.id, "chain transaction id");
    t.sender = checksum(t.sender);
    t.to = checksum(t.to);
    t.data = hex(t.data, "data");
    if (t.nonce !== undefined && (typeof t.nonce !== "bigint" || t.nonce < 0n))
      throw new StoreError("nonce must be a bigint ≥ 0");
  }
  for (const m of unit.outbox ?? []) {
    text(m.id, "outbox id");
    text(m.recipient, "recipient");
    if (m.channel !== undefined) m.channel = checksum(m.channel);
  }
  for (const id of unit.delivered ?? []) text(id, "delivered id");
  return unit;
}
