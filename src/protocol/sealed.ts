/**
 * Sealed values: plain data the SDK built itself and deep-froze, so that whoever holds a reference to it can rely
 * on it never changing. A store must keep what a unit of work gives it safe from later changes by the caller;
 * for a sealed value that holds without a copy (every part is frozen, so no holder can change it), and the store
 * keeps the value itself (`copyUnsealed`). Everything else is still copied.
 *
 * Only values that passed through `seal` in this process are sealed: the record is a module-private WeakSet, so
 * no message from outside (JSON, a structured clone, another realm) can claim it, and a value frozen by anyone
 * else is not sealed. A value with any part that is not plain data (a class instance, a typed array, an
 * undefined value) is left unsealed, unfrozen, and copied as before. The Channel seals what it builds and
 * stores (src/channel/channel.ts); nothing outside the SDK needs to. Browser-safe.
 */

const sealed = new WeakSet<object>();

/** Whether `value` is an own, plain object (prototype Object.prototype or null) or a plain array. */
function plainContainer(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  if (Array.isArray(value)) return proto === Array.prototype;
  return proto === Object.prototype || proto === null;
}

/**
 * Whether every part of `value` is plain data: plain objects and arrays (no class instance, typed array or
 * other exotic object), strings, bigints, numbers, booleans, and no key whose value is undefined (a copy would
 * drop it). `seal` is only given data the SDK built from object literals and spreads (which never create
 * accessors), so own enumerable keys are all there is to read.
 */
function freezable(value: unknown, depth: number): boolean {
  if (typeof value !== "object" || value === null) {
    return value !== undefined && typeof value !== "function" && typeof value !== "symbol";
  }
  if (sealed.has(value)) return true;
  if (depth > 64 || !plainContainer(value)) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!freezable(value[i], depth + 1)) return false;
    return true;
  }
  for (const key of Object.keys(value)) {
    if (!freezable((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

function deepFreeze(value: object): void {
  if (sealed.has(value)) return;
  for (const key of Object.keys(value)) {
    const v: unknown = (value as Record<string, unknown>)[key];
    if (typeof v === "object" && v !== null) deepFreeze(v);
  }
  Object.freeze(value);
  sealed.add(value);
}

/**
 * Deep-freezes `value` (plain objects, arrays, strings, bigints, numbers, booleans) and records it as sealed;
 * returns it. A value with a part that is not plain data is returned unchanged and unsealed. For data the SDK
 * built itself (see `freezable`); a sealed part shared with another sealed value is walked once.
 */
export function seal<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (sealed.has(value) || !freezable(value, 0)) return value;
  deepFreeze(value);
  return value;
}

/** Whether `value` went through `seal` in this process (it and every part of it are frozen). */
export function isSealed(value: unknown): boolean {
  return typeof value === "object" && value !== null && sealed.has(value);
}

/**
 * A deep copy of plain data as `copyData` (record.ts) makes it (keys whose value is undefined dropped), except
 * that sealed parts are kept as they are: they cannot change, so sharing them is as safe as copying them.
 */
export function copyUnsealed<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (sealed.has(value)) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => copyUnsealed(item)) as T;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = copyUnsealed(v);
  }
  return out as T;
}

/** What the Channel's boundary checks accepted a sealed value as (src/channel/validate.ts). */
export type CheckedKind = "update" | "transfer";

const checkedAs = new WeakMap<object, CheckedKind>();

/**
 * Seals `value` and records that the SDK's boundary checks (the wire's schemas or their fast path) have just
 * accepted it as a `kind` in canonical form: uint256 bigints, checksummed addresses, lowercase hex. The state
 * machine then skips its own shape check of that value (the rules all still run): it was validated once, and
 * being frozen it cannot have changed since. A value that cannot be sealed is not recorded.
 */
export function sealChecked<T>(value: T, kind: CheckedKind): T {
  const sealedValue = seal(value);
  if (typeof sealedValue === "object" && sealedValue !== null && sealed.has(sealedValue)) checkedAs.set(sealedValue, kind);
  return sealedValue;
}

/** Whether `value` went through `sealChecked(value, kind)` in this process. */
export function wasChecked(value: unknown, kind: CheckedKind): boolean {
  return typeof value === "object" && value !== null && checkedAs.get(value) === kind;
}
