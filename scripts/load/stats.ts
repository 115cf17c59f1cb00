/**
 * Small statistics for the load report: percentiles of measured samples, percentiles read off a Prometheus
 * histogram (the difference of two scrapes), and a seeded random source so a run's payees and amounts repeat.
 */

/** The q-quantile (0 ≤ q ≤ 1) of `values` by the nearest-rank method; NaN for no values. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function percentiles(values: readonly number[]): Percentiles {
  return {
    count: values.length,
    p50: percentile(values, 0.5),
    p95: percentile(values, 0.95),
    p99: percentile(values, 0.99),
    max: values.length === 0 ? Number.NaN : values.reduce((a, b) => (b > a ? b : a), -Infinity),
  };
}

/** A cumulative histogram as Prometheus exposes it: upper bounds (seconds, +Inf last) and counts. */
export interface Histogram {
  bounds: number[];
  counts: number[];
}

/** The buckets of histogram `name` (all label sets summed) in a Prometheus text exposition. */
export function histogramOf(text: string, name: string): Histogram {
  const byBound = new Map<number, number>();
  const pattern = new RegExp(`^${name}_bucket\\{([^}]*)\\}\\s+(\\S+)$`);
  for (const line of text.split("\n")) {
    const m = pattern.exec(line);
    if (m === null) continue;
    const le = /le="([^"]+)"/.exec(m[1] as string)?.[1];
    if (le === undefined) continue;
    const bound = le === "+Inf" ? Infinity : Number(le);
    byBound.set(bound, (byBound.get(bound) ?? 0) + Number(m[2]));
  }
  const bounds = [...byBound.keys()].sort((a, b) => a - b);
  return { bounds, counts: bounds.map((b) => byBound.get(b) ?? 0) };
}

/** The value of counter/gauge `name` (all label sets summed, optionally only lines containing `labelPart`). */
export function sampleOf(text: string, name: string, labelPart?: string): number {
  let total = 0;
  const pattern = new RegExp(`^${name}(\\{[^}]*\\})?\\s+(\\S+)$`);
  for (const line of text.split("\n")) {
    const m = pattern.exec(line);
    if (m === null) continue;
    if (labelPart !== undefined && !(m[1] ?? "").includes(labelPart)) continue;
    total += Number(m[2]);
  }
  return total;
}

/** `after − before`, bucket by bucket (what was observed between two scrapes). */
export function histogramDelta(before: Histogram, after: Histogram): Histogram {
  return {
    bounds: after.bounds,
    counts: after.counts.map((c, i) => c - (before.bounds[i] === after.bounds[i] ? (before.counts[i] ?? 0) : 0)),
  };
}

/**
 * The q-quantile of a cumulative histogram, interpolated linearly inside its bucket (what Prometheus'
 * histogram_quantile does); the last finite bound when it falls in +Inf; NaN when it is empty.
 */
export function histogramQuantile(h: Histogram, q: number): number {
  const total = h.counts.at(-1) ?? 0;
  if (total <= 0) return Number.NaN;
  const target = q * total;
  for (let i = 0; i < h.bounds.length; i++) {
    const count = h.counts[i] as number;
    if (count >= target) {
      const upper = h.bounds[i] as number;
      const lower = i === 0 ? 0 : (h.bounds[i - 1] as number);
      if (!Number.isFinite(upper)) return lower;
      const below = i === 0 ? 0 : (h.counts[i - 1] as number);
      const inBucket = count - below;
      return inBucket <= 0 ? upper : lower + ((upper - lower) * (target - below)) / inBucket;
    }
  }
  return h.bounds.at(-2) ?? Number.NaN;
}
