/**
 * Who dials whom between two nodes, the forwarding fee, and the `peers` config: validated with the rest of the
 * config (a bad URL, an address twice) and at start against the node's key (its own address, a missing URL on
 * the dialing side), each a ConfigError naming the field.
 */
import { expect } from "chai";
import { Wallet, ZeroAddress, getAddress, id, keccak256 } from "ethers";

import { ConfigError, parseConfig } from "../../../../src/node/config.js";
import { dials, forwardingFee, peerRoles } from "../../../../src/node/peers/roles.js";
import { checkPeers } from "../../../../src/node/startup.js";

const FILE = "/etc/switchyard/node.json";
const wallets = [0, 1, 2].map((i) => new Wallet(keccak256(id(`roles test ${i}`)))).sort((x, y) => (BigInt(x.address) < BigInt(y.address) ? -1 : 1));
const [low, mid, high] = wallets.map((w) => w.address) as [string, string, string];
const base = (peers: unknown): Record<string, unknown> => ({
  chain: { rpcUrl: "http://127.0.0.1:8545", chainId: 31337 },
  deployment: { records: "../deployments/localhost" },
  key: { privateKeyEnv: "NODE_KEY" },
  peers,
});

function fieldOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).field;
  }
  throw new Error("expected a ConfigError");
}

describe("node peers: roles and config", () => {
  it("test_dials_theHigherAddressDialsTheLowerOne", () => {
    expect(dials(high, low)).to.equal(true);
    expect(dials(low, high)).to.equal(false);
    expect(dials(mid.toLowerCase(), low)).to.equal(true);
    const roles = peerRoles(mid, [{ address: low, url: "ws://127.0.0.1:1/v1" }, { address: high }]);
    expect([roles.isNode(low), roles.isNode(high), roles.isNode(ZeroAddress)]).to.deep.equal([true, true, false]);
    expect([roles.dialed(low), roles.dialed(high)]).to.deep.equal([true, false]);
  });

  it("test_forwardingFee_isFlatPlusPpmRoundedDownPerAsset", () => {
    const token = getAddress("0x" + "7".repeat(40));
    const fees = { default: { flat: 10n, ppm: 100n }, assets: new Map([[token, { flat: 0n, ppm: 1_000n }]]) };
    expect(forwardingFee(fees, ZeroAddress, 1_000_000n)).to.equal(110n);
    expect(forwardingFee(fees, ZeroAddress, 9_999n)).to.equal(10n); // 0.9999 rounded down
    expect(forwardingFee(fees, token.toLowerCase(), 1_000_000n)).to.equal(1_000n);
  });

  it("test_parseConfig_takesPeersAndRefusesABadUrlOrAnAddressTwice", () => {
    const c = parseConfig(base([{ address: low.toLowerCase(), url: "ws://127.0.0.1:7545/v1" }, { address: high }]), FILE);
    expect(c.peers).to.deep.equal([{ address: low, url: "ws://127.0.0.1:7545/v1" }, { address: high }]);
    expect(parseConfig(base(undefined), FILE).peers).to.deep.equal([]);
    expect(fieldOf(() => parseConfig(base([{ address: low, url: "http://127.0.0.1:7545/v1" }]), FILE))).to.equal("peers.0.url");
    expect(fieldOf(() => parseConfig(base([{ address: low }, { address: low.toLowerCase() }]), FILE))).to.equal("peers.1.address");
    expect(fieldOf(() => parseConfig(base([{ address: low, port: 1 }]), FILE))).to.equal("peers.0");
  });

  it("test_checkPeers_refusesTheOwnAddressAndADialWithoutUrl", () => {
    const peers = parseConfig(base([{ address: high }, { address: low }]), FILE).peers;
    expect(fieldOf(() => checkPeers(peers, mid))).to.equal("peers.1.url"); // mid dials low: it needs low's URL
    expect(fieldOf(() => checkPeers(parseConfig(base([{ address: mid }]), FILE).peers, mid))).to.equal("peers.0.address");
    expect(() => checkPeers(parseConfig(base([{ address: high }, { address: mid }]), FILE).peers, low)).not.to.throw(); // low dials nobody
  });
});
