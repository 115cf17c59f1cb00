/**
 * What a new user meets first with `npx hardhat deploy` (scripts/tasks/deploy.ts): the help text, the dry run's
 * report of what is already on chain, and the messages for a missing explicit parameters file, a zero cap written
 * as a plain string, an Ignition journal holding another parameter set (HHE10120), and `--network localhost`
 * with no node listening (the URL and the command that starts one, not "check your internet connection").
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import hre from "hardhat";
import { ZeroAddress, parseEther } from "ethers";

import { runHardhat } from "../../scripts/lib/child.js";
import {
  CONTRACT_NAMES,
  DeploymentError,
  deploySwitchyard,
  explainIgnitionError,
  predictAddresses,
} from "../../scripts/lib/deployment.js";
import { freePort } from "../../scripts/lib/local-node.js";
import { ParameterError, loadParameters, validateParameters } from "../../scripts/lib/parameters.js";
import { explainUnreachable } from "../../scripts/lib/unreachable.js";

const TOKEN_7 = "0x0000000000000000000000000000000000000007";

/** A parameters file, as a user writes it, with a cap no other test uses (so its factory address is its own). */
function rawParameters(capacity: string): unknown {
  return {
    Switchyard: {
      limits: [
        { asset: ZeroAddress, channelCapacity: `${parseEther("3")}n`, transferCap: `${parseEther("1")}n` },
        { asset: TOKEN_7, channelCapacity: capacity, transferCap: "1n" },
      ],
      minTimeout: 3600,
      maxTimeout: 86_400,
    },
  };
}

