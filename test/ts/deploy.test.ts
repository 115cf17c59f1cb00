/**
 * The deployment path of `npx hardhat deploy`: parameter validation (before anything is sent), deterministic
 * create2 addresses, the no-op second run, and the flat records under deployments/<network>/.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import hre from "hardhat";
import { ZeroAddress, getCreate2Address, keccak256, parseEther } from "ethers";

import {
  CONTRACT_NAMES,
  CREATEX_ADDRESS,
  type DeploymentRecord,
  configuredSalt,
  createXGuardedSalt,
  deploySwitchyard,
  initCode,
  predictAddresses,
  readArtifact,
  readRecords,
} from "../../scripts/lib/deployment.js";
import {
  ParameterError,
  type SwitchyardParameters,
  loadParameters,
  parametersFileOf,
  validateParameters,
} from "../../scripts/lib/parameters.js";
import { runHardhat } from "../../scripts/lib/child.js";

const USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
const TOKEN_2 = "0x0000000000000000000000000000000000000002";
const TOKEN_3 = "0x0000000000000000000000000000000000000003";
const TOKEN_4 = "0x0000000000000000000000000000000000000004";
const quiet = { log: () => undefined };

/** A valid raw parameters object, as a parameters file holds it. */
function baseRaw(): { Switchyard: { limits: Record<string, unknown>[]; minTimeout: unknown; maxTimeout: unknown } } {
  return {
    Switchyard: {
      limits: [
        { asset: ZeroAddress, channelCapacity: parseEther("10"), transferCap: parseEther("1") },
        { asset: USDC, channelCapacity: 25_000_000_000n, transferCap: 2_500_000_000n },
      ],
      minTimeout: 3600,
      maxTimeout: 604_800,
    },
  };
}

