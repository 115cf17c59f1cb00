/**
 * What a party keeps about one channel (`ChannelRecord`), the entries that change it (`StoreEntry`), and their
 * JSON encoding. Shared by every ChannelStore implementation, so they all fold entries alike.
 *
 * A record holds everything needed to act alone on chain later (the watcher's view): the latest co-signed
 * state with both signatures, every active transfer in merkle-tree order, the co-signed withdraw commitments,
 * the co-signed final state, the evidence (preimages) known per transfer, and the signature this party gave
 * for the next nonce while waiting for the counter-party's (so it is never signed again differently).
 */
import { DoubleSignError, MalformedMessageError, StoreError } from "./errors.js";
import { MAX_JSON_DEPTH, parseBoundedJson } from "./json.js";
import { contentHash, payloadDigests, type PayloadSignatures } from "./signing.js";
import { payloadsOf } from "./stateMachine.js";
import type { ChannelState, FinalState, WithdrawCommitment } from "./typedData.js";
import type { Transfer } from "./transfers.js";
import type { ChannelSetup, Party, Update } from "./types.js";

/** A co-signed state: the unit of disputes. */
export interface SignedState {
  state: ChannelState;
  aliceSignature: string;
  bobSignature: string;
}

/** A co-signed withdraw commitment, ready for `withdraw(commitment, aliceSignature, bobSignature)`. */
export interface SignedWithdraw {
  commitment: WithdrawCommitment;
  aliceSignature: string;
  bobSignature: string;
}

/** A co-signed final state, ready for `closeChannel(state, aliceSignature, bobSignature)`. */
export interface SignedFinal {
  state: FinalState;
  aliceSignature: string;
  bobSignature: string;
}

/** An active transfer as stored: its id and the transfer, in merkle-tree order. */
export interface StoredTransfer {
  id: string;
  transfer: Transfer;
}

/** This party's signature of the next nonce, given while the counter-party's is not yet known. */
export interface PendingSignature {
  nonce: bigint;
  /** `contentHash` of the update's payload digests: the only content this party will ever sign at `nonce`. */
  content: string;
  update: Update;
  signatures: PayloadSignatures;
}

/** A co-signed update: the update (with the resulting state) and both parties' signatures of its payloads. */
export interface CoSignedUpdate {
  update: Update;
  /** The stored id of the transfer the update creates or resolves (so the store never rehashes). */
  transferId?: string;
  alice: PayloadSignatures;
  bob: PayloadSignatures;
}

export interface ChannelRecord {
  setup: ChannelSetup;
  /** The party this store belongs to. */
  me: Party;
  /** The latest co-signed state; absent while only the unsigned genesis state exists. */
  latest?: SignedState;
  /** The latest state (the co-signed one, or the genesis state). */
  state: ChannelState;
  transfers: StoredTransfer[];
  nextWithdrawNonce: bigint;
  withdrawals: SignedWithdraw[];
  final?: SignedFinal;
  closed: boolean;
  /** Known evidence by transfer id (lowercase): preimages of resolved or learned hashlocks. */
  resolutions: Record<string, string>;
  pending?: PendingSignature;
}

export type StoreEntry =
  | { kind: "signed"; pending: PendingSignature }
  | { kind: "cosigned"; cosigned: CoSignedUpdate }
  | { kind: "resolution"; transferId: string; resolverData: string };

/** Content hashes of updates a Channel built and hashed itself, by object (see rememberContent). */
const knownContent = new WeakMap<Update, { chainId: bigint; channel: string; content: string }>();

/**
 * Records the content hash a Channel has just computed for an update object it built, so that a store's
 * checkEntry need not hash the same object again. The SDK never changes an update object once built; an
 * update from anywhere else (a restore, a file) is not in the memo and is hashed.
 */
export function rememberContent(setup: ChannelSetup, update: Update, content: string): void {
  knownContent.set(update, { chainId: setup.chainId, channel: setup.channel, content });
}

