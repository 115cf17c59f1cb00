/**
 * The SDK's policies for the two resolvers of the protocol (what a party checks before it signs a transfer,
 * and how it evaluates evidence off chain as the contract would). Encodings come from `resolvers.ts`.
 *
 * Hashlock expiry rules (contracts/resolvers/HashlockResolver.sol pays the responder for the preimage
 * strictly before `expiry`, absolute unix seconds), for routing safety:
 * 1. Lifetime: `expiry >= now + channelTimeout + safetyMargin`. If the initiator goes silent, the responder
 *    disputes the channel, waits one consensus phase (`channelTimeout`), then disputes and settles the transfer
 *    with the preimage; `safetyMargin` covers getting those transactions mined. A shorter lock could expire
 *    before the responder can claim on chain, after it revealed the preimage. A running dispute only shortens
 *    the wait (a refute keeps its expiries); a full cycle (2T) would matter only for a lock co-signed during a
 *    defund phase, which is unbacked whatever its expiry (docs/PROTOCOL.md §12 rule 1 has the argument).
 * 2. Optional cap: `expiry <= now + maxLifetime`, so funds are not locked longer than the party accepts.
 * 3. Route: a node forwarding a payment signs the downstream lock only if
 *    `upstreamExpiry >= downstreamExpiry + upstreamChannelTimeout + safetyMargin` (`checkRouteExpiries`):
 *    having learned the preimage at the latest at the downstream expiry, the node can still take the upstream
 *    transfer on chain before the upstream lock expires: it disputes the upstream channel at once, waits one
 *    consensus phase (`upstreamChannelTimeout`), and disputes and settles the transfer in the first moments of
 *    the defund phase. A whole dispute cycle (2T) is not needed: nothing waits for the defund phase to end.
 * 4. Settle window: `downstreamExpiry + safetyMargin <= now + upstreamChannelTimeout + upstreamSettleWindow`
 *    (`checkUpstreamSettleWindow`). The payer may dispute the upstream channel as soon as the lock is signed
 *    and dispute the transfer at the end of that consensus phase, which starts the transfer's settle window
 *    (`timeout`) early; after it the whole amount is refunded to the payer. The node must hold the preimage
 *    (at the latest at the downstream expiry) before that earliest deadline. With rule 1 downstream this needs
 *    `T_down + 2·margin <= T_up + window_up`, which the SDK's own locks (window = channel timeout) meet whenever
 *    `margin <= T/2`. See docs/PROTOCOL.md §12.
 * The floor of every transfer's settle window (`timeout >= minTimeout`, §12 rule 4) is a state-machine rule
 * (`checkTransferTimeout` in stateMachine.ts), since it holds for every resolver.
 */
import { ZeroAddress, ZeroHash, getAddress } from "ethers";

import { MalformedUpdateError, ResolutionError, TimeoutError } from "./errors.js";
import {
  decodeHashlockResolution,
  decodeSignedTransferResolution,
  decodeSignedTransferTerms,
  hashlockLock,
  transferOutcomeDigest,
  type HashlockTerms,
} from "./resolvers.js";
import { tryRecover } from "./signing.js";
import type { Transfer } from "./transfers.js";
import type { PolicyEnv, ResolverPolicy } from "./types.js";

/** Default margin, in seconds, for getting dispute transactions mined (see the expiry rules above). */
export const DEFAULT_SAFETY_MARGIN = 600n;

export interface HashlockPolicyOptions {
  /** Seconds added to the channel timeout in the lifetime rule (default DEFAULT_SAFETY_MARGIN). */
  safetyMargin?: bigint;
  /** The longest lock this party signs, in seconds from now (default: no cap). */
  maxLifetime?: bigint;
}

const TERMS = /^0x[0-9a-fA-F]{128}$/;

/**
 * The hashlock terms in `data`: the same result as resolvers.ts `decodeHashlockTerms` (both words are full
 * 32-byte words, so slicing is decoding), without the AbiCoder's cost on every update.
 */
export function hashlockTerms(data: string): HashlockTerms {
  if (!TERMS.test(data))
    throw new MalformedUpdateError(`hashlock terms are abi.encode(bytes32, uint256) (64 bytes), got ${data}`);
  return { lockHash: "0x" + data.slice(2, 66).toLowerCase(), expiry: BigInt("0x" + data.slice(66)) };
}