describe("deployment (npx hardhat deploy)", function () {
  let recordsRoot: string;

  before(async () => {
    recordsRoot = await mkdtemp(path.join(tmpdir(), "switchyard-deploy-test-"));
  });

  after(async () => {
    await rm(recordsRoot, { recursive: true, force: true });
  });

  describe("parameter validation", () => {
    type Mutation = [description: string, field: string, mutate: (raw: ReturnType<typeof baseRaw>) => void];
    const l = (raw: ReturnType<typeof baseRaw>, i: number) => {
      const limit = raw.Switchyard.limits[i];
      if (limit === undefined) throw new Error(`no limit ${i}`);
      return limit;
    };
    const cases: Mutation[] = [
      ["a zero channel capacity", "Switchyard.limits[0].channelCapacity", (r) => (l(r, 0).channelCapacity = 0)],
      ["a zero transfer cap", "Switchyard.limits[1].transferCap", (r) => (l(r, 1).transferCap = "0n")],
      [
        "a transfer cap above the capacity",
        "Switchyard.limits[0].transferCap",
        (r) => (l(r, 0).transferCap = parseEther("11")),
      ],
      [
        "more than 4 capped assets",
        "Switchyard.limits",
        (r) =>
          r.Switchyard.limits.push(
            ...[TOKEN_2, TOKEN_3, TOKEN_4].map((asset) => ({ asset, channelCapacity: 10n, transferCap: 1n })),
          ),
      ],
      [
        "a duplicate asset (other spelling)",
        "Switchyard.limits[2].asset",
        (r) => r.Switchyard.limits.push({ asset: USDC.toLowerCase(), channelCapacity: 10n, transferCap: 1n }),
      ],
      ["inverted timeout bounds", "Switchyard.maxTimeout", (r) => (r.Switchyard.maxTimeout = 3599)],
      ["a zero minTimeout", "Switchyard.minTimeout", (r) => (r.Switchyard.minTimeout = 0)],
      ["a maxTimeout of 2^32", "Switchyard.maxTimeout", (r) => (r.Switchyard.maxTimeout = 2 ** 32)],
      ["a malformed address", "Switchyard.limits[1].asset", (r) => (l(r, 1).asset = "0x1234")],
      [
        "an address with a wrong checksum",
        "Switchyard.limits[1].asset",
        (r) => (l(r, 1).asset = USDC.replace("A0b8", "a0B8")),
      ],
      ["a missing asset", "Switchyard.limits[0].asset", (r) => delete l(r, 0).asset],
      ["a negative amount", "Switchyard.limits[0].transferCap", (r) => (l(r, 0).transferCap = -1)],
      ["a fractional timeout", "Switchyard.minTimeout", (r) => (r.Switchyard.minTimeout = 1.5)],
      [
        "an amount beyond 2^53 as a JSON number",
        "Switchyard.limits[0].channelCapacity",
        (r) => (l(r, 0).channelCapacity = 1e20),
      ],
      ["a numeric string without the n suffix", "Switchyard.minTimeout", (r) => (r.Switchyard.minTimeout = "3600")],
      ["a misspelt parameter", "Switchyard.minTimout", (r) => Object.assign(r.Switchyard, { minTimout: 1 })],
      ["a misspelt limit field", "Switchyard.limits[0].cap", (r) => Object.assign(l(r, 0), { cap: 1 })],
      [
        "a missing maxTimeout",
        "Switchyard.maxTimeout",
        (r) => delete (r.Switchyard as { maxTimeout?: unknown }).maxTimeout,
      ],
    ];

    it("accepts the base case", () => {
      const params = validateParameters(baseRaw());
      expect(params.limits.map((x) => x.asset)).to.deep.equal([ZeroAddress, USDC]);
      expect(params.minTimeout).to.equal(3600n);
    });

    for (const [description, field, mutate] of cases) {
      it(`rejects ${description}, naming ${field}`, () => {
        const raw = baseRaw();
        mutate(raw);
        expect(() => validateParameters(raw, "test.json"))
          .to.throw(ParameterError)
          .with.property("field", field);
        expect(() => validateParameters(raw, "test.json")).to.throw(`test.json: ${field}`);
      });
    }

    it("mirrors the ChannelFactory constructor: every case it reverts on is refused here", async () => {
      const { ethers } = await hre.network.create();
      const factory = await ethers.getContractFactory("ChannelFactory");
      const limit = (asset: string, channelCapacity: bigint, transferCap: bigint) => ({
        asset,
        channelCapacity,
        transferCap,
      });
      const eth = (c: bigint, t: bigint) => limit(ZeroAddress, c, t);
      const onChain: [SwitchyardParameters, string][] = [
        [{ limits: [eth(0n, 0n)], minTimeout: 1n, maxTimeout: 2n }, "InvalidAssetLimit"],
        [{ limits: [eth(5n, 6n)], minTimeout: 1n, maxTimeout: 2n }, "InvalidAssetLimit"],
        [{ limits: [eth(5n, 1n), eth(5n, 1n)], minTimeout: 1n, maxTimeout: 2n }, "DuplicateCappedAsset"],
        [
          {
            limits: [
              eth(5n, 1n),
              limit(TOKEN_2, 1n, 1n),
              limit(TOKEN_3, 1n, 1n),
              limit(TOKEN_4, 1n, 1n),
              limit(USDC, 1n, 1n),
            ],
            minTimeout: 1n,
            maxTimeout: 2n,
          },
          "TooManyCappedAssets",
        ],
        [{ limits: [], minTimeout: 0n, maxTimeout: 2n }, "InvalidTimeoutBounds"],
        [{ limits: [], minTimeout: 3n, maxTimeout: 2n }, "InvalidTimeoutBounds"],
        [{ limits: [], minTimeout: 1n, maxTimeout: 2n ** 32n }, "InvalidTimeoutBounds"],
      ];
      for (const [params, error] of onChain) {
        await expect(factory.deploy(params.limits, params.minTimeout, params.maxTimeout)).to.be.revertedWithCustomError(
          factory,
          error,
        );
        expect(() => validateParameters({ Switchyard: params })).to.throw(ParameterError);
      }
    });

    it("refuses a bad parameters file through the task without sending anything", async () => {
      const connection = await hre.network.getOrCreate();
      const blockBefore = await connection.ethers.provider.getBlockNumber();
      const file = path.join(recordsRoot, "bad.json");
      const raw = baseRaw();
      raw.Switchyard.maxTimeout = 60;
      await writeFile(
        file,
        JSON.stringify(raw, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v)),
      );
      const errors: string[] = [];
      const original = console.error;
      console.error = (...args: unknown[]) => errors.push(args.map(String).join(" "));
      let result: unknown;
      try {
        result = await hre.tasks
          .getTask("deploy")
          .run({ parameters: file, deploymentId: "", dryRun: false, verify: false });
      } finally {
        console.error = original;
      }
      expect(result).to.deep.include({ success: false });
      expect(errors.join("\n"))
        .to.include("Switchyard.maxTimeout")
        .and.include("inverted")
        .and.include("Nothing was sent");
      expect(await connection.ethers.provider.getBlockNumber()).to.equal(blockBefore);
      expect(await connection.ethers.provider.getCode(CREATEX_ADDRESS)).to.equal("0x");
    });

    it("names a network without a parameters file", async () => {
      const missing = parametersFileOf(hre.config.paths.root, "no-such-network");
      let caught: unknown;
      try {
        await loadParameters(missing);
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(ParameterError);
      expect(String(caught)).to.include("no-such-network.json");
    });

    for (const network of ["hardhat", "localhost", "sepolia", "mainnet"]) {
      it(`validates the reviewed ignition/parameters/${network}.json and the factory accepts it`, async () => {
        const params = await loadParameters(parametersFileOf(hre.config.paths.root, network));
        expect(params.limits.length).to.be.within(1, 4);
        const connection = await hre.network.create();
        const result = await deploySwitchyard(hre, connection, params, {
          ...quiet,
          deploymentsDir: path.join(recordsRoot, `files-${network}`),
        });
        expect(result.addresses).to.deep.equal(await predictAddresses(hre, params));
      });
    }

    it("keeps the mainnet launch limits: 10 ETH / 1 ETH, 25,000 / 2,500 USDC, 1 h … 7 d", async () => {
      const params = await loadParameters(parametersFileOf(hre.config.paths.root, "mainnet"));
      expect(params).to.deep.equal({
        limits: [
          { asset: ZeroAddress, channelCapacity: parseEther("10"), transferCap: parseEther("1") },
          { asset: USDC, channelCapacity: 25_000_000_000n, transferCap: 2_500_000_000n },
        ],
        minTimeout: 3600n,
        maxTimeout: 604_800n,
      });
    });
  });

  describe("networks without their configuration variables", function () {
    this.timeout(120_000);
    /** The environment without any of the project's configuration variables. */
    function bareEnv(): NodeJS.ProcessEnv {
      const env = { ...process.env };
      for (const name of [
        "SEPOLIA_RPC_URL",
        "SEPOLIA_PRIVATE_KEY",
        "MAINNET_RPC_URL",
        "MAINNET_PRIVATE_KEY",
        "ETHERSCAN_API_KEY",
      ]) {
        delete env[name];
      }
      return env;
    }

    it("`npx hardhat deploy --network sepolia` fails with Hardhat's message naming SEPOLIA_RPC_URL, without waiting for input", async () => {
      const result = await runHardhat(["deploy", "--network", "sepolia"], {
        cwd: hre.config.paths.root,
        env: bareEnv(),
        timeoutMs: 90_000,
      });
      const output = result.stdout + result.stderr;
      expect(result.timedOut, output).to.equal(false);
      expect(result.code, output).to.equal(1);
      expect(output).to.include('Error HHE7: Configuration Variable "SEPOLIA_RPC_URL" not found');
      expect(output).to.not.include("Deploying Switchyard");
    });

    it("`--dry-run` on mainnet validates and prints the plan without any variable", async () => {
      const result = await runHardhat(["deploy", "--network", "mainnet", "--dry-run"], {
        cwd: hre.config.paths.root,
        env: bareEnv(),
        timeoutMs: 90_000,
      });
      const output = result.stdout + result.stderr;
      expect(result.code, output).to.equal(0);
      expect(output).to.include("25000.0 USDC").and.include("Dry run: nothing was sent.");
      const predicted = await predictAddresses(
        hre,
        await loadParameters(parametersFileOf(hre.config.paths.root, "mainnet")),
      );
      expect(output).to.include(predicted.ChannelFactory);
    });

    it("resolves ETHERSCAN_API_KEY only when verifying, and then names it", async function () {
      if (process.env.ETHERSCAN_API_KEY !== undefined) this.skip();
      // Every other test here ran without it; reading it is what verification does first.
      let caught: unknown;
      try {
        await hre.config.verify.etherscan.apiKey.get();
      } catch (error) {
        caught = error;
      }
      expect(String(caught)).to.include("ETHERSCAN_API_KEY");
    });
  });

  describe("deterministic deployment on the embedded network", () => {
    let params: SwitchyardParameters;

    before(async () => {
      params = await loadParameters(parametersFileOf(hre.config.paths.root, "hardhat"));
    });

    it("deploys at the predicted addresses; a second run sends nothing and keeps them", async () => {
      const connection = await hre.network.create();
      const provider = connection.ethers.provider;
      const deploymentsDir = path.join(recordsRoot, "twice");
      const first = await deploySwitchyard(hre, connection, params, { ...quiet, deploymentsDir });
      expect(first.sentTransactions).to.equal(true);
      expect(first.network).to.equal("hardhat");
      expect(first.addresses).to.deep.equal(await predictAddresses(hre, params));

      const [deployer] = await connection.ethers.getSigners();
      if (deployer === undefined) throw new Error("no signer");
      const block = await provider.getBlockNumber();
      const nonce = await provider.getTransactionCount(deployer.address);
      const second = await deploySwitchyard(hre, connection, params, { ...quiet, deploymentsDir });
      expect(second.sentTransactions).to.equal(false);
      expect(second.addresses).to.deep.equal(first.addresses);
      expect(await provider.getBlockNumber()).to.equal(block);
      expect(await provider.getTransactionCount(deployer.address)).to.equal(nonce);
      expect(second.records.ChannelFactory.transactionHash).to.equal(first.records.ChannelFactory.transactionHash);
    });

    it("deploys a second parameter set on the same chain, reusing the shared resolvers", async () => {
      const connection = await hre.network.create();
      const deploymentsDir = path.join(recordsRoot, "two-sets");
      const first = await deploySwitchyard(hre, connection, params, { ...quiet, deploymentsDir });
      const other = await loadParameters(parametersFileOf(hre.config.paths.root, "mainnet"));
      const lines: string[] = [];
      const second = await deploySwitchyard(hre, connection, other, {
        log: (line) => lines.push(line),
        deploymentsDir: path.join(deploymentsDir, "second"),
      });
      expect(second.sentTransactions).to.equal(true);
      expect(second.addresses).to.deep.equal(await predictAddresses(hre, other));
      expect(second.addresses.ChannelFactory).to.not.equal(first.addresses.ChannelFactory);
      expect(second.addresses.HashlockResolver).to.equal(first.addresses.HashlockResolver);
      expect(lines.join("\n")).to.include("HashlockResolver is already at");
      // The shared resolver's record points at the transaction that created it in the first run.
      expect(second.records.HashlockResolver.transactionHash).to.equal(first.records.HashlockResolver.transactionHash);
    });

    it("gets the same addresses on a chain with another chain id", async () => {
      // CreateX comes from a presigned transaction on 31337 only; elsewhere it is already on chain. Plant its
      // runtime code on a simulated chain with Sepolia's chain id, as it is on the real one.
      const local = await hre.network.create();
      await deploySwitchyard(hre, local, params, { ...quiet, deploymentsDir: path.join(recordsRoot, "local") });
      const createXCode = await local.ethers.provider.getCode(CREATEX_ADDRESS);
      const other = await hre.network.create({ override: { chainId: 11_155_111 } });
      expect((await other.ethers.provider.getNetwork()).chainId).to.equal(11_155_111n);
      await other.provider.request({ method: "hardhat_setCode", params: [CREATEX_ADDRESS, createXCode] });
      const result = await deploySwitchyard(hre, other, params, {
        ...quiet,
        deploymentsDir: path.join(recordsRoot, "other"),
      });
      expect(result.chainId).to.equal(11_155_111);
      expect(result.addresses).to.deep.equal(await predictAddresses(hre, params));
    });

    it("writes records whose addresses, ABIs, constructor args and transactions match the chain", async () => {
      const connection = await hre.network.create();
      const provider = connection.ethers.provider;
      const deploymentsDir = path.join(recordsRoot, "records");
      const result = await deploySwitchyard(hre, connection, params, { ...quiet, deploymentsDir });
      const dir = path.join(deploymentsDir, "hardhat");
      const records = await readRecords(dir);
      const guarded = createXGuardedSalt(configuredSalt(hre));
      for (const name of CONTRACT_NAMES) {
        const onDisk = JSON.parse(await readFile(path.join(dir, `${name}.json`), "utf8")) as DeploymentRecord;
        expect(onDisk).to.deep.equal(records[name]);
        const artifact = await readArtifact(hre, name);
        expect(onDisk.abi).to.deep.equal(artifact.abi);
        expect(onDisk.address).to.equal(result.addresses[name]);
        expect(await provider.getCode(onDisk.address)).to.not.equal("0x");
        expect(onDisk).to.include({
          chainId: 31337,
          network: "hardhat",
          deploymentId: "chain-31337",
          contractName: name,
        });
        if (onDisk.transactionHash === null) throw new Error(`${name}: no transaction hash`);
        const receipt = await provider.getTransactionReceipt(onDisk.transactionHash);
        expect(receipt?.status).to.equal(1);
        expect(receipt?.blockNumber).to.equal(onDisk.blockNumber);
        if (name !== "ChannelMastercopy") {
          // The recorded constructor args rebuild the init code CreateX deployed: what verification needs.
          expect(
            getCreate2Address(CREATEX_ADDRESS, guarded, keccak256(initCode(artifact, onDisk.constructorArgs))),
          ).to.equal(onDisk.address);
        }
      }
      expect(records.ChannelMastercopy.transactionHash).to.equal(records.ChannelFactory.transactionHash);
      expect(records.ChannelMastercopy.constructorArgs[0]).to.equal(records.ChannelFactory.address);
      const factory = await connection.ethers.getContractAt("ChannelFactory", records.ChannelFactory.address);
      expect(await factory.mastercopy()).to.equal(records.ChannelMastercopy.address);
      // The mastercopy's recorded constructor args match what it holds.
      const mastercopy = await connection.ethers.getContractAt("ChannelMastercopy", records.ChannelMastercopy.address);
      expect(await mastercopy.factory()).to.equal(records.ChannelFactory.address);
    });
  });
});
