import { expect } from "chai";
import { network } from "hardhat";
import { Wallet, ZeroAddress, dataSlice, id, parseEther } from "ethers";

import {
  CHANNEL_INIT_LENGTH,
  CHANNEL_RUNTIME_LENGTH,
  ChannelAddressError,
  MAX_RUNTIME_CAPACITY,
  channelCreationCode,
  channelRuntimeCode,
  computeChannelAddress,
} from "../../src/channelAddress.js";

const { ethers } = await network.create();

describe("channel addresses (src/channelAddress.ts ⇔ ChannelFactory)", () => {
  async function deployFactory() {
    const limits = [{ asset: ZeroAddress, channelCapacity: parseEther("10"), transferCap: parseEther("1") }];
    const factory = await ethers.deployContract("ChannelFactory", [limits, 60n, 86_400n]);
    const address = await factory.getAddress();
    const mastercopy = await factory.mastercopy();
    return { factory, address, mastercopy };
  }

  it("computes the factory's channelAddress for many parties and salts", async () => {
    const { factory, address, mastercopy } = await deployFactory();
    for (let i = 0; i < 12; i++) {
      const alice = Wallet.createRandom().address;
      const bob = Wallet.createRandom().address;
      const salt = id(`salt ${i}`);
      expect(computeChannelAddress(address, mastercopy, alice, bob, salt)).to.equal(
        await factory.channelAddress(alice, bob, salt),
      );
    }
  });

  it("gives the address createChannel deploys at, with the proxy runtime the creation code returns", async () => {
    const { factory, address, mastercopy } = await deployFactory();
    const [alice, bob] = await ethers.getSigners();
    if (alice === undefined || bob === undefined) throw new Error("needs two accounts");
    const salt = id("switchyard address test");
    const expected = computeChannelAddress(address, mastercopy, alice.address, bob.address, salt);
    expect(await ethers.provider.getCode(expected)).to.equal("0x");
    await expect(factory.createChannel(alice.address, bob.address, salt))
      .to.emit(factory, "ChannelCreated")
      .withArgs(expected, alice.address, bob.address, salt);
    // The runtime is the creation code after its prefix, with the deployment's ETH capacity (10 ETH) written
    // into the fast deposit path's capacity check.
    const code = channelCreationCode(mastercopy, alice.address, bob.address);
    const deployed = await ethers.provider.getCode(expected);
    expect(deployed).to.equal(channelRuntimeCode(mastercopy, alice.address, bob.address, parseEther("10")));
    expect(dataSlice(deployed, 0, 0x4d)).to.equal(dataSlice(code, CHANNEL_INIT_LENGTH, CHANNEL_INIT_LENGTH + 0x4d));
    expect(dataSlice(deployed, 0x5b)).to.equal(dataSlice(code, CHANNEL_INIT_LENGTH + 0x5b));
    expect((deployed.length - 2) / 2).to.equal(CHANNEL_RUNTIME_LENGTH);
    const channel = await ethers.getContractAt("ChannelMastercopy", expected);
    expect(await channel.alice()).to.equal(alice.address);
    expect(await channel.bob()).to.equal(bob.address);
  });

  it("writes an uncapped deployment's ETH capacity as 2^112 - 1 into the runtime", async () => {
    const factory = await ethers.deployContract("ChannelFactory", [[], 60n, 86_400n]);
    const mastercopy = await factory.mastercopy();
    const [alice, bob] = await ethers.getSigners();
    if (alice === undefined || bob === undefined) throw new Error("needs two accounts");
    const salt = id("uncapped");
    await (await factory.createChannel(alice.address, bob.address, salt)).wait();
    const deployed = await ethers.provider.getCode(await factory.channelAddress(alice.address, bob.address, salt));
    expect(deployed).to.equal(channelRuntimeCode(mastercopy, alice.address, bob.address, ethers.MaxUint256));
    expect(deployed).to.equal(channelRuntimeCode(mastercopy, alice.address, bob.address, MAX_RUNTIME_CAPACITY));
    expect(() => channelRuntimeCode(mastercopy, alice.address, bob.address, -1n)).to.throw(ChannelAddressError);
  });

  it("accepts lowercase addresses and refuses malformed addresses and salts", () => {
    const a = Wallet.createRandom().address;
    const b = Wallet.createRandom().address;
    const f = Wallet.createRandom().address;
    const m = Wallet.createRandom().address;
    const salt = id("s");
    expect(computeChannelAddress(f.toLowerCase(), m.toLowerCase(), a.toLowerCase(), b.toLowerCase(), salt)).to.equal(
      computeChannelAddress(f, m, a, b, salt),
    );
    // The EIP-55 example address with the case of its last letter flipped: a wrong checksum.
    const badChecksum = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD";
    const cases: [string, () => unknown][] = [
      ["alice", () => computeChannelAddress(f, m, "0x1234", b, salt)],
      ["alice", () => computeChannelAddress(f, m, badChecksum, b, salt)],
      ["bob", () => computeChannelAddress(f, m, a, "not an address", salt)],
      ["factory", () => computeChannelAddress("0x", m, a, b, salt)],
      ["mastercopy", () => computeChannelAddress(f, `${m}00`, a, b, salt)],
      ["salt", () => computeChannelAddress(f, m, a, b, "0x1234")],
    ];
    for (const [field, call] of cases) {
      expect(call).to.throw(ChannelAddressError, field);
    }
  });
});
