/**
 * The open-loop plot (reports/load-latency.svg): payment latency p50/p95/p99 (ms, log scale) against the offered
 * rate (payments/s), the achieved rate written under each offered one, and the 50 ms goal as a dashed line. A
 * small SVG writer of its own (plain text, no browser, no dependency): every number in it comes from the run.
 */

export interface PlotPoint {
  offered: number;
  achieved: number;
  p50: number;
  p95: number;
  p99: number;
}

const W = 720;
const H = 420;
const M = { left: 70, right: 130, top: 40, bottom: 70 };
const SERIES = [
  { key: "p50", color: "#1f77b4" },
  { key: "p95", color: "#ff7f0e" },
  { key: "p99", color: "#d62728" },
] as const;

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(1));

/** The SVG document for `points` (sorted by offered rate); `title` goes on top, `note` under the axis. */
export function latencySvg(points: readonly PlotPoint[], title: string, note: string): string {
  const pts = [...points].filter((p) => Number.isFinite(p.p50)).sort((a, b) => a.offered - b.offered);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const maxRate = Math.max(1, ...pts.map((p) => p.offered));
  const values = pts.flatMap((p) => [p.p50, p.p95, p.p99]).filter((v) => v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(1, ...values))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(100, ...values))));
  const x = (rate: number): number => M.left + (rate / maxRate) * plotW;
  const y = (ms: number): number =>
    M.top + plotH - ((Math.log10(Math.max(ms, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`);
  // Axes and grid.
  out.push(`<line x1="${M.left}" y1="${M.top + plotH}" x2="${M.left + plotW}" y2="${M.top + plotH}" stroke="black"/>`);
  out.push(`<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + plotH}" stroke="black"/>`);
  for (let decade = lo; decade <= hi; decade *= 10) {
    const yy = y(decade).toFixed(1);
    out.push(`<line x1="${M.left}" y1="${yy}" x2="${M.left + plotW}" y2="${yy}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${fmt(decade)}</text>`);
  }
  for (const p of pts) {
    const xx = x(p.offered).toFixed(1);
    out.push(`<line x1="${xx}" y1="${M.top + plotH}" x2="${xx}" y2="${M.top + plotH + 5}" stroke="black"/>`);
    out.push(`<text x="${xx}" y="${M.top + plotH + 18}" text-anchor="middle">${p.offered}</text>`);
    out.push(
      `<text x="${xx}" y="${M.top + plotH + 32}" text-anchor="middle" fill="#555">${Math.round(p.achieved)}</text>`,
    );
  }
  out.push(`<text x="${M.left - 8}" y="${M.top + plotH + 18}" text-anchor="end">offered</text>`);
  out.push(`<text x="${M.left - 8}" y="${M.top + plotH + 32}" text-anchor="end" fill="#555">achieved</text>`);
  out.push(`<text x="${M.left + plotW / 2}" y="${H - 12}" text-anchor="middle">${esc(note)}</text>`);
  out.push(
    `<text x="18" y="${M.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 18 ${M.top + plotH / 2})">payment latency (ms, log scale)</text>`,
  );
  // The goal.
  if (50 >= lo && 50 <= hi) {
    const yy = y(50).toFixed(1);
    out.push(
      `<line x1="${M.left}" y1="${yy}" x2="${M.left + plotW}" y2="${yy}" stroke="#2ca02c" stroke-dasharray="6 4"/>`,
    );
    out.push(`<text x="${M.left + plotW + 6}" y="${yy}" dominant-baseline="middle" fill="#2ca02c">50 ms goal</text>`);
  }
  // The series.
  SERIES.forEach((s, i) => {
    const coords = pts.map((p) => `${x(p.offered).toFixed(1)},${y(p[s.key]).toFixed(1)}`);
    if (coords.length > 1)
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${coords.join(" ")}"/>`);
    for (const c of coords) {
      const [cx, cy] = c.split(",");
      out.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${s.color}"/>`);
    }
    const ly = M.top + 10 + i * 18;
    out.push(
      `<line x1="${M.left + plotW + 10}" y1="${ly}" x2="${M.left + plotW + 30}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`,
    );
    out.push(`<text x="${M.left + plotW + 36}" y="${ly}" dominant-baseline="middle">${s.key}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