/** Whether a Channel built `update` and remembered its content (rememberContent): an object the SDK never changes. */
export function isRemembered(update: Update): boolean {
  return knownContent.has(update);
}

/**
 * Records that `copy` (a deep copy a store has just made of `original`, see copyData) has the content hash
 * remembered for `original`, if any: equal data, equal payloads, equal hash.
 */
export function rememberCopy(original: Update, copy: Update): void {
  const known = knownContent.get(original);
  if (known !== undefined) knownContent.set(copy, known);
}

/** The content hash of an update's payloads in `setup`'s domain (from the memo when the Channel knows it). */
export function updateContent(setup: ChannelSetup, update: Update): string {
  const known = knownContent.get(update);
  if (known !== undefined && known.chainId === setup.chainId && known.channel === setup.channel) return known.content;
  return contentHash(payloadDigests(setup.chainId, setup.channel, payloadsOf(update)));
}

/**
 * Throws StoreError (or DoubleSignError) when `entry` cannot follow `record`; changes nothing. Every store
 * calls it before writing, so an entry that is written always folds.
 */
export function checkEntry(record: ChannelRecord, entry: StoreEntry, positions: Map<string, number>): void {
  if (entry.kind === "resolution") return;
  const update: Update | undefined = entry.kind === "signed" ? entry.pending.update : entry.cosigned.update;
  const reopens = update?.details?.type === "reopen";
  if (record.closed && !reopens) throw new StoreError("the channel is closed: only a reopen can follow");
  if (!record.closed && reopens) throw new StoreError("a reopen of a channel that is not closed");
  const expected = record.state.nonce + 1n;
  if (entry.kind === "signed") {
    const { nonce, content } = entry.pending;
    if (nonce !== expected) throw new StoreError(`a signature for nonce ${nonce} while the next nonce is ${expected}`);
    const previous = record.pending;
    if (previous !== undefined && previous.nonce === nonce && previous.content !== content) {
      throw new DoubleSignError(nonce, previous.content, content);
    }
    return;
  }
  const c = entry.cosigned;
  const nonce = c.update.state.nonce;
  if (nonce !== expected)
    throw new StoreError(`co-signed nonce ${nonce} does not follow the stored nonce ${record.state.nonce}`);
  const pending = record.pending;
  if (pending !== undefined && pending.nonce === nonce) {
    // This party signed the next nonce already: the co-signed update must be that very content.
    const content = updateContent(record.setup, c.update);
    if (content !== pending.content) throw new DoubleSignError(nonce, pending.content, content);
  }
  const d = c.update.details;
  const needs: Array<[string | undefined, string]> = [];
  if (d.type !== "close")
    needs.push([c.alice.state, "alice's state signature"], [c.bob.state, "bob's state signature"]);
  if (d.type === "withdraw")
    needs.push([c.alice.withdraw, "alice's withdraw signature"], [c.bob.withdraw, "bob's withdraw signature"]);
  if (d.type === "close")
    needs.push([c.alice.final, "alice's final signature"], [c.bob.final, "bob's final signature"]);
  for (const [value, what] of needs) required(value, what);
  if (d.type === "create") {
    const id = required(c.transferId, "transferId");
    if (positions.has(id)) throw new StoreError(`transfer ${id} is already stored`);
  }
  if (d.type === "resolve" && !positions.has(d.transferId.toLowerCase())) {
    throw new StoreError(`resolved transfer ${d.transferId} is not stored`);
  }
}

/** Checks one entry (checkEntry), then folds it into a record, in place. `positions` indexes `record.transfers` by id. */
export function applyEntry(record: ChannelRecord, entry: StoreEntry, positions: Map<string, number>): void {
  checkEntry(record, entry, positions);
  applyCheckedEntry(record, entry, positions);
}

/** Folds an entry that checkEntry has just accepted for this very record (no second check). */
export function applyCheckedEntry(record: ChannelRecord, entry: StoreEntry, positions: Map<string, number>): void {
  switch (entry.kind) {
    case "signed":
      record.pending = entry.pending;
      return;
    case "resolution":
      record.resolutions[entry.transferId.toLowerCase()] = entry.resolverData;
      return;
    case "cosigned":
      applyCoSigned(record, entry.cosigned, positions);
      return;
  }
}

