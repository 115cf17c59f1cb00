/**
 * Computes the address of the channel of (ALICE, BOB, SALT) of a network's deployment — before it exists, so
 * bob can fund it — and, when the network's node is reachable, checks it against the factory's own
 * `channelAddress` and says whether the channel is deployed yet. Every check runs before the address is
 * printed: parties the factory refuses (ALICE = BOB, or zero) and a wrong FACTORY exit with 1 and print none.
 *
 *   ALICE=0x… BOB=0x… SALT=0x…(32 bytes) npx hardhat run --network sepolia scripts/channel-address.ts
 *   FACTORY=0x… MASTERCOPY=0x… ALICE=… BOB=… SALT=… npx hardhat run scripts/channel-address.ts   (no records)
 */
import type { InterfaceAbi } from "ethers";
import hre from "hardhat";

import { type ChannelAddressCheck, channelAddressReport } from "./lib/channel-address.js";
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
  let check: ChannelAddressCheck;
  if (embedded) {
    check = { skipped: "the embedded network starts empty" };
  } else {
    try {
      check = { provider: (await hre.network.getOrCreate()).ethers.provider, networkName: recordName };
    } catch (error) {
      check = { skipped: error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error) };
    }
  }
  const factoryAbi = (abi ?? (await hre.artifacts.readArtifact("ChannelFactory")).abi) as InterfaceAbi;
  const lines = await channelAddressReport({ factory, mastercopy, alice, bob, salt, factoryAbi }, check);
  for (const line of lines) console.log(line);
});
