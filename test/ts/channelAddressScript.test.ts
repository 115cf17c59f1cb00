/**
 * scripts/channel-address.ts and its report (scripts/lib/channel-address.ts): parties the factory refuses and a
 * wrong FACTORY exit non-zero without printing any address.
 */
import { expect } from "chai";
import hre from "hardhat";
import { Wallet, ZeroAddress, id } from "ethers";

import { runHardhat } from "../../scripts/lib/child.js";
import { channelAddressReport } from "../../scripts/lib/channel-address.js";
import { deploySwitchyard } from "../../scripts/lib/deployment.js";
import { OperatorError } from "../../scripts/lib/operator.js";
import { loadParameters, parametersFileOf } from "../../scripts/lib/parameters.js";
import { computeChannelAddress } from "../../src/protocol/channelAddress.js";

const ALICE = new Wallet(id("channel-address alice")).address;
const BOB = new Wallet(id("channel-address bob")).address;
const SALT = id("channel-address salt");

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("channel-address (operator script)", function () {
  this.timeout(180_000);

  it("exits non-zero and prints no address when ALICE = BOB", async () => {
    const result = await runHardhat(["run", "scripts/channel-address.ts"], {
      cwd: hre.config.paths.root,
      env: {
        ...process.env,
        ALICE,
        BOB: ALICE,
        SALT,
        FACTORY: new Wallet(id("f")).address,
        MASTERCOPY: new Wallet(id("m")).address,
      },
      timeoutMs: 150_000,
    });
    const output = result.stdout + result.stderr;
    expect(result.code, output).to.equal(1);
    expect(output).to.include("ALICE and BOB must be two distinct non-zero addresses");
    expect(output).to.not.match(/channel 0x/);
  });

  describe("its report against a node", () => {
    let factory: string;
    let mastercopy: string;
    let abi: unknown;
    let provider: Awaited<ReturnType<typeof hre.network.create>>["ethers"]["provider"];

    before(async () => {
      const connection = await hre.network.create();
      provider = connection.ethers.provider;
      const params = await loadParameters(parametersFileOf(hre.config.paths.root, "hardhat"));
      const { tmpdir } = await import("node:os");
      const path = await import("node:path");
      const result = await deploySwitchyard(hre, connection, params, {
        log: () => undefined,
        deploymentsDir: path.join(tmpdir(), `switchyard-channel-address-${process.pid}`),
      });
      factory = result.addresses.ChannelFactory;
      mastercopy = result.addresses.ChannelMastercopy;
      abi = (await hre.artifacts.readArtifact("ChannelFactory")).abi;
    });

    const query = () => ({ factory, mastercopy, alice: ALICE, bob: BOB, salt: SALT, factoryAbi: abi as never });

    it("prints the address once the factory agrees", async () => {
      const lines = await channelAddressReport(query(), { provider, networkName: "hardhat" });
      expect(lines[0]).to.equal(`channel ${computeChannelAddress(factory, mastercopy, ALICE, BOB, SALT)}`);
      expect(lines.join("\n")).to.include("factory agrees; not deployed yet (counterfactual)");
    });

    it("refuses a wrong FACTORY before producing any line", async () => {
      const wrong = new Wallet(id("not a factory")).address;
      const error = await rejection(
        channelAddressReport({ ...query(), factory: wrong }, { provider, networkName: "hardhat" }),
      );
      expect(error).to.be.instanceOf(OperatorError);
      expect(String(error)).to.include(`no factory code at ${wrong}`);
      const otherMastercopy = await rejection(
        channelAddressReport({ ...query(), mastercopy: factory }, { provider, networkName: "hardhat" }),
      );
      expect(String(otherMastercopy)).to.include("is MASTERCOPY that factory's?");
    });

    it("refuses parties the factory would refuse (same or zero)", async () => {
      for (const [alice, bob] of [
        [ALICE, ALICE],
        [ZeroAddress, BOB],
        [ALICE, ZeroAddress],
      ] as const) {
        const error = await rejection(channelAddressReport({ ...query(), alice, bob }, { skipped: "test" }));
        expect(error).to.be.instanceOf(OperatorError);
      }
    });
  });
});