function applyCoSigned(record: ChannelRecord, c: CoSignedUpdate, positions: Map<string, number>): void {
  const { update } = c;
  const nonce = update.state.nonce;
  delete record.pending;
  const d = update.details;
  switch (d.type) {
    case "create": {
      const id = c.transferId as string;
      positions.set(id, record.transfers.length);
      record.transfers.push({ id, transfer: d.transfer });
      break;
    }
    case "resolve": {
      const id = d.transferId.toLowerCase();
      const hole = positions.get(id) as number;
      const last = record.transfers.pop() as StoredTransfer;
      positions.delete(id);
      if (last.id !== id) {
        record.transfers[hole] = last;
        positions.set(last.id, hole);
      }
      if (d.resolverData !== "0x") record.resolutions[id] = d.resolverData;
      break;
    }
    case "withdraw":
      record.nextWithdrawNonce = d.commitment.nonce + 1n;
      record.withdrawals.push({
        commitment: d.commitment,
        aliceSignature: c.alice.withdraw as string,
        bobSignature: c.bob.withdraw as string,
      });
      break;
    case "close":
      record.closed = true;
      record.final = {
        state: { nonce, assets: update.state.assets },
        aliceSignature: c.alice.final as string,
        bobSignature: c.bob.final as string,
      };
      break;
    case "reopen":
      // The next life cycle: the final state stays recorded (it was executed on chain: the reopen follows it).
      record.closed = false;
      break;
    case "deposit":
    case "plain":
      break;
  }
  record.state = update.state;
  if (d.type !== "close") {
    record.latest = {
      state: update.state,
      aliceSignature: c.alice.state as string,
      bobSignature: c.bob.state as string,
    };
  }
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new StoreError(`co-signed update without ${what}`);
  return value;
}

/** Index of `record.transfers` by id. */
export function positionsOf(record: ChannelRecord): Map<string, number> {
  const positions = new Map<string, number>();
  record.transfers.forEach((t, i) => positions.set(t.id, i));
  return positions;
}

// ───────────────────────────── JSON encoding ─────────────────────────────

/** JSON with bigints as {"$n":"<decimal>"}, so every number round-trips exactly. */
export function encodeJson(value: unknown): string {
  // Plain data (the SDK's records, entries and messages) takes the fast path: bigints replaced in a copy, then
  // JSON.stringify without a replacer (a replacer is a call per value, about a third of the time). Anything
  // else (a class instance, a Date, a typed array, a toJSON method, very deep nesting) takes the reference path.
  const plain = jsonable(value, 0);
  if (plain !== NOT_PLAIN) return JSON.stringify(plain);
  return encodeJsonWithReplacer(value);
}

/**
 * encodeJson of each value, with objects shared between them (the same object reached twice, such as a state
 * that is also the latest signed state's and the update's) copied for JSON once: the same strings as
 * `values.map(encodeJson)`.
 */
export function encodeJsonShared(values: readonly unknown[]): string[] {
  const memo = new Map<object, unknown>();
  return values.map((value) => {
    const plain = jsonable(value, 0, memo);
    return plain !== NOT_PLAIN ? JSON.stringify(plain) : encodeJsonWithReplacer(value);
  });
}

/** The reference encoding (what encodeJson gives for every input). */
export function encodeJsonWithReplacer(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? { $n: v.toString() } : v));
}

const NOT_PLAIN: unique symbol = Symbol("not plain data");
const MAX_PLAIN_DEPTH = 64;

/** `value` with every bigint as {$n}, or NOT_PLAIN when JSON.stringify would treat some part specially. */
function jsonable(value: unknown, depth: number, memo?: Map<object, unknown>): unknown {
  if (typeof value === "bigint") return { $n: value.toString() };
  if (typeof value !== "object" || value === null) return value;
  if (memo !== undefined) {
    const known = memo.get(value);
    if (known !== undefined) return known;
    const plain = jsonableObject(value, depth, memo);
    memo.set(value, plain);
    return plain;
  }
  return jsonableObject(value, depth, undefined);
}

