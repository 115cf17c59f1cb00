/**
 * Channel addresses, computed off chain exactly as the ChannelFactory computes them on chain: the CREATE2
 * address of the proxy creation code of `contracts/libraries/ChannelProxy.sol` (which embeds the mastercopy,
 * alice and bob) deployed by the factory with the salt. Bob can fund this address before the channel exists.
 */
import { concat, getAddress, getCreate2Address, isAddress, isHexString, keccak256 } from "ethers";

import { SwitchyardError } from "./errors.js";

/**
 * The storage slot of the channel's native-currency ledger (ChannelStorage.ETH_LEDGER_SLOT: slot 0), which the
 * proxy's creation code writes alice's deposit into when the channel is created with value.
 */
export const ETH_LEDGER_SLOT = "0x0000000000000000000000000000000000000000000000000000000000000000";

// The pieces of ChannelProxy.creationCode, in order (see the comments there).
const INIT_STORE_VALUE = "0x3415600857345f555b"; // if (callvalue) sstore(ETH_LEDGER_SLOT, callvalue), slot 0: PUSH0
// limitsOf(address(0)) on the factory, clipped to 14 bytes, written into the runtime; return(0, 0xc9)
const INIT_REST =
  "0x639d3a9dc95f5260205f6024601c335afa5f5102806dffffffffffffffffffffffffffff11604157506dffffffffffffffffffffffffffff5b60c98060565f3981603b5260126091603b395ff3";
// empty calldata: stop; depositAliceEth(): the fast path; else EIP-1167 delegatecall to…
const RUNTIME_HEAD = "0x36156041575f3560e01c63f7c2abed146043575b363d3d373d3d3d363d73";
const RUNTIME_MIDDLE = "0x5af43d82803e903d91603f57fd5bf35b00"; // …the mastercopy; STOP
// the fast path, up to the 14-byte capacity operand, and from it on (then alice and bob)
const RUNTIME_FAST_HEAD = "0x5b34155f5c176013576d"; // …ending with PUSH14
const RUNTIME_FAST_TAIL =
  "0x47116013575f805434018060901b60901c3481106013579155602052345f525f7fcf95b311f6cb197d5cb64d5fe9c228d0f417d19e1a915e71d86292bf092bcbcb60405fa200";

/** Length of the creation code's prefix: the runtime starts at this offset of the creation code. */
export const CHANNEL_INIT_LENGTH = 0x56;
/** Length of a channel's runtime code. */
export const CHANNEL_RUNTIME_LENGTH = 0xc9;
/** Offsets in a channel's runtime code: the mastercopy, alice, bob, and the 14-byte ETH capacity operand. */
export const CHANNEL_RUNTIME_OFFSETS = { mastercopy: 0x1e, alice: 0xa1, bob: 0xb5, ethCapacity: 0x4d } as const;
/** The largest ETH capacity the runtime's 14-byte operand holds (2^112 - 1); larger capacities are clipped to it. */
export const MAX_RUNTIME_CAPACITY = (1n << 112n) - 1n;

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
  return concat([INIT_STORE_VALUE, INIT_REST, runtimeWithCapacity(mastercopy, alice, bob, 0n)]);
}

/**
 * The runtime code a channel of (alice, bob) delegating to `mastercopy` has once deployed: the creation code's
 * runtime with the deployment's ETH capacity (`factory.limitsOf(address(0))`, clipped to 2^112 - 1) written
 * into its capacity check.
 *
 * @param ethCapacity The deployment's ETH channel capacity (2^256 - 1 when ETH is uncapped).
 */
export function channelRuntimeCode(mastercopy: string, alice: string, bob: string, ethCapacity: bigint): string {
  if (ethCapacity < 0n) throw new ChannelAddressError("ethCapacity", ethCapacity, "is negative");
  return runtimeWithCapacity(
    mastercopy,
    alice,
    bob,
    ethCapacity > MAX_RUNTIME_CAPACITY ? MAX_RUNTIME_CAPACITY : ethCapacity,
  );
}

/** The runtime with `capacity` (at most 2^112 - 1) as its capacity operand. */
function runtimeWithCapacity(mastercopy: string, alice: string, bob: string, capacity: bigint): string {
  return concat([
    RUNTIME_HEAD,
    toAddress("mastercopy", mastercopy),
    RUNTIME_MIDDLE,
    RUNTIME_FAST_HEAD,
    "0x" + capacity.toString(16).padStart(28, "0"),
    RUNTIME_FAST_TAIL,
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
