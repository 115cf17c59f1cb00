// Mutation operators of `npm run mutation`: each one is a fixed, textual rewrite of one line of a contract, applied
// one at a time. Every operator is listed here, with what it models; nothing else is ever mutated.

/**
 * @typedef {{ operator: string, line: number, original: string, mutated: string }} Mutation
 *   `line` is 1-based; `mutated` is the whole replacement line ("" deletes the statement).
 */

/** Binary comparison operators, written with a space on each side as the codebase does. */
const COMPARISONS = ["<=", ">=", "==", "!=", "<", ">"];

/** Off-by-one at a boundary: strict and non-strict comparisons swapped. */
const BOUNDARY = { "<": "<=", "<=": "<", ">": ">=", ">=": ">" };
/** A comparison negated. */
const NEGATION = { "<": ">=", ">=": "<", ">": "<=", "<=": ">", "==": "!=", "!=": "==" };

export const OPERATORS = {
  "rel-boundary": "a comparison made strict or non-strict (< ↔ <=, > ↔ >=): off-by-one at a bound",
  "rel-negate": "a comparison negated (== ↔ !=, < ↔ >=, > ↔ <=)",
  "logic-swap": "&& ↔ || in a condition",
  "not-drop": "a leading ! removed from a condition",
  "guard-delete": "a one-line `if (...) revert ...;` guard deleted",
  "store-delete": "a one-line write to storage (`$.`, `ledger.`, `sstore`) deleted",
  "modifier-drop": "the `nonReentrant` modifier removed from a function",
  "arith-swap": "+ ↔ - in an expression",
  "const-change": "a numeric constant changed (declared `constant`, or an assembly size/offset literal)",
  "hash-drop": "one field dropped from an EIP-712 / transfer-id encoding",
};

/** The code part of a line (without a trailing // comment), or null for comment-only / declaration lines. */
function codeOf(text) {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed.startsWith("//") || trimmed.startsWith("*") || trimmed.startsWith("/*")) return null;
  if (/^(pragma|import|error|event|interface|library|contract|abstract contract)\b/.test(trimmed)) return null;
  const cut = text.indexOf(" //");
  return cut === -1 ? text : text.slice(0, cut);
}

/** Every occurrence of ` op ` in `code` (space-delimited), as start indexes of the operator. */
function occurrences(code, op) {
  const out = [];
  const needle = ` ${op} `;
  let from = 0;
  for (;;) {
    const at = code.indexOf(needle, from);
    if (at === -1) return out;
    out.push(at + 1);
    from = at + needle.length - 1;
  }
}

function replaceAt(text, index, length, replacement) {
  return text.slice(0, index) + replacement + text.slice(index + length);
}

/** Comparison operators of a code line, longest first so that `<=` is not also read as `<`. */
function comparisons(code) {
  const taken = new Set();
  const found = [];
  for (const op of COMPARISONS) {
    for (const at of occurrences(code, op)) {
      if (taken.has(at)) continue;
      for (let i = 0; i < op.length; i += 1) taken.add(at + i);
      found.push({ op, at });
    }
  }
  return found.sort((x, y) => x.at - y.at);
}

/**
 * All mutations of one source file.
 * @param {string} source The file's text.
 * @param {{ hashing?: boolean }} options `hashing` enables hash-drop (files that build signed encodings).
 * @returns {Mutation[]}
 */
export function mutationsOf(source, options = {}) {
  const lines = source.split("\n");
  /** @type {Mutation[]} */
  const out = [];
  let inAssembly = false;
  let depthAtAssembly = 0;
  let depth = 0;
  lines.forEach((text, i) => {
    const line = i + 1;
    const code = codeOf(text);
    const push = (operator, mutated) => {
      if (mutated !== text) out.push({ operator, line, original: text, mutated });
    };
    if (code === null) return;
    if (/\bassembly\b/.test(code)) {
      inAssembly = true;
      depthAtAssembly = depth;
    }
    depth += (code.match(/\{/g) ?? []).length - (code.match(/\}/g) ?? []).length;
    const assembly = inAssembly;
    if (inAssembly && depth <= depthAtAssembly) inAssembly = false;

    // Comparisons (Solidity only: Yul has none of these infix operators).
    if (!assembly) {
      for (const { op, at } of comparisons(code)) {
        if (BOUNDARY[op]) push("rel-boundary", replaceAt(text, at, op.length, BOUNDARY[op]));
        push("rel-negate", replaceAt(text, at, op.length, NEGATION[op]));
      }
      for (const at of occurrences(code, "&&")) push("logic-swap", replaceAt(text, at, 2, "||"));
      for (const at of occurrences(code, "||")) push("logic-swap", replaceAt(text, at, 2, "&&"));
      const not = code.search(/(if \(|&& |\|\| )!(?!=)/);
      if (not !== -1) {
        const bang = code.indexOf("!", not);
        push("not-drop", replaceAt(text, bang, 1, ""));
      }
      if (/^\s*if \(.*\) revert \w+\(.*\);\s*$/.test(code)) push("guard-delete", "");
      if (/\) (external|public)[\w ]* nonReentrant\b/.test(code))
        push("modifier-drop", text.replace(" nonReentrant", ""));
      if (/^\s*(\$\.|ledger\.)[\w.[\]$]*\s*(=|\+=|-=)\s*[^=].*;\s*$/.test(code)) push("store-delete", "");
      if (!/\bconstant\b/.test(code) && !/type\(/.test(code)) {
        for (const at of occurrences(code, "+")) push("arith-swap", replaceAt(text, at, 1, "-"));
        for (const at of occurrences(code, "-")) push("arith-swap", replaceAt(text, at, 1, "+"));
      }
    } else if (/^\s*sstore\(/.test(code)) {
      push("store-delete", "");
    }

    // Constants: a declared numeric constant, or a hex size/offset literal in assembly.
    const declared = code.match(/\bconstant\s+\w+\s*=\s*([0-9][0-9_]*)\s*;/);
    if (declared) {
      const value = BigInt(declared[1].replaceAll("_", ""));
      const changed = value > 1n ? value / 2n : value + 1n;
      push("const-change", text.replace(declared[1], changed.toString()));
    }
    if (assembly) {
      const hex = [...code.matchAll(/\b0x([0-9a-f]{2})\b/g)];
      for (const m of hex) {
        const value = Number.parseInt(m[1], 16);
        if (value === 0) continue;
        const changed = `0x${(value - 0x20 >= 0 ? value - 0x20 : value + 0x20).toString(16).padStart(2, "0")}`;
        push("const-change", replaceAt(text, m.index, m[0].length, changed));
      }
    }

    // Hash fields: one argument of an abi.encode(...) list written on one line, or one per line.
    if (options.hashing && !assembly) {
      const enc = code.match(/abi\.encode\((.*)\)\)/);
      if (enc) {
        const args = enc[1].split(",").map((a) => a.trim());
        for (let k = 1; k < args.length; k += 1) {
          const kept = args.filter((_, j) => j !== k).join(", ");
          push("hash-drop", text.replace(enc[1], kept));
        }
      } else if (/^\s*(keccak256\()?[a-z]\w*(\.\w+)?\)?,\s*$/.test(code) && !/TYPEHASH/.test(code)) {
        push("hash-drop", "");
      }
    }
  });
  return out;
}