/** Runs the deploy task in this process, returning its result and what it printed. */
async function deployTask(args: { parameters?: string; dryRun: boolean }) {
  const out: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => out.push(a.map(String).join(" "));
  console.error = (...a: unknown[]) => out.push(a.map(String).join(" "));
  try {
    const result: unknown = await hre.tasks.getTask("deploy").run({ verify: false, ...args });
    return { result, output: out.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe("the deploy task, as a new user meets it", function () {
  this.timeout(180_000);
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "switchyard-deploy-task-"));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("`deploy --help` prints each option's default once", async () => {
    const result = await runHardhat(["deploy", "--help"], { cwd: hre.config.paths.root, timeoutMs: 120_000 });
    const output = result.stdout + result.stderr;
    expect(result.code, output).to.equal(0);
    expect(output).to.not.include("(default: )");
    expect(output.split("(default: ignition/parameters/<network>.json)").length - 1, output).to.equal(1);
    expect(output.split("(default: chain-<chainId>)").length - 1, output).to.equal(1);
  });

  it("`--dry-run` says which contracts are already deployed", async () => {
    const file = path.join(dir, "dry.json");
    await writeFile(file, JSON.stringify(rawParameters("123456789n")));
    const params = await loadParameters(file);
    const before = await deployTask({ parameters: file, dryRun: true });
    expect(before.result).to.deep.include({ success: true });
    const predicted = await predictAddresses(hre, params);
    const lineOf = (output: string, name: string) =>
      output.split("\n").find((l) => l.includes(name) && l.includes(predicted[name as keyof typeof predicted]));
    expect(lineOf(before.output, "ChannelFactory"), before.output).to.match(/not deployed$/);
    expect(lineOf(before.output, "ChannelMastercopy"), before.output).to.match(/not deployed$/);

    // The task asks the shared connection; what this test deploys there is rolled back afterwards.
    const shared = await hre.network.getOrCreate();
    const snapshot: unknown = await shared.provider.request({ method: "evm_snapshot" });
    try {
      await deploySwitchyard(hre, shared, params, { log: () => undefined, deploymentsDir: path.join(dir, "records") });
      const after = await deployTask({ parameters: file, dryRun: true });
      for (const name of CONTRACT_NAMES) {
        expect(lineOf(after.output, name), after.output).to.match(/already deployed$/);
      }
      expect(after.output).to.include("Dry run: nothing was sent.");
    } finally {
      await shared.provider.request({ method: "evm_revert", params: [snapshot] });
    }
  });

  it("reports a missing explicit `--parameters` file as that file, not as the network's default", async () => {
    const missing = path.join(dir, "no-such-file.json");
    const { result, output } = await deployTask({ parameters: missing, dryRun: true });
    expect(result).to.deep.include({ success: false });
    expect(output).to.include(`the parameters file ${missing} given with --parameters does not exist`);
    expect(output).to.not.include("ignition/parameters/<network>.json");
  });

  it('reports `"transferCap": "0"` as a zero cap, and a plain decimal string as missing its "n"', () => {
    const raw = rawParameters("1000n") as { Switchyard: { limits: Record<string, unknown>[] } };
    // (validateParameters takes what Ignition's reader returns: its "…n" strings are bigints by then.)
    raw.Switchyard.limits[0] = { asset: ZeroAddress, channelCapacity: parseEther("3"), transferCap: parseEther("1") };
    const token = raw.Switchyard.limits[1] as Record<string, unknown>;
    token.channelCapacity = 1000n;
    token.transferCap = "0";
    expect(() => validateParameters(raw))
      .to.throw(ParameterError)
      .with.property("message")
      .that.includes("Switchyard.limits[1].transferCap is zero");
    token.transferCap = "25";
    expect(() => validateParameters(raw)).to.throw(ParameterError, /needs Ignition's "n" suffix: write "25n"/);
  });

  it("turns Ignition's HHE10120 for a changed parameter set into a message suggesting --deployment-id", () => {
    const ignition = Object.assign(
      new Error(
        "Hardhat Ignition deployment error: The deployment wasn't run because of the following reconciliation " +
          "errors:\n\n  * Switchyard#ChannelFactory: Argument at index 0 has been changed",
      ),
      { number: 10120 },
    );
    const explained = explainIgnitionError(ignition, "chain-31337", "ignition/deployments/chain-31337");
    expect(explained).to.be.instanceOf(DeploymentError);
    expect(String(explained))
      .to.include("--deployment-id <id>")
      .and.include("ignition/deployments/chain-31337")
      .and.include("Argument at index 0 has been changed");
    // Anything else passes through unchanged.
    const other = Object.assign(new Error("Hardhat Ignition deployment error: insufficient funds"), { number: 10120 });
    expect(explainIgnitionError(other, "x", "y")).to.equal(other);
    const unrelated = new Error("reconciliation");
    expect(explainIgnitionError(unrelated, "x", "y")).to.equal(unrelated);
  });

  it("`--network localhost` with no node names the URL and the command that starts one", async () => {
    const port = await freePort(); // free a moment ago: nothing listens there
    const url = `http://127.0.0.1:${port}`;
    const { code, stdout, stderr } = await runHardhat(["deploy", "--network", "localhost"], {
      cwd: hre.config.paths.root,
      timeoutMs: 120_000,
      env: { ...process.env, SWITCHYARD_LOCALHOST_URL: url },
    });
    const output = `${stdout}\n${stderr}`;
    expect(code, output).to.not.equal(0);
    expect(output).to.contain(`no node answers on the "localhost" network at ${url}`);
    expect(output).to.contain(`npx hardhat node --hostname 127.0.0.1 --port ${port}`);
    expect(output).to.contain("Nothing was sent.");
    expect(output).to.not.contain("internet connection");
  });

  it("explains only connection refusals, and points a remote network at its RPC URL variable", () => {
    const refused = Object.assign(new Error("fetch failed"), { cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }) });
    expect(explainUnreachable(refused, "localhost", {})).to.contain("http://127.0.0.1:8545").and.contain("npx hardhat node --hostname 127.0.0.1 (");
    expect(explainUnreachable(refused, "sepolia", {})).to.contain("SEPOLIA_RPC_URL");
    expect(explainUnreachable(new Error("something else"), "localhost", {})).to.equal(undefined);
  });
});
