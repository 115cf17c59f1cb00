/**
 * Whether a proposal's update details are exactly an intent's (the same plain data: the same keys, equal strings
 * to the character, equal bigints, numbers and booleans; a key whose value is undefined counts as absent, as on the
 * wire). The Channel uses it when a party takes the sequencer's proposal for its own intent: the state machine has
 * just built the proposal's transition from the proposal's details, so for details identical to the intent the
 * intent's own transition is that one (the same pure function of the same snapshot, party and details) and need
 * not be built and hashed a second time. Anything else (another case of a hex string, a missing or extra key,
 * another type, an undefined array item, a class instance) answers false (the order of keys does not matter),
 * and the Channel compares the two transitions' content as before. Browser-safe.
 */
export function sameDetails(a: unknown, b: unknown): boolean {
  return same(a, b, 0);
}

/** Deeper than any update's details (a reopen's payouts are 3 levels): refuse rather than recurse on. */
const MAX_DEPTH = 16;

function same(a: unknown, b: unknown, depth: number): boolean {
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) return a === b && a !== undefined;
  if (depth >= MAX_DEPTH) return false;
  const arrayA = Array.isArray(a);
  if (arrayA !== Array.isArray(b)) return false;
  if (arrayA) {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!same(x[i], y[i], depth + 1)) return false;
    return true;
  }
  if (!isPlain(a) || !isPlain(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let count = 0;
  for (const key of Object.keys(x)) {
    const v = x[key];
    if (v === undefined) continue;
    count++;
    if (!Object.prototype.hasOwnProperty.call(y, key) || !same(v, y[key], depth + 1)) return false;
  }
  for (const key of Object.keys(y)) if (y[key] !== undefined) count--;
  return count === 0;
}

function isPlain(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
