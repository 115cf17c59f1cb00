/**
 * Computes the address of the channel of (ALICE, BOB, SALT) of a network's deployment — before it exists, so
 * bob can fund it — and, when the network's node is reachable, checks it against the factory's own
 * `channelAddress` and says whether the channel is deployed yet.
 *
 *   ALICE=0x… BOB=0x… SALT=0x…(32 bytes) npx hardhat run --network sepolia scripts/channel-address.ts
 *   FACTORY=0x… MASTERCOPY=0x… ALICE=… BOB=… SALT=… npx hardhat run scripts/channel-address.ts   (no records)
 */
import { Contract, type InterfaceAbi, ZeroAddress, formatEther } from "ethers";
import hre from "hardhat";

import { computeChannelAddress } from "../src/protocol/channelAddress.js";
import { deploymentOf, envAddress, envBytes32, operatorMain, OperatorError, selectedNetwork } from "./lib/operator.js";

await operatorMain(async () => {
  const { networkName, recordName, embedded } = selectedNetwork(hre);
  const alice = envAddress("ALICE", true);
  const bob = envAddress("BOB", true);
  const salt = envBytes32("SALT");
  let factory = envAddress("FACTORY", false);
  let mastercopy = envAddress("MASTERCOPY", false);
  let abi: unknown;
  if (factory === undefined || mastercopy === undefined) {
    if (factory !== undefined || mastercopy !== undefined)
      throw new OperatorError("set both FACTORY and MASTERCOPY, or neither");
    const records = await deploymentOf(hre, recordName, networkName);
    factory = records.ChannelFactory.address;
    mastercopy = records.ChannelMastercopy.address;
    abi = records.ChannelFactory.abi;
  }
  const channel = computeChannelAddress(factory, mastercopy, alice, bob, salt);
  console.log(`channel ${channel}`);
  console.log(`  factory ${factory}, mastercopy ${mastercopy}`);
  console.log(`  alice ${alice}, bob ${bob}, salt ${salt}`);
  if (alice === bob || alice === ZeroAddress || bob === ZeroAddress) {
    console.log("  warning: the factory refuses to create a channel whose parties are zero or the same address");
  }

  if (embedded) return; // the embedded network starts empty: nothing to check there
  let connection;
  try {
    connection = await hre.network.getOrCreate();
  } catch (error) {
    console.log(`  not checked on chain: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    return;
  }
  const provider = connection.ethers.provider;
  if ((await provider.getCode(factory)) === "0x")
    throw new OperatorError(`no factory code at ${factory} on ${recordName}`);
  const factoryAbi = (abi ?? (await hre.artifacts.readArtifact("ChannelFactory")).abi) as InterfaceAbi;
  const onChain = String(
    await new Contract(factory, factoryAbi, provider).getFunction("channelAddress")(alice, bob, salt),
  );
  if (onChain !== channel)
    throw new OperatorError(`the factory computes ${onChain}, not ${channel}: is MASTERCOPY that factory's?`);
  const deployed = (await provider.getCode(channel)) !== "0x";
  const balance = await provider.getBalance(channel);
  console.log(
    `  on ${recordName}: factory agrees; ${deployed ? "deployed" : "not deployed yet (counterfactual)"}; ETH balance ${formatEther(balance)}`,
  );
});
