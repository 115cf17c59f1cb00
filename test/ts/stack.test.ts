/**
 * scripts/lib/stack.ts: the local network of the demos and examples. The chain answers on its loopback port
 * (what the node process uses), the node process serves the deployment stack.ts made, the test keys are funded,
 * and stop() ends the node process and closes the port.
 */
import { expect } from "chai";
import hre from "hardhat";
import { JsonRpcProvider, ZeroAddress, parseEther } from "ethers";

import { isAlive, isPortFree } from "../../scripts/lib/local-node.js";
import { type Stack, startStack, testKey } from "../../scripts/lib/stack.js";
import { MockERC20__factory } from "../../typechain-types/index.js";

describe("scripts/lib/stack.ts (embedded chain on loopback, node process)", function () {
  this.timeout(120_000);
  let stack: Stack;

  before(async () => {
    stack = await startStack({
      hre,
      users: ["Maya", "Theo"],
      userEth: parseEther("3"),
      token: { name: "Demo USD", symbol: "DUSD", decimals: 6, perUser: 1_000_000n, forNode: 9_000_000n },
    });
  });

  after(async () => {
    await stack?.stop();
  });

  it("test_stack_servesTheChainOnLoopbackAndTheNodeUsesTheDeployment", async () => {
    expect(stack.chain.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    const remote = new JsonRpcProvider(stack.chain.url, undefined, { staticNetwork: true });
    try {
      expect((await remote.getNetwork()).chainId).to.equal(31337n);
      expect(await remote.getBlockNumber()).to.equal(await stack.chain.provider.getBlockNumber());
      const factory = stack.deployment.addresses.ChannelFactory;
      expect(await remote.getCode(factory)).to.not.equal("0x");
    } finally {
      remote.destroy();
    }
    const info = (await (await fetch(`${stack.node.http}/v1/info`)).json()) as {
      node: string;
      deployment: Record<string, string>;
    };
    expect(info.node).to.equal(stack.node.address);
    expect(info.deployment.ChannelFactory).to.equal(stack.deployment.addresses.ChannelFactory);
    expect(stack.node.ws).to.match(/^ws:\/\/127\.0\.0\.1:\d+\/v1$/);
    // The token is a capped asset of the deployment, so the node may hold collateral in it.
    expect(stack.deployment.params.limits.map((l) => l.asset)).to.deep.equal([ZeroAddress, stack.token?.address]);
  });

  it("test_stack_fundsTheUsersAndTheNode", async () => {
    expect(stack.users.map((u) => u.name)).to.deep.equal(["Maya", "Theo"]);
    expect(stack.users[0]?.address).to.equal(testKey("Maya").address);
    const token = MockERC20__factory.connect(stack.token?.address as string, stack.chain.provider);
    for (const u of stack.users) {
      expect(await stack.chain.provider.getBalance(u.address)).to.equal(parseEther("3"));
      expect(await token.balanceOf(u.address)).to.equal(1_000_000n);
    }
    expect(await stack.chain.provider.getBalance(stack.node.address)).to.equal(parseEther("50"));
    expect(await token.balanceOf(stack.node.address)).to.equal(9_000_000n);
  });

  it("test_stack_advanceTimeMovesTheChainClock", async () => {
    const before = (await stack.chain.provider.getBlock("latest"))?.timestamp ?? 0;
    const after = await stack.chain.advanceTime(3_600n);
    expect(after >= BigInt(before) + 3_600n).to.equal(true);
  });

  it("test_stack_stopEndsTheNodeProcessAndClosesThePorts", async () => {
    const port = Number(new URL(stack.chain.url).port);
    const nodePort = Number(new URL(stack.node.http).port);
    await stack.stop();
    expect(isAlive(stack.node.pid)).to.equal(false);
    expect(await isPortFree(port)).to.equal(true);
    expect(await isPortFree(nodePort)).to.equal(true);
  });
});
