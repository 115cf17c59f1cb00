/**
 * Bounds on JSON text before it is parsed: `JSON.parse` with a reviver recurses once per nesting level, so a
 * deeply nested text would end in a RangeError (stack overflow) instead of a typed error. Browser-safe.
 */
import { MalformedMessageError } from "./errors.js";

/** The deepest nesting `decodeJson` accepts by default (a stored channel record nests fewer than 10 levels). */
export const MAX_JSON_DEPTH = 64;

/** The deepest nesting of `[`/`{` in JSON text, outside strings; stops counting once above `limit`. */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      depth++;
      if (depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return max;
}

/** Parses JSON text with `reviver`; a text that is not a string, not JSON or too deep throws MalformedMessageError. */
export function parseBoundedJson(
  text: unknown,
  reviver: (key: string, value: unknown) => unknown,
  maxDepth = MAX_JSON_DEPTH,
): unknown {
  if (typeof text !== "string") throw new MalformedMessageError("JSON text", `expected a string, got ${typeof text}`);
  if (jsonDepth(text, maxDepth) > maxDepth) {
    throw new MalformedMessageError("JSON text", `it nests deeper than ${maxDepth} levels`);
  }
  try {
    return JSON.parse(text, reviver);
  } catch (error) {
    throw new MalformedMessageError("JSON text", error instanceof Error ? error.message : String(error));
  }
}
