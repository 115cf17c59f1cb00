/** The node's config validation (in process): every bad field is named; defaults and paths resolve. */
import path from "node:path";

import { expect } from "chai";

import { ConfigError, parseConfig } from "../../../src/node/config.js";
import { DEFAULT_WIRE_LIMITS } from "../../../src/node/options.js";

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

  it("test_parseConfig_acceptsPostgresAndKeystore", () => {
    const c = parseConfig({ ...base(), store: "postgres://switchyard@127.0.0.1:5432/node", key: { keystore: "key.json", passwordEnv: "PW" } }, FILE);
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
    ["an amount as a float", (c) => (c.collateral = [{ asset: "0x0000000000000000000000000000000000000000", min: 1.5, target: 2, max: 3 }]), "collateral.0.min"],
    ["min above target", (c) => (c.collateral = [{ asset: "0x0000000000000000000000000000000000000000", min: "5", target: "2", max: "9" }]), "collateral.0.target"],
    ["target above max", (c) => (c.collateral = [{ asset: "0x0000000000000000000000000000000000000000", min: "1", target: "9", max: "5" }]), "collateral.0.max"],
    ["a bad asset checksum", (c) => (c.collateral = [{ asset: "0x000000000000000000000000000000000000dEAd", min: "1", target: "2", max: "3" }]), "collateral.0.asset"],
    ["an asset listed twice", (c) => (c.collateral = [0, 1].map(() => ({ asset: "0x0000000000000000000000000000000000000000", min: "1", target: "2", max: "3" }))), "collateral.1.asset"],
    ["ppm above a million", (c) => (c.fees = { default: { flat: "0", ppm: "1000001" } }), "fees.default.ppm"],
    ["an unknown wire limit", (c) => (c.wire = { turbo: true }), "wire"],
    ["a zero rate", (c) => (c.wire = { ratePerSecond: 0 }), "wire.ratePerSecond"],
    ["an unknown top-level field", (c) => (c.admin = true), "(config)"],
    ["an incomplete address set", (c) => (c.deployment = { addresses: { ChannelFactory: "0x0000000000000000000000000000000000000001" }, limits: {} }), "deployment"],
  ];
  for (const [what, change, field] of bad) {
    it(`test_parseConfig_refuses_${what.replace(/\W+/g, "_")}`, () => {
      const raw = base();
      change(raw);
      expect(fieldOf(raw)).to.equal(field);
    });
  }
});
