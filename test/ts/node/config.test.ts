/** The node's config validation (in process): every bad field is named; defaults and paths resolve. */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { Wallet, encryptKeystoreJson } from "ethers";

import { ConfigError, MAX_PAYMENTS_IN_FLIGHT_ENV, parseConfig, withAdmissionOverride } from "../../../src/node/config.js";
import { DEFAULT_WIRE_LIMITS } from "../../../src/node/options.js";
import { loadDeployment, loadKey } from "../../../src/node/startup.js";

const FILE = "/etc/switchyard/node.json";
const base = (): Record<string, unknown> => ({
  chain: { rpcUrl: "http://127.0.0.1:8545", chainId: 31337 },
  deployment: { records: "../deployments/localhost" },
  key: { privateKeyEnv: "NODE_KEY" },
});

function fieldOf(raw: unknown): string {
  try {
    parseConfig(raw, FILE);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).field;
  }
  throw new Error("expected a ConfigError");
}

describe("node config", () => {
  it("test_parseConfig_appliesDefaultsAndResolvesPaths", () => {
    const c = parseConfig(base(), FILE);
    expect(c.listen).to.deep.equal({ host: "127.0.0.1", port: 7545 });
    expect(c.store).to.deep.equal({ kind: "sqlite", url: path.resolve("/etc/switchyard", "switchyard.sqlite") });
    expect(c.deployment).to.deep.equal({ records: "/etc/deployments/localhost" });
    expect(c.wire).to.deep.equal(DEFAULT_WIRE_LIMITS);
    expect(c.channelTimeout).to.equal(86_400n);
    expect(c.fees.default).to.deep.equal({ flat: 0n, ppm: 0n });
  });

  it("test_maxPaymentsInFlight_fileThenEnvironmentThenFlag_badValuesNamed", () => {
    const file = parseConfig({ ...base(), wire: { maxPaymentsInFlight: 64 } }, FILE);
    expect(parseConfig(base(), FILE).wire.maxPaymentsInFlight).to.equal(256);
    expect(file.wire.maxPaymentsInFlight).to.equal(64);
    expect(fieldOf({ ...base(), wire: { maxPaymentsInFlight: -1 } })).to.equal("wire.maxPaymentsInFlight");
    expect(withAdmissionOverride(file, undefined, {}).wire.maxPaymentsInFlight).to.equal(64);
    const env = { [MAX_PAYMENTS_IN_FLIGHT_ENV]: "32" };
    expect(withAdmissionOverride(file, undefined, env).wire.maxPaymentsInFlight).to.equal(32);
    expect(withAdmissionOverride(file, "0", env).wire.maxPaymentsInFlight).to.equal(0); // the flag wins; 0: no bound
    const refused = (flag: string | undefined, e: NodeJS.ProcessEnv): string => {
      try {
        withAdmissionOverride(file, flag, e);
      } catch (error) {
        expect(error).to.be.instanceOf(ConfigError);
        return (error as ConfigError).field;
      }
      throw new Error("expected a ConfigError");
    };
    expect(refused("ten", {})).to.equal("--max-payments-in-flight");
    expect(refused(undefined, { [MAX_PAYMENTS_IN_FLIGHT_ENV]: "2000000" })).to.equal(MAX_PAYMENTS_IN_FLIGHT_ENV);
  });

  it("test_parseConfig_acceptsPostgresAndKeystore", () => {
    const c = parseConfig(
      {
        ...base(),
        store: "postgres://switchyard@127.0.0.1:5432/node",
        key: { keystore: "key.json", passwordEnv: "PW" },
      },
      FILE,
    );
    expect(c.store).to.deep.equal({ kind: "postgres", url: "postgres://switchyard@127.0.0.1:5432/node" });
    expect(c.key).to.deep.equal({ keystore: "/etc/switchyard/key.json", passwordEnv: "PW" });
  });

  const bad: Array<[string, (c: Record<string, unknown>) => void, string]> = [
    ["no chain", (c) => delete c.chain, "chain"],
    ["a chain URL that is not one", (c) => (c.chain = { rpcUrl: "not a url", chainId: 1 }), "chain.rpcUrl"],
    ["a file: chain URL", (c) => (c.chain = { rpcUrl: "file:///etc/passwd", chainId: 1 }), "chain.rpcUrl"],
    ["a fractional chain id", (c) => (c.chain = { rpcUrl: "http://127.0.0.1:8545", chainId: 1.5 }), "chain.chainId"],
    ["a private key in the file", (c) => (c.key = { privateKey: "0x" + "11".repeat(32) }), "key.privateKey"],
    ["a password in the file", (c) => (c.key = { keystore: "k.json", password: "hunter2" }), "key.password"],
    ["a keystore without passwordEnv", (c) => (c.key = { keystore: "k.json" }), "key.passwordEnv"],
    ["both key sources", (c) => (c.key = { keystore: "k.json", passwordEnv: "PW", privateKeyEnv: "K" }), "key"],
    ["a lowercase env name", (c) => (c.key = { privateKeyEnv: "node key" }), "key.privateKeyEnv"],
    ["a mysql store", (c) => (c.store = "mysql://x"), "store"],
    ["a port out of range", (c) => (c.listen = { port: 70_000 }), "listen.port"],
    [
      "an amount as a float",
      (c) => (c.collateral = [{ asset: "0x0000000000000000000000000000000000000000", min: 1.5, target: 2, max: 3 }]),
      "collateral.0.min",
    ],
    [
      "min above target",
      (c) =>
        (c.collateral = [{ asset: "0x0000000000000000000000000000000000000000", min: "5", target: "2", max: "9" }]),
      "collateral.0.target",
    ],
    [
      "target above max",
      (c) =>
        (c.collateral = [{ asset: "0x0000000000000000000000000000000000000000", min: "1", target: "9", max: "5" }]),
      "collateral.0.max",
    ],
    [
      "a bad asset checksum",
      (c) =>
        (c.collateral = [{ asset: "0x000000000000000000000000000000000000dEAd", min: "1", target: "2", max: "3" }]),
      "collateral.0.asset",
    ],
    [
      "an asset listed twice",
      (c) =>
        (c.collateral = [0, 1].map(() => ({
          asset: "0x0000000000000000000000000000000000000000",
          min: "1",
          target: "2",
          max: "3",
        }))),
      "collateral.1.asset",
    ],
    ["ppm above a million", (c) => (c.fees = { default: { flat: "0", ppm: "1000001" } }), "fees.default.ppm"],
    ["an unknown wire limit", (c) => (c.wire = { turbo: true }), "wire"],
    ["a zero rate", (c) => (c.wire = { ratePerSecond: 0 }), "wire.ratePerSecond"],
    ["an unknown top-level field", (c) => (c.admin = true), "(config)"],
    [
      "an incomplete address set",
      (c) =>
        (c.deployment = { addresses: { ChannelFactory: "0x0000000000000000000000000000000000000001" }, limits: {} }),
      "deployment",
    ],
  ];
  for (const [what, change, field] of bad) {
    it(`test_parseConfig_refuses_${what.replace(/\W+/g, "_")}`, () => {
      const raw = base();
      change(raw);
      expect(fieldOf(raw)).to.equal(field);
    });
  }

  describe("key and deployment sources", () => {
    async function codeOf(promise: Promise<unknown>): Promise<string> {
      try {
        await promise;
      } catch (error) {
        expect(error).to.be.instanceOf(ConfigError);
        return (error as ConfigError).field;
      }
      return "ok";
    }

    it("test_loadKey_readsAKeystoreWithThePasswordFromTheEnvironment", async () => {
      const dir = await mkdtemp(path.join(tmpdir(), "switchyard-key-"));
      const wallet = Wallet.createRandom();
      const json = await encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, "pw", {
        scrypt: { N: 1 << 10 },
      });
      const file = path.join(dir, "key.json");
      await writeFile(file, json);
      const key = { keystore: file, passwordEnv: "PW" };
      expect((await loadKey(key, { PW: "pw" })).address).to.equal(wallet.address);
      expect(await codeOf(loadKey(key, { PW: "wrong" }))).to.equal("key.keystore");
      expect(await codeOf(loadKey(key, {}))).to.equal("key.passwordEnv");
      expect(
        await codeOf(loadKey({ keystore: path.join(dir, "missing.json"), passwordEnv: "PW" }, { PW: "pw" })),
      ).to.equal("key.keystore");
    });

    it("test_loadKey_readsAPrivateKeyFromTheEnvironmentOnly", async () => {
      const wallet = Wallet.createRandom();
      expect((await loadKey({ privateKeyEnv: "K" }, { K: wallet.privateKey })).address).to.equal(wallet.address);
      expect(await codeOf(loadKey({ privateKeyEnv: "K" }, {}))).to.equal("key.privateKeyEnv");
      expect(await codeOf(loadKey({ privateKeyEnv: "K" }, { K: "0x1234" }))).to.equal("key.privateKeyEnv");
      expect(await codeOf(loadKey({ privateKeyEnv: "K" }, { K: "0x" + "00".repeat(32) }))).to.equal(
        "key.privateKeyEnv",
      );
    });

    it("test_loadDeployment_readsRecordsAndRefusesAnotherChain", async () => {
      const dir = await mkdtemp(path.join(tmpdir(), "switchyard-records-"));
      const limits = [
        { asset: "0x0000000000000000000000000000000000000000", channelCapacity: "1000", transferCap: "100" },
      ];
      const args: Record<string, unknown[]> = {
        ChannelFactory: [limits, "3600", "86400"],
        ChannelMastercopy: ["0x0000000000000000000000000000000000000001", limits, "3600", "86400"],
        HashlockResolver: [],
        SignedTransferResolver: [],
      };
      const names = Object.keys(args);
      for (const [i, name] of names.entries()) {
        const record = {
          contractName: name,
          address: `0x${"0".repeat(39)}${i + 1}`,
          abi: [],
          constructorArgs: args[name],
          chainId: 31337,
          network: "localhost",
        };
        await writeFile(path.join(dir, `${name}.json`), JSON.stringify(record));
      }
      const config = parseConfig({ ...base(), deployment: { records: dir } }, FILE);
      const deployment = await loadDeployment(config);
      expect(deployment.addresses.ChannelFactory).to.equal("0x0000000000000000000000000000000000000001");
      expect(deployment.addresses.SignedTransferResolver).to.equal("0x0000000000000000000000000000000000000004");
      expect(deployment.limits.minTimeout).to.equal(3600n);
      expect(deployment.limits.maxTimeout).to.equal(86_400n);
      expect(deployment.limits.assets.get("0x0000000000000000000000000000000000000000")).to.deep.equal({
        channelCapacity: 1000n,
        transferCap: 100n,
      });
      const otherChain = parseConfig(
        { ...base(), chain: { rpcUrl: "http://127.0.0.1:8545", chainId: 10 }, deployment: { records: dir } },
        FILE,
      );
      expect(await codeOf(loadDeployment(otherChain))).to.equal("deployment.records");
      const missing = parseConfig({ ...base(), deployment: { records: path.join(dir, "none") } }, FILE);
      expect(await codeOf(loadDeployment(missing))).to.equal("deployment.records");
    });
  });
});
