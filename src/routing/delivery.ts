/**
 * How the routing Node (src/routing/node.ts) puts an update to a peer and reads a downstream lock on chain:
 * its own proposal delivered over the peer's link within the peer timeout (a refusal or a silence is PeerError),
 * its update as an intent where the peer sequences the channel (the node is bob: another node, src/node/peers/),
 * and why a downstream lock may still be claimed (docs/PROTOCOL.md §12 rule 5).
 */
import type { LockReader } from "../chain/settlements.js";
import type { Acknowledgement, Proposal } from "../channel/channel.js";
import { PeerError, RouteError } from "../protocol/errors.js";
import type { UpdateDetails } from "../protocol/types.js";
import type { WriteUnit } from "../stores/store.js";
import type { PeerLink, RouteInstruction } from "./config.js";
import type { Hop } from "./payments.js";

/** The peer's acknowledgement of `proposal` (with the onward `route` of a forwarded lock), or PeerError. */
export async function deliverProposal(
  peer: { address: string; link: PeerLink },
  proposal: Proposal,
  timeoutMs: number,
  route?: RouteInstruction,
): Promise<Acknowledgement> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PeerError(peer.address, `no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([peer.link.receive(proposal, route), timeout]);
  } catch (error) {
    if (error instanceof PeerError) throw error;
    throw new PeerError(
      peer.address,
      `refused update ${proposal.update.state.nonce}: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    clearTimeout(timer);
  }
}

/** The node's own update to a peer that sequences the channel, as its intent (PeerLink.sequenced). */
export async function sequencedUpdate(
  peer: { address: string; link: PeerLink },
  details: UpdateDetails,
  route: RouteInstruction | undefined,
  also: WriteUnit | undefined,
): Promise<void> {
  const link = peer.link;
  if (link.sequenced === undefined) throw new RouteError(`the node is bob with ${peer.address}, whose link runs no intents`);
  await link.sequenced(details, route, also);
}

/**
 * Why the payee may have claimed (or may still claim) the downstream lock `hop` in `channel`, or undefined when
 * it cannot and did not: chain time ≥ `E_down + margin` and no settlement that paid the payee (§12 rule 5).
 * "Cannot read the chain" is never read as "unclaimed".
 */
export async function downstreamClaimable(
  locks: LockReader | undefined,
  channel: string,
  hop: Hop,
  margin: bigint,
): Promise<string | undefined> {
  if (locks === undefined) return "no lock reader configured: the chain cannot be checked for the payee's claim";
  const lock = await locks(channel, hop.transferId);
  const after = hop.expiry + margin;
  if (lock.now < after) return `the chain's time ${lock.now} is before ${after} (E_down + margin)`;
  if (lock.settled && lock.toResponder !== 0n) {
    return `the payee claimed ${lock.toResponder} on chain: waiting for its preimage (learnPreimage)`;
  }
  return undefined;
}
