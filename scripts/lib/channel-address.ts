/**
 * The report of scripts/channel-address.ts, as a function: every check runs before anything is printed, so a
 * refused query (parties the factory would refuse, a FACTORY without code or that computes another address)
 * prints no address at all.
 */
import { Contract, type InterfaceAbi, type Provider, ZeroAddress, formatEther } from "ethers";

import { computeChannelAddress } from "../../src/protocol/channelAddress.js";
import { OperatorError } from "./operator.js";

export interface ChannelAddressQuery {
  factory: string;
  mastercopy: string;
  alice: string;
  bob: string;
  salt: string;
  /** The factory's ABI (from the records, or the compiled artifact). */
  factoryAbi: InterfaceAbi;
}

/** How the address is checked: against a node, or not (with the reason printed instead). */
export type ChannelAddressCheck = { provider: Provider; networkName: string } | { skipped: string };

/** The lines to print for `query`; throws OperatorError, before any line is produced, when a check fails. */
export async function channelAddressReport(query: ChannelAddressQuery, check: ChannelAddressCheck): Promise<string[]> {
  const { factory, mastercopy, alice, bob, salt } = query;
  if (alice === bob || alice === ZeroAddress || bob === ZeroAddress) {
    throw new OperatorError(
      `ALICE and BOB must be two distinct non-zero addresses (got ${alice} and ${bob}): the factory refuses to ` +
        `create such a channel (InvalidParties), so funds sent to its address could never be recovered`,
    );
  }
  const channel = computeChannelAddress(factory, mastercopy, alice, bob, salt);
  const lines = [
    `channel ${channel}`,
    `  factory ${factory}, mastercopy ${mastercopy}`,
    `  alice ${alice}, bob ${bob}, salt ${salt}`,
  ];
  if ("skipped" in check) return [...lines, `  not checked on chain: ${check.skipped}`];
  const { provider, networkName } = check;
  if ((await provider.getCode(factory)) === "0x") {
    throw new OperatorError(`no factory code at ${factory} on ${networkName}: check FACTORY (and the network)`);
  }
  const onChain = String(
    await new Contract(factory, query.factoryAbi, provider).getFunction("channelAddress")(alice, bob, salt),
  );
  if (onChain !== channel) {
    throw new OperatorError(`the factory computes ${onChain}, not ${channel}: is MASTERCOPY that factory's?`);
  }
  const deployed = (await provider.getCode(channel)) !== "0x";
  const balance = await provider.getBalance(channel);
  return [
    ...lines,
    `  on ${networkName}: factory agrees; ${deployed ? "deployed" : "not deployed yet (counterfactual)"}; ETH balance ${formatEther(balance)}`,
  ];
}
