/**
 * The copy of a unit that `write` keeps (engine.ts), so that later changes to the caller's objects cannot reach
 * the store: a plain deep copy (copyData), except the update objects a Channel built and remembered
 * (record.ts `rememberContent`), which are shared. The SDK never changes such an update once built, and the
 * store already relies on that (its content hash is taken from the memo, not recomputed); an update from
 * anywhere else (a restore, a file, a hand-built entry) is not in the memo and is copied. The copy has the same
 * data, key order and JSON as copyData's. Browser-safe (no imports of Node.js).
 */
import { copyData, isRemembered } from "../protocol/record.js";
import type { Update } from "../protocol/types.js";
import type { WriteUnit } from "./store.js";

type Fields = Record<string, unknown>;

const isObject = (v: unknown): v is Fields => typeof v === "object" && v !== null && !Array.isArray(v);

/** copyData of a plain object, with the field `key` copied by `inner` instead. */
function copyExcept(value: Fields, key: string, inner: (v: unknown) => unknown): Fields {
  const out: Fields = {};
  for (const k of Object.keys(value)) {
    const v = value[k];
    if (v !== undefined) out[k] = k === key ? inner(v) : copyData(v);
  }
  return out;
}

/** The update itself when a Channel built it, else its copy. */
const updateCopy = (v: unknown): unknown => (isObject(v) && isRemembered(v as unknown as Update) ? v : copyData(v));

function entryCopy(v: unknown): unknown {
  if (!isObject(v)) return copyData(v);
  if (v.kind === "signed" && isObject(v.pending))
    return copyExcept(v, "pending", (p) => copyExcept(p as Fields, "update", updateCopy));
  if (v.kind === "cosigned" && isObject(v.cosigned))
    return copyExcept(v, "cosigned", (c) => copyExcept(c as Fields, "update", updateCopy));
  return copyData(v);
}

const opCopy = (op: unknown): unknown =>
  isObject(op) && op.op === "entry" ? copyExcept(op, "entry", entryCopy) : copyData(op);

/** The unit's copy for the store (see the module's comment). */
export function copyUnit(unit: WriteUnit): WriteUnit {
  if (!isObject(unit) || !Array.isArray(unit.channels)) return copyData(unit);
  return copyExcept(unit as unknown as Fields, "channels", (ops) =>
    (ops as unknown[]).map(opCopy),
  ) as unknown as WriteUnit;
}

