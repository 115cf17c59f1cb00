/**
 * `npm run demo`: the whole channel life cycle on the embedded Hardhat network (no other process), or on a node
 * started by hand with `npm run demo -- --network localhost` (`npx hardhat node --hostname 127.0.0.1`, or anvil
 * on 127.0.0.1:8545). See scripts/lib/demo-run.ts for what it does and prints.
 *
 * Exit code 0 when every balance adds up; 1 with `Error: …` on any inconsistency or failure.
 */
import hre, { network } from "hardhat";

import { DemoError } from "./lib/demo-chain.js";
import { runDemo } from "./lib/demo-run.js";

const connection = await network.getOrCreate();
try {
  await runDemo(hre, connection);
  console.log("\nDemo complete: every balance adds up.");
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`\nError: ${error instanceof DemoError ? "inconsistency: " : ""}${message}`);
  const isHardhatError = error instanceof Error && /^HHE\d+:/.test(error.message);
  if (!(error instanceof DemoError) && !isHardhatError && error instanceof Error && error.stack !== undefined) {
    console.error(
      error.stack
        .split("\n")
        .filter((l) => l.trimStart().startsWith("at "))
        .slice(0, 5)
        .join("\n"),
    );
  }
  process.exitCode = 1;
} finally {
  await connection.close();
}
