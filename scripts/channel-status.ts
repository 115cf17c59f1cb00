/**
 * A channel's on-chain status: its parties and deployment, per asset what it holds, both sides' deposits, what
 * has been paid out, the defund nonce and the exits (claims kept for owners whose payout could not be pushed),
 * and the dispute phase (idle / consensus until t / defund until t / over).
 *
 *   CHANNEL=0x… npx hardhat run --network sepolia scripts/channel-status.ts
 *   CHANNEL=0x… ASSETS=0xToken1,0xToken2 EXIT_OWNERS=0xRecipient npx hardhat run --network localhost scripts/channel-status.ts
 *
 * Assets shown: ETH, the deployment's capped assets, and ASSETS. Exits shown: alice, bob and EXIT_OWNERS.
 */
import {
  Contract,
  type InterfaceAbi,
  ZeroAddress,
  dataLength,
  dataSlice,
  formatEther,
  formatUnits,
  getAddress,
} from "ethers";
import hre from "hardhat";

import { CHANNEL_RUNTIME_LENGTH, CHANNEL_RUNTIME_OFFSETS, channelRuntimeCode } from "../src/channelAddress.js";
import type { ContractName, DeploymentRecord } from "./lib/deployment.js";
import {
  OperatorError,
  deploymentOf,
  envAddress,
  envAddresses,
  isoTime,
  operatorMain,
  selectedNetwork,
} from "./lib/operator.js";

const ERC20_ABI = [
  "function balanceOf(address) view returns (uint256)",
  "function decimals() view returns (uint8)",
  "function symbol() view returns (string)",
];

await operatorMain(async () => {
  const { networkName, recordName } = selectedNetwork(hre);
  const channelAddress = envAddress("CHANNEL", true);
  const extraAssets = envAddresses("ASSETS");
  const extraOwners = envAddresses("EXIT_OWNERS");
  let records: Record<ContractName, DeploymentRecord> | undefined;
  try {
    records = await deploymentOf(hre, recordName, networkName);
  } catch {
    records = undefined; // the channel may belong to a deployment made elsewhere; its code says which
  }

  const connection = await hre.network.getOrCreate();
  const provider = connection.ethers.provider;
  const code = await provider.getCode(channelAddress);
  if (code === "0x") {
    const balance = await provider.getBalance(channelAddress);
    throw new OperatorError(
      `no channel code at ${channelAddress} on ${recordName}` +
        (balance > 0n
          ? ` (it holds ${formatEther(balance)} ETH: a counterfactual channel funded before it was created?)`
          : ""),
    );
  }
  // The channel proxy's runtime (ChannelProxy): the mastercopy, alice, bob and the ETH capacity at fixed offsets.
  const isProxy = dataLength(code) === CHANNEL_RUNTIME_LENGTH;
  const at = (offset: number, length: number) => dataSlice(code, offset, offset + length);
  const mastercopy = isProxy ? getAddress(at(CHANNEL_RUNTIME_OFFSETS.mastercopy, 20)) : undefined;
  const alice = isProxy ? getAddress(at(CHANNEL_RUNTIME_OFFSETS.alice, 20)) : undefined;
  const bob = isProxy ? getAddress(at(CHANNEL_RUNTIME_OFFSETS.bob, 20)) : undefined;
  const ethCapacity = isProxy ? BigInt(at(CHANNEL_RUNTIME_OFFSETS.ethCapacity, 14)) : 0n;
  if (
    mastercopy === undefined ||
    alice === undefined ||
    bob === undefined ||
    channelRuntimeCode(mastercopy, alice, bob, ethCapacity) !== code
  ) {
    throw new OperatorError(`${channelAddress} on ${recordName} has code, but not a Switchyard channel's`);
  }
  const abi = (records?.ChannelMastercopy.abi ??
    (await hre.artifacts.readArtifact("ChannelMastercopy")).abi) as InterfaceAbi;
  const channel = new Contract(channelAddress, abi, provider);
  const factory = getAddress(String(await channel.getFunction("factory")()));

  console.log(`Channel ${channelAddress} on ${recordName}`);
  console.log(`  alice ${alice} (tracked deposits)`);
  console.log(`  bob   ${bob} (plain-transfer deposits)`);
  console.log(`  factory ${factory}, mastercopy ${mastercopy}`);
  if (records !== undefined && mastercopy !== records.ChannelMastercopy.address) {
    console.log(
      `  note: not a channel of the recorded ${recordName} deployment (its mastercopy is ${records.ChannelMastercopy.address})`,
    );
  }

  const latest = await provider.getBlock("latest");
  if (latest === null) throw new OperatorError("the node returned no latest block");
  const now = BigInt(latest.timestamp);
  const record = (await channel.getFunction("disputeRecord")()) as {
    nonce: bigint;
    consensusExpiry: bigint;
    defundExpiry: bigint;
  };
  console.log(`Dispute (chain time ${isoTime(now)}, block ${latest.number}): ${disputePhase(record, now)}`);

  const capped = (await channel.getFunction("cappedAssets")()) as Iterable<readonly [string, bigint, bigint]>;
  const assets = unique([ZeroAddress, ...[...capped].map((l) => getAddress(l[0])), ...extraAssets]);
  const owners = unique([alice, bob, ...extraOwners]);
  for (const asset of assets) {
    const unit = await unitOf(asset, provider);
    const show = (amount: bigint) => unit.format(amount);
    const held =
      asset === ZeroAddress ? await provider.getBalance(channelAddress) : await unit.balanceOf(channelAddress);
    const [depositsAlice, depositsBob, paidOut, defundNonce] = await Promise.all([
      channel.getFunction("totalDepositsAlice")(asset) as Promise<bigint>,
      channel.getFunction("totalDepositsBob")(asset) as Promise<bigint>,
      channel.getFunction("totalPaidOut")(asset) as Promise<bigint>,
      channel.getFunction("defundNonce")(asset) as Promise<bigint>,
    ]);
    console.log(`Asset ${unit.name}`);
    console.log(`  holds ${held === undefined ? "? (balanceOf failed)" : show(held)}`);
    console.log(
      `  deposits: alice ${show(depositsAlice)}, bob ${show(depositsBob)}; paid out ${show(paidOut)}; defund nonce ${defundNonce}`,
    );
    const exits: string[] = [];
    for (const owner of owners) {
      const amount = (await channel.getFunction("exitOf")(asset, owner)) as bigint;
      const who = owner === alice ? "alice" : owner === bob ? "bob" : owner;
      exits.push(`${who} ${show(amount)}`);
    }
    console.log(`  exits: ${exits.join(", ")}`);
  }
});

