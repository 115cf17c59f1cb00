/**
 * `npm run demo`: the Switchyard network's story on one machine. The chain is Hardhat's embedded network, served
 * on a loopback JSON-RPC port (scripts/lib/stack.ts says why not anvil); Switchyard is deployed on it, the node
 * service runs as its own process on 127.0.0.1, and two wallets (Maya and Theo, SwitchyardClient over WebSocket)
 * deposit, pay through the node, pay it directly, withdraw, close, and survive an operator that disputes with a
 * stale state. See scripts/lib/demo-story.ts for the steps and what each checks.
 *
 * `npm run demo -- --network localhost` runs the same on a node started by hand on 127.0.0.1:8545
 * (`npx hardhat node --hostname 127.0.0.1`, or anvil).
 *
 * Exit code 0 when every balance adds up; 1 with `Error: …` on any inconsistency or failure.
 */
import hre, { network } from "hardhat";

import { DemoError } from "./lib/demo-chain.js";
import { runDemo } from "./lib/demo-run.js";
import { explainUnreachable } from "./lib/unreachable.js";

const started = Date.now();
let networkName = "default";
try {
  const connection = await network.getOrCreate();
  networkName = connection.networkName;
  try {
    await runDemo(hre, { connection });
  } finally {
    await connection.close();
  }
  console.log(`\nDemo complete in ${((Date.now() - started) / 1000).toFixed(1)} s: every balance adds up.`);
} catch (error) {
  const unreachable = explainUnreachable(
    error,
    networkName === "default" ? (process.env.HARDHAT_NETWORK ?? networkName) : networkName,
  );
  const message = unreachable ?? (error instanceof Error ? error.message : String(error));
  console.error(`\nError: ${error instanceof DemoError ? "inconsistency: " : ""}${message}`);
  const isHardhatError = error instanceof Error && /^HHE\d+:/.test(error.message);
  if (
    unreachable === undefined &&
    !(error instanceof DemoError) &&
    !isHardhatError &&
    error instanceof Error &&
    error.stack !== undefined
  ) {
    console.error(
      error.stack
        .split("\n")
        .filter((l) => l.trimStart().startsWith("at "))
        .slice(0, 5)
        .join("\n"),
    );
  }
  process.exitCode = 1;
}
