/** The tables `npm run demo` prints at the end: every account's balances, and the gas of every transaction. */
import type { GasEntry } from "./demo-chain.js";
import { formatAmount, formatDelta } from "./demo-chain.js";
import { ACCOUNTS, TOKEN_DECIMALS, TOKEN_SYMBOL } from "./demo-plan.js";
import type { StorySummary } from "./demo-story.js";

const eth = (v: bigint): string => formatAmount(v, 18);
const tok = (v: bigint): string => formatAmount(v, TOKEN_DECIMALS);

function table(head: string[], rows: string[][], right: boolean[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(head), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map(line)];
}

/** Start, end and change of every account, ETH (net of gas, gas apart) and the token; the total row must be 0. */
export function balanceTable(s: StorySummary): string[] {
  const rows = s.accounts.map((a) => [
    a.name,
    eth(a.start.eth),
    eth(a.end.eth),
    a.gas === 0n ? "" : eth(a.gas),
    formatDelta(a.net.eth, 18),
    tok(a.start.token),
    tok(a.end.token),
    formatDelta(a.net.token, TOKEN_DECIMALS),
  ]);
  const gas = s.accounts.reduce((sum, a) => sum + a.gas, 0n);
  rows.push([
    "total",
    "",
    "",
    eth(gas),
    formatDelta(s.totals.eth, 18),
    "",
    "",
    formatDelta(s.totals.token, TOKEN_DECIMALS),
  ]);
  const lines = [
    `Balances per party and channel (ETH change is net of gas: end − start + gas paid)`,
    ...table(
      [
        "account",
        "ETH start",
        "ETH end",
        "gas paid",
        "ETH change",
        `${TOKEN_SYMBOL} start`,
        `${TOKEN_SYMBOL} end`,
        `${TOKEN_SYMBOL} change`,
      ],
      rows,
      [false, true, true, true, true, true, true, true],
    ),
  ];
  const byName = new Map(s.accounts.map((a) => [a.name, a]));
  const maya = byName.get("Maya");
  const theo = byName.get("Theo");
  const node = byName.get("Node");
  if (maya !== undefined && theo !== undefined && node !== undefined) {
    lines.push(
      `Maya paid ${eth(-maya.net.eth)} ETH + ${tok(-maya.net.token)} ${TOKEN_SYMBOL} = Theo received ${eth(theo.net.eth)} ETH + ` +
        `${tok(theo.net.token)} ${TOKEN_SYMBOL} + the node's fees and direct payment ${eth(node.net.eth)} ETH + ${tok(node.net.token)} ${TOKEN_SYMBOL}; ` +
        `both channels end empty. ${ACCOUNTS.length} accounts, totals 0: in = out.`,
    );
  }
  lines.push(
    `Stale dispute: nonce ${s.dispute.staleNonce} refuted with ${s.dispute.recordedAfterRefute}; the defund paid the node ` +
      `${eth(s.exits.node.eth)} ETH + ${tok(s.exits.node.token)} ${TOKEN_SYMBOL} and Theo ${eth(s.exits.theo.eth)} ETH + ` +
      `${tok(s.exits.theo.token)} ${TOKEN_SYMBOL}, nothing kept as claims.`,
  );
  return lines;
}

/** Every transaction: its step, what it did, who paid, gas used and the fee; totals per payer. */
export function gasTable(entries: readonly GasEntry[]): string[] {
  const rows = entries.map((e) => [
    String(e.step),
    e.operation,
    e.payer,
    e.gasUsed.toLocaleString("en-US"),
    eth(e.fee),
  ]);
  const payers = [...new Set(entries.map((e) => e.payer))];
  const totals = payers.map((p) => {
    const mine = entries.filter((e) => e.payer === p);
    return `${p} ${mine.reduce((s, e) => s + e.gasUsed, 0n).toLocaleString("en-US")} gas`;
  });
  return [
    `Gas per on-chain operation`,
    ...table(["step", "operation", "paid by", "gas used", "fee (ETH)"], rows, [true, false, false, true, true]),
    `Total per payer: ${totals.join(", ")}`,
  ];
}
