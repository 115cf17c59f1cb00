/**
 * The message mutator the fuzz tests share (the channel boundary, its fast path, the wire schemas): every path
 * into a JSON-like value, and a copy of the value with one random change at one random path. Each test keeps its
 * own junk values and mix; the random draws are the same as each test's former copy made, so a seed replays the
 * same cases.
 */
export type Json = unknown;

/** Every path to a value inside `v` (the root first). */
export function paths(
  v: Json,
  prefix: Array<string | number> = [],
  out: Array<Array<string | number>> = [],
): Array<Array<string | number>> {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (typeof v === "object" && v !== null) for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out);
  return out;
}

/** `s` with each hex letter after the 0x randomly upper- or lowercased. */
export function recase(s: string, rand: () => number): string {
  if (!s.startsWith("0x")) return s;
  let out = "0x";
  for (const c of s.slice(2)) out += rand() < 0.5 ? c.toUpperCase() : c.toLowerCase();
  return out;
}

/**
 * How `mutate` changes the chosen value, by one draw r: replaced by junk when r < `replace`, removed when
 * r < `remove`, re-cased (a string) when r < `recase`; otherwise an extra key: on the parent ("parent": the key
 * "extra", arrays left as they are) or on the value itself when it is an object ("current": "extra" or "state",
 * one more draw; anything else is replaced).
 */
export interface MutationMix {
  replace: number;
  remove: number;
  recase?: number;
  extraKey: "parent" | "current";
}

export const DEFAULT_MIX: MutationMix = { replace: 0.6, remove: 0.8, extraKey: "parent" };

/** A copy of `v` with one random change at a random path (the root replaced by junk when it is the path drawn). */
export function mutate(v: Json, rand: () => number, junkValues: ReadonlyArray<() => Json>, mix: MutationMix = DEFAULT_MIX): Json {
  const copy = structuredClone(v) as Json;
  const all = paths(copy);
  const path = all[Math.floor(rand() * all.length)] ?? [];
  const junk = (junkValues[Math.floor(rand() * junkValues.length)] as () => Json)();
  if (path.length === 0) return junk;
  let parent = copy as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
  const last = path[path.length - 1] as string | number;
  const r = rand();
  const current = parent[last];
  if (r < mix.replace) parent[last] = junk;
  else if (r < mix.remove) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (mix.recase !== undefined && r < mix.recase && typeof current === "string") parent[last] = recase(current, rand);
  else if (mix.extraKey === "parent") {
    if (!Array.isArray(parent)) parent["extra"] = junk;
  } else if (typeof current === "object" && current !== null && !Array.isArray(current)) {
    (current as Record<string, Json>)[rand() < 0.5 ? "extra" : "state"] = junk;
  } else parent[last] = junk;
  return copy;
}