/** The policy of the hashlock resolver deployed at `address`. */
export function hashlockPolicy(address: string, options: HashlockPolicyOptions = {}): ResolverPolicy {
  const margin = options.safetyMargin ?? DEFAULT_SAFETY_MARGIN;
  return {
    address: getAddress(address),
    name: "hashlock",
    validateTerms(transfer: Transfer, env: PolicyEnv): void {
      const { lockHash, expiry } = hashlockTerms(transfer.data);
      if (lockHash === ZeroHash) throw new MalformedUpdateError("the zero lock hash can never be opened");
      const earliest = env.now + env.channelTimeout + margin;
      if (expiry < earliest) {
        throw new TimeoutError(
          `hashlock expiry ${expiry} is before ${earliest} (now ${env.now} + channel timeout ${env.channelTimeout}s ` +
            `+ margin ${margin}s): the responder could not claim it on chain in time`,
        );
      }
      if (options.maxLifetime !== undefined && expiry > env.now + options.maxLifetime) {
        throw new TimeoutError(`hashlock expiry ${expiry} is more than ${options.maxLifetime}s after now (${env.now})`);
      }
    },
    outcome(transfer: Transfer, transferId: string, resolverData: string, env: PolicyEnv): bigint {
      const { lockHash, expiry } = hashlockTerms(transfer.data);
      let preimage: string;
      try {
        preimage = decodeHashlockResolution(resolverData);
      } catch {
        throw new ResolutionError(transferId, "hashlock evidence is abi.encode(bytes32 preimage)");
      }
      if (env.now >= expiry)
        throw new ResolutionError(transferId, `the hashlock expired at ${expiry} (now ${env.now})`);
      if (hashlockLock(preimage) !== lockHash.toLowerCase()) {
        throw new ResolutionError(transferId, "the preimage does not open the lock");
      }
      return transfer.amount;
    },
  };
}

/** Rule 3 above: throws TimeoutError unless a node can forward from `upstreamExpiry` to `downstreamExpiry`. */
export function checkRouteExpiries(
  upstreamExpiry: bigint,
  downstreamExpiry: bigint,
  upstreamChannelTimeout: bigint,
  safetyMargin: bigint = DEFAULT_SAFETY_MARGIN,
): void {
  const needed = downstreamExpiry + upstreamChannelTimeout + safetyMargin;
  if (upstreamExpiry < needed) {
    throw new TimeoutError(
      `upstream expiry ${upstreamExpiry} must be at least ${needed} (downstream expiry ${downstreamExpiry} + ` +
        `upstream channel timeout ${upstreamChannelTimeout}s + margin ${safetyMargin}s)`,
    );
  }
}

/** Rule 4 above: throws TimeoutError unless the downstream lock ends before the upstream transfer's earliest deadline. */
export function checkUpstreamSettleWindow(
  downstreamExpiry: bigint,
  now: bigint,
  upstreamChannelTimeout: bigint,
  upstreamSettleWindow: bigint,
  safetyMargin: bigint = DEFAULT_SAFETY_MARGIN,
): void {
  const latest = now + upstreamChannelTimeout + upstreamSettleWindow - safetyMargin;
  if (downstreamExpiry > latest) {
    throw new TimeoutError(
      `downstream expiry ${downstreamExpiry} is after ${latest} (now ${now} + upstream channel timeout ` +
        `${upstreamChannelTimeout}s + upstream settle window ${upstreamSettleWindow}s - margin ${safetyMargin}s): ` +
        `a payer disputing at once could have the upstream transfer refunded before the preimage is revealed`,
    );
  }
}

/**
 * The policy of the signed-transfer resolver deployed at `address` on chain `chainId`: terms name a signer,
 * evidence is its EIP-712 `TransferOutcome` signature. Off chain only ECDSA attesters are checked (an ERC-1271
 * attester's evidence is settled on chain).
 */
export function signedTransferPolicy(address: string, chainId: bigint): ResolverPolicy {
  const resolver = getAddress(address);
  const signerOf = (data: string): string => {
    try {
      return decodeSignedTransferTerms(data);
    } catch (error) {
      throw new MalformedUpdateError(`signed-transfer terms: ${(error as Error).message}`);
    }
  };
  return {
    address: resolver,
    name: "signed-transfer",
    validateTerms(transfer: Transfer): void {
      if (signerOf(transfer.data) === ZeroAddress) throw new MalformedUpdateError("a signed transfer names no signer");
    },
    outcome(transfer: Transfer, transferId: string, resolverData: string): bigint {
      const signer = signerOf(transfer.data);
      let evidence;
      try {
        evidence = decodeSignedTransferResolution(resolverData);
      } catch {
        throw new ResolutionError(transferId, "signed-transfer evidence is abi.encode(uint256, bytes, bytes)");
      }
      const digest = transferOutcomeDigest(chainId, resolver, {
        transferId,
        toResponder: evidence.toResponder,
        outcomeData: evidence.outcomeData,
      });
      const recovered = tryRecover(digest, evidence.signature);
      if (!("signer" in recovered) || recovered.signer !== signer) {
        throw new ResolutionError(transferId, `the outcome is not signed by ${signer}`);
      }
      if (evidence.toResponder > transfer.amount) {
        throw new ResolutionError(
          transferId,
          `the outcome pays ${evidence.toResponder}, more than the ${transfer.amount} locked`,
        );
      }
      return evidence.toResponder;
    },
  };
}