function jsonableObject(value: object, depth: number, memo: Map<object, unknown> | undefined): unknown {
  if (depth > MAX_PLAIN_DEPTH) return NOT_PLAIN;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return NOT_PLAIN;
    const out: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = jsonable(value[i], depth + 1, memo);
      if (v === NOT_PLAIN) return NOT_PLAIN;
      out[i] = v;
    }
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return NOT_PLAIN;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (key === "__proto__") return NOT_PLAIN; // an own "__proto__" key (from JSON.parse) cannot be set by assignment
    const v = jsonable((value as Record<string, unknown>)[key], depth + 1, memo);
    if (v === NOT_PLAIN) return NOT_PLAIN;
    out[key] = v;
  }
  return out;
}

/**
 * Decodes `encodeJson`'s text; text that is not JSON or nests too deep throws MalformedMessageError.
 * JSON.parse runs without a reviver (a reviver is a call per value: most of the decoding's time), then one walk
 * over the objects and arrays turns each `{"$n": "<decimal>"}` into its bigint, innermost first, as the reviver
 * of `decodeJsonWithReviver` (the reference) does, and refuses a nesting deeper than `maxDepth`.
 */
export function decodeJson<T>(text: string, maxDepth = MAX_JSON_DEPTH): T {
  if (typeof text !== "string") throw new MalformedMessageError("JSON text", `expected a string, got ${typeof text}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new MalformedMessageError("JSON text", error instanceof Error ? error.message : String(error));
  }
  return revived(value, 1, maxDepth) as T;
}

const DECIMAL = /^-?\d+$/;

/** `value` (parsed JSON, `depth` levels deep) with every {$n} object below it, and itself, as a bigint. */
function revived(value: unknown, depth: number, maxDepth: number): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (depth > maxDepth) throw new MalformedMessageError("JSON text", `it nests deeper than ${maxDepth} levels`);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === "object" && item !== null) value[i] = revived(item, depth + 1, maxDepth);
    }
    return value;
  }
  const fields = value as Record<string, unknown>;
  const keys = Object.keys(fields);
  for (const key of keys) {
    const v = fields[key];
    if (typeof v !== "object" || v === null) continue;
    const r = revived(v, depth + 1, maxDepth);
    // An own "__proto__" key (JSON.parse makes one) shadows Object.prototype's setter: it stays an own property.
    if (r !== v) fields[key] = r;
  }
  const n = fields.$n;
  if (keys.length === 1 && keys[0] === "$n" && typeof n === "string" && DECIMAL.test(n)) return BigInt(n);
  return value;
}

/** The reference decoding (what decodeJson gives for every input): JSON.parse with a reviver. */
export function decodeJsonWithReviver<T>(text: string, maxDepth = MAX_JSON_DEPTH): T {
  return parseBoundedJson(
    text,
    (_key, v: unknown) => {
      if (typeof v === "object" && v !== null && !Array.isArray(v)) {
        const keys = Object.keys(v);
        const n = (v as { $n?: unknown }).$n;
        if (keys.length === 1 && typeof n === "string" && /^-?\d+$/.test(n)) return BigInt(n);
      }
      return v;
    },
    maxDepth,
  ) as T;
}

/**
 * A deep copy of plain data (objects, arrays, strings, bigints, numbers, booleans): what the JSON encoding
 * round-trips, without encoding (a memory store copies every entry; JSON made that a third of an update).
 * Keys whose value is undefined are dropped, as JSON drops them.
 */
export function copyData<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => copyData(item)) as T;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = copyData(v);
  }
  return out as T;
}

/** A deep copy of a record. */
export function cloneRecord(record: ChannelRecord): ChannelRecord {
  return copyData(record);
}
