#!/usr/bin/env node
// Runs before every npm script that needs Hardhat. Plain JavaScript on purpose:
// it must run, and explain itself, on the old Node that it rejects.
const REQUIRED = [22, 13];
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < REQUIRED[0] || (major === REQUIRED[0] && minor < REQUIRED[1])) {
  console.error(
    `Switchyard needs Node.js >= ${REQUIRED.join(".")} (Hardhat 3 and its EDR runtime); this is Node ${process.versions.node}.\n` +
      `Get Node 22 from the npm registry into this checkout with:\n\n` +
      `    source scripts/use-node22.sh\n\n` +
      `then run \`npm ci\` again (npm must run on Node 22 to install EDR's native binary) and retry.`,
  );
  process.exit(1);
}
