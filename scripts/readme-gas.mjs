#!/usr/bin/env node
// Fills the GAS(name), VS(name,peerFigure) and RATIO placeholders of a README template line set from reports/gas.json, so the README's
// gas table always shows the committed figures: `node scripts/readme-gas.mjs` rewrites README.md in place
// (it keeps a copy of the template between the markers as HTML comments). Run after `npm run gas`.
import { readFileSync, writeFileSync } from "node:fs";

const gas = JSON.parse(readFileSync("reports/gas.json", "utf8"));
const k = (n) => n.toLocaleString("en-US");
const readme = readFileSync("README.md", "utf8");
const start = "<!-- gas-table:start";
const end = "<!-- gas-table:end -->";
const i = readme.indexOf(start);
const j = readme.indexOf(end);
if (i < 0 || j < 0) throw new Error("README.md has no gas-table markers");
const header = readme.slice(i, readme.indexOf("-->", i) + 3);
const template = Buffer.from(header.slice(start.length, -3).trim(), "base64").toString("utf8");
const filled = template
  .replace(/GAS\(([^)]+)\)/g, (_, name) => {
    if (!(name in gas)) throw new Error(`reports/gas.json has no ${name}`);
    return k(gas[name]);
  })
  // VS(name,figure): the measured row over a peer's figure, three decimals.
  .replace(/VS\(([^,]+),(\d+)\)/g, (_, name, figure) => {
    if (!(name in gas)) throw new Error(`reports/gas.json has no ${name}`);
    return (gas[name] / Number(figure)).toFixed(3);
  })
  .replace("RATIO", (gas["depositErc20Tracked.again"] / gas["erc20TransferFrom.reference"]).toFixed(2));
writeFileSync("README.md", readme.slice(0, i) + header + "\n" + filled + "\n" + readme.slice(j));
console.log("README gas table updated from reports/gas.json");
