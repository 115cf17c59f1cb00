import { createRequire } from "node:module";

import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig, task } from "hardhat/config";
import { ArgumentType } from "hardhat/types/arguments";

const require = createRequire(import.meta.url);

/**
 * The Solidity compiler comes from the `solc` npm package (its WebAssembly
 * build), pinned to the same version as below, so no step ever downloads a
 * compiler. See ../shared/TOOLCHAIN.md.
 */
const SOLC_VERSION = "0.8.34";
const SOLC_PATH = require.resolve("solc/soljson.js");

/**
 * Solidity test campaign size. `npm test` runs the CI size; `npm run test:deep`
 * sets SWITCHYARD_DEEP=1 for ten times the fuzz runs and invariant runs; `npm run mutation` sets
 * SWITCHYARD_MUTATION=1 for 64 fuzz runs and 16 invariant runs of depth 20 per mutant.
 * The seed is fixed so that a failure found once is found again.
 */
const DEEP = process.env.SWITCHYARD_DEEP === "1";
/** `npm run mutation` (scripts/mutation) runs every mutant with reduced campaigns: SWITCHYARD_MUTATION=1. */
const MUTATION = process.env.SWITCHYARD_MUTATION === "1";
const FUZZ_RUNS = MUTATION ? 64 : DEEP ? 10_000 : 1_000;
const INVARIANT_RUNS = MUTATION ? 16 : DEEP ? 2_560 : 256;
const INVARIANT_DEPTH = MUTATION ? 20 : 50;
const FUZZ_SEED = "0x5317c4a2d0f1e6b9";

/**
 * The create2 salt of every Switchyard deployment: keccak256("switchyard.deployment.v1"). Ignition's create2
 * strategy deploys through CreateX with it, so the same build and parameters get the same addresses on every
 * chain. Changing it moves every address: do not.
 */
const SWITCHYARD_CREATE2_SALT = "0x202c77124a67ff68f6582a4276b9b54774553ff990442c62335b5cbb02750bb9";

/** `npx hardhat deploy --network <name>`: see scripts/tasks/deploy.ts and README "Deploying". */
// The options have no value of their own (their defaults depend on the network), so Hardhat's help prints only
// the default the description names, once.
const deployTask = task("deploy", "Deploy Switchyard with Ignition (create2) and write deployments/<network>/")
  .addOption({
    name: "parameters",
    description: "Parameters file (default: ignition/parameters/<network>.json)",
    type: ArgumentType.STRING_WITHOUT_DEFAULT,
    defaultValue: undefined,
  })
  .addOption({
    name: "deploymentId",
    description: "Ignition deployment id (default: chain-<chainId>)",
    type: ArgumentType.STRING_WITHOUT_DEFAULT,
    defaultValue: undefined,
  })
  .addFlag({ name: "dryRun", description: "Validate the parameters and print the plan and addresses; send nothing" })
  .addFlag({ name: "verify", description: "Verify all contracts on the configured explorers after deploying" })
  .setAction(() => import("./scripts/tasks/deploy.js"))
  .build();

/**
 * `localhost` is a node started by hand on 127.0.0.1:8545. SWITCHYARD_LOCALHOST_URL moves it to another
 * loopback port (the end-to-end test uses it when 8545 is taken); anything but a loopback URL is refused.
 */
const LOCALHOST_URL = process.env.SWITCHYARD_LOCALHOST_URL ?? "http://127.0.0.1:8545";
if (!/^http:\/\/(127\.0\.0\.1|localhost):\d+\/?$/.test(LOCALHOST_URL)) {
  throw new Error(
    `SWITCHYARD_LOCALHOST_URL must be a loopback URL such as http://127.0.0.1:8545, not ${LOCALHOST_URL}`,
  );
}

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  tasks: [deployTask],
  ignition: {
    strategyConfig: {
      create2: { salt: SWITCHYARD_CREATE2_SALT },
    },
  },
  solidity: {
    version: SOLC_VERSION,
    path: SOLC_PATH,
    settings: {
      optimizer: {
        // Off only for `npm run mutation`, whose cost is one full compile per mutant: the judged behaviour is the
        // same, and the unmutated suite is run first under the same settings (the runner's baseline).
        enabled: !MUTATION,
        // Channels are cloned many times and their functions are called by
        // users for every deposit, withdraw and close, while the code is
        // deployed once per chain. A high runs value trades deployment size
        // for cheaper calls; 10,000 measured lower call gas than 200 or 1,000
        // on every row of reports/gas.json while the mastercopy stays far
        // below the 24 KiB code limit.
        runs: 10_000,
      },
      // Cancun (Dencun, March 2024) is live on Ethereum mainnet and on every
      // major L2 (Arbitrum, OP Mainnet, Base, Polygon zkEVM-compatible chains,
      // Scroll, Linea). It gives transient storage (EIP-1153) for the
      // reentrancy guard and MCOPY. Prague/Osaka opcodes are not needed and are
      // not yet everywhere, so we do not target them.
      evmVersion: "cancun",
    },
  },
  paths: {
    tests: {
      solidity: "./test/solidity",
      mocha: "./test/ts",
    },
  },
  test: {
    solidity: {
      fuzz: {
        runs: FUZZ_RUNS,
        seed: FUZZ_SEED,
      },
      invariant: {
        runs: INVARIANT_RUNS,
        depth: INVARIANT_DEPTH,
        failOnRevert: false,
      },
    },
  },
  typechain: {
    outDir: "typechain-types",
  },
  // Coverage is measured over the protocol's contracts only; test-only harnesses and mocks are not product.
  coverage: {
    skipFiles: ["contracts/test/**"],
  },
  networks: {
    // `hardhat` (the embedded simulated network) is the default.
    hardhatMainnet: {
      type: "edr-simulated",
      chainType: "l1",
    },
    localhost: {
      type: "http",
      chainType: "l1",
      url: LOCALHOST_URL,
    },
    sepolia: {
      type: "http",
      chainType: "l1",
      url: configVariable("SEPOLIA_RPC_URL"),
      accounts: [configVariable("SEPOLIA_PRIVATE_KEY")],
    },
    mainnet: {
      type: "http",
      chainType: "l1",
      url: configVariable("MAINNET_RPC_URL"),
      accounts: [configVariable("MAINNET_PRIVATE_KEY")],
    },
  },
  verify: {
    etherscan: {
      apiKey: configVariable("ETHERSCAN_API_KEY"),
    },
  },
});
