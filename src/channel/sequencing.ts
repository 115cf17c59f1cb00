/**
 * Sequenced updates (docs/PROTOCOL.md "Sequencing"): in a channel with a node, `alice` (the node) signs every
 * update first and `bob` (the client) second, so neither ever has to choose between two contents at a nonce.
 *
 * - An update alice wants (forwarding a lock, claiming, refunding, her withdraw) is an ordinary proposal:
 *   `alice.propose(details)` → bob `receive`s it → alice `complete`s with bob's acknowledgement.
 * - An update bob wants (his transfer, his resolution, his withdraw, a deposit reconcile) starts as an UNSIGNED
 *   intent (the update's details): alice builds the update with `proposer = bob` on her latest state and signs
 *   it first (`proposeFor`), bob checks that it is exactly his intent on his latest state before he signs and
 *   stores the co-signed update (`accept`), and alice stores it on his acknowledgement (`complete`).
 *
 * The state machine is unchanged (the proposer is still the transfer's initiator, the resolution's responder,
 * the withdrawing party); only the order of the signatures differs. Browser-safe.
 */
import { MalformedUpdateError } from "../protocol/errors.js";
import type { UpdateDetails } from "../protocol/types.js";
import type { WriteUnit } from "../stores/store.js";
import type { Acknowledgement, Channel, Proposal } from "./channel.js";

/** The party that signs first: the sequencer of the channel. */
export const SEQUENCER = "alice" as const;

/** What bob asks alice to sequence: the details of the update, unsigned. */
export type Intent = UpdateDetails;

/**
 * On the sequencer (alice): builds bob's intent as an update proposed by bob on alice's latest state, signs it
 * first and stores the signature (with `also`) before returning it. Throws the state machine's typed error
 * when the intent does not apply (a re-based intent whose preconditions no longer hold); DoubleSignError when
 * alice already signed another content at that nonce (she first waits for her pending proposal's answer).
 */
export function proposeFor(channel: Channel, intent: Intent, also?: WriteUnit): Promise<Proposal> {
  if (channel.me !== SEQUENCER) throw new MalformedUpdateError("only alice (the sequencer) signs an intent first");
  return channel.proposeAs("bob", intent, also);
}

/**
 * On bob: takes alice's proposal for `intent`. It must be exactly the update the intent makes on bob's latest
 * state (same payloads, so the same digests), signed by alice; then bob signs, stores the co-signed update
 * (with `also`) and returns his acknowledgement. Changes nothing and throws a typed error otherwise.
 */
export function accept(
  channel: Channel,
  proposal: Proposal,
  intent: Intent,
  also?: WriteUnit,
): Promise<Acknowledgement> {
  if (channel.me === SEQUENCER) throw new MalformedUpdateError("alice proposes or signs first; she accepts no intent");
  return channel.receive(proposal, also, intent);
}
