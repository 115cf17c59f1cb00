/**
 * Channel addresses, computed off chain exactly as the ChannelFactory computes them on chain: the CREATE2
 * address of the proxy creation code of `contracts/libraries/ChannelProxy.sol` (which embeds the mastercopy,
 * alice and bob) deployed by the factory with the salt. Bob can fund this address before the channel exists.
 */
import { concat, getAddress, getCreate2Address, isAddress, isHexString, keccak256 } from "ethers";

import { SwitchyardError } from "./errors.js";

/**
 * The storage slot of the channel's native-currency ledger (ChannelStorage.ETH_LEDGER_SLOT), which the proxy's
 * creation code writes alice's deposit into when the channel is created with value.
 */
export const ETH_LEDGER_SLOT = "0x51becf1ee0e2df9e00a427b4ca41e88362ad521c27296660b11a0d5402405472";

// The pieces of ChannelProxy.creationCode, in order (see the comments there).
const INIT_STORE_VALUE = "0x3415602857347f"; // if (callvalue) sstore(ETH_LEDGER_SLOT, callvalue)
const INIT_STORE_END = "0x555b";
const INIT_RETURN_RUNTIME = "0x605c8060323d393df3"; // codecopy(0, 0x32, 0x5c); return(0, 0x5c)
const RUNTIME_HEAD = "0x3615603257363d3d373d3d3d363d73"; // empty calldata: stop; else EIP-1167 delegatecall to…
const RUNTIME_TAIL = "0x5af43d82803e903d91603057fd5bf35b00";

/** An address or salt given to the channel-address helpers is malformed. */
export class ChannelAddressError extends SwitchyardError {
  constructor(
    readonly field: string,
    readonly value: unknown,
    why: string,
  ) {
    super("CHANNEL_ADDRESS", `${field} ${why}: ${String(value)}`);
  }
}

/** Checks and checksums one address argument. */
function toAddress(field: string, value: string): string {
  if (typeof value !== "string" || !isAddress(value)) {
    throw new ChannelAddressError(
      field,
      value,
      "is not an address (20 bytes of hex; mixed case must match its EIP-55 checksum)",
    );
  }
  return getAddress(value);
}

/** The creation code of the channel of (alice, bob) delegating to `mastercopy` (ChannelProxy.creationCode). */
export function channelCreationCode(mastercopy: string, alice: string, bob: string): string {
  return concat([
    INIT_STORE_VALUE,
    ETH_LEDGER_SLOT,
    INIT_STORE_END,
    INIT_RETURN_RUNTIME,
    RUNTIME_HEAD,
    toAddress("mastercopy", mastercopy),
    RUNTIME_TAIL,
    toAddress("alice", alice),
    toAddress("bob", bob),
  ]);
}

/**
 * The address of the channel of (alice, bob, salt) of `factory`, whether or not it exists yet; equal to
 * `ChannelFactory.channelAddress(alice, bob, salt)`. Like that view, it does not check the parties (the
 * factory refuses to create a channel whose alice or bob is zero, or where they are the same address).
 *
 * @param factory The ChannelFactory.
 * @param mastercopy Its mastercopy (`factory.mastercopy()`, also in deployments/<network>/ChannelMastercopy.json).
 * @param alice The party that deposits through tracked calls.
 * @param bob The party that deposits by plain transfers.
 * @param salt 32 bytes of hex.
 */
export function computeChannelAddress(
  factory: string,
  mastercopy: string,
  alice: string,
  bob: string,
  salt: string,
): string {
  const from = toAddress("factory", factory);
  if (typeof salt !== "string" || !isHexString(salt, 32)) {
    throw new ChannelAddressError("salt", salt, "is not 32 bytes of hex (0x followed by 64 hex digits)");
  }
  return getCreate2Address(from, salt, keccak256(channelCreationCode(mastercopy, alice, bob)));
}
