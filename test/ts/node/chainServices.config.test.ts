/**
 * The on-chain settings of the node's config (in process): the transaction fee policy and the watcher's poll
 * are validated and named when bad, turned into the chain services' options, and a collateral policy the
 * deployment cannot hold (an unknown asset, a max above the channel capacity) stops the start.
 */
import { expect } from "chai";
import { ZeroAddress, parseEther } from "ethers";

import { chainPolicyOf, checkCollateralPolicies } from "../../../src/node/chainServices.js";
import { ConfigError, parseConfig } from "../../../src/node/config.js";
import type { DeploymentInfo } from "../../../src/node/options.js";

const FILE = "/etc/switchyard/node.json";
const base = (): Record<string, unknown> => ({
  chain: { rpcUrl: "http://127.0.0.1:8545", chainId: 31337 },
  deployment: { records: "../deployments/localhost" },
  key: { privateKeyEnv: "NODE_KEY" },
});
const deployment: DeploymentInfo = {
  addresses: {},
  limits: {
    minTimeout: 3_600n,
    maxTimeout: 86_400n,
    assets: new Map([[ZeroAddress, { channelCapacity: parseEther("10"), transferCap: parseEther("1") }]]),
  },
};

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("node config: transactions, watcher, collateral against the deployment", () => {
  it("test_parseConfig_defaultsTheTransactionAndWatcherPolicies", () => {
    const c = parseConfig(base(), FILE);
    expect(c.transactions).to.deep.equal({ bumpPercent: 15, stuckAfterSeconds: 60, receiptPollMs: 1_000 });
    expect(c.watcher).to.deep.equal({ pollSeconds: 4 });
    expect(chainPolicyOf(c)).to.deep.equal({
      fees: { bumpPercent: 15n },
      stuckAfterMs: 60_000,
      receiptPollMs: 1_000,
      watcherPollMs: 4_000,
    });
  });

  it("test_parseConfig_takesAFeeCapAndRefusesABumpNodesWouldRefuse", () => {
    const c = parseConfig({ ...base(), transactions: { bumpPercent: 25, maxFeePerGas: "200000000000" } }, FILE);
    expect(chainPolicyOf(c).fees).to.deep.equal({ bumpPercent: 25n, maxFeePerGas: 200_000_000_000n });
    const low = configError(() => parseConfig({ ...base(), transactions: { bumpPercent: 5 } }, FILE));
    expect(low.field).to.equal("transactions.bumpPercent");
    expect(low.message).to.contain("10%");
    const unknown = configError(() => parseConfig({ ...base(), transactions: { speed: 1 } }, FILE));
    expect(unknown.field).to.equal("transactions");
    const poll = configError(() => parseConfig({ ...base(), watcher: { pollSeconds: 0 } }, FILE));
    expect(poll.field).to.equal("watcher.pollSeconds");
  });

  it("test_checkCollateralPolicies_refusesWhatTheDeploymentCannotHold", () => {
    const ok = { asset: ZeroAddress, min: 1n, target: parseEther("2"), max: parseEther("10") };
    checkCollateralPolicies([ok], deployment);
    const above = configError(() => checkCollateralPolicies([{ ...ok, max: parseEther("10") + 1n }], deployment));
    expect(above.field).to.equal("collateral.0.max");
    const token = "0x000000000000000000000000000000000000dEaD";
    const foreign = configError(() => checkCollateralPolicies([ok, { ...ok, asset: token }], deployment));
    expect(foreign.field).to.equal("collateral.1.asset");
  });
});