function disputePhase(record: { nonce: bigint; consensusExpiry: bigint; defundExpiry: bigint }, now: bigint): string {
  const { nonce, consensusExpiry, defundExpiry } = record;
  if (consensusExpiry === 0n) {
    return nonce === 0n
      ? "idle (never disputed or closed)"
      : `idle (closed cooperatively at nonce ${nonce}; only higher nonces are accepted)`;
  }
  if (now < consensusExpiry)
    return `consensus until ${isoTime(consensusExpiry)} (disputed nonce ${nonce}; a higher co-signed nonce replaces it)`;
  if (now < defundExpiry)
    return `defund until ${isoTime(defundExpiry)} (nonce ${nonce}; assets and transfers can be defunded)`;
  return `over (defund phase ended ${isoTime(defundExpiry)}; last disputed nonce ${nonce}; the channel can carry on)`;
}

interface Unit {
  name: string;
  format(amount: bigint): string;
  balanceOf(holder: string): Promise<bigint | undefined>;
}

async function unitOf(asset: string, provider: Contract["runner"]): Promise<Unit> {
  if (asset === ZeroAddress) {
    return { name: "ETH (0x0000…0000)", format: (a) => `${formatEther(a)} ETH`, balanceOf: async () => undefined };
  }
  const token = new Contract(asset, ERC20_ABI, provider);
  const symbol = await (token.getFunction("symbol")() as Promise<string>).catch(() => undefined);
  const decimals = await (token.getFunction("decimals")() as Promise<bigint>).catch(() => undefined);
  return {
    name: symbol === undefined ? asset : `${symbol} (${asset})`,
    format: (a) =>
      decimals === undefined ? `${a} (base units)` : `${formatUnits(a, decimals)} ${symbol ?? ""}`.trim(),
    balanceOf: async (holder) =>
      await (token.getFunction("balanceOf")(holder) as Promise<bigint>).catch(() => undefined),
  };
}

function unique(addresses: string[]): string[] {
  return [...new Set(addresses)];
}
