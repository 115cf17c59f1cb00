/** How both parties store an update's details and a channel's setup, and the signer check of opening a channel. */
import { checksum } from "../protocol/address.js";
import { MalformedUpdateError } from "../protocol/errors.js";
import type { Transition } from "../protocol/stateMachine.js";
import type { ChannelSetup, UpdateDetails } from "../protocol/types.js";
import { normalizePayout } from "./chainChecks.js";
import type { ChannelConfig } from "./channel.js";

/** The details as both parties store them: checksummed addresses, lowercase hex, the normalized transfer. */
export function normalizeDetails(details: UpdateDetails, transition: Transition): UpdateDetails {
  switch (details.type) {
    case "deposit":
      return { ...details, asset: checksum(details.asset) };
    case "create":
      return { type: "create", transfer: (transition.transfers?.added?.transfer ?? details.transfer) };
    case "resolve":
      return { ...details, transferId: details.transferId.toLowerCase(), resolverData: details.resolverData.toLowerCase() };
    case "withdraw":
      return { ...details, commitment: transition.payloads.withdraw ?? details.commitment };
    case "close":
      return { type: "close" };
    case "plain":
      return { ...details, asset: checksum(details.asset) };
    case "reopen":
      return { type: "reopen", payouts: details.payouts.map(normalizePayout) };
  }
}

export function normalizeSetup(setup: ChannelSetup): ChannelSetup {
  return { ...setup, channel: checksum(setup.channel), alice: checksum(setup.alice), bob: checksum(setup.bob) };
}

export function checkSigner(config: ChannelConfig, setup: ChannelSetup): void {
  const expected = checksum(config.me === "alice" ? setup.alice : setup.bob);
  if (checksum(config.signer.address) !== expected) {
    throw new MalformedUpdateError(`the signer ${config.signer.address} is not ${config.me} (${expected})`);
  }
}
