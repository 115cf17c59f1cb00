/**
 * The Channel's boundary: every message a Channel method takes from outside (a proposal, an acknowledgement, a
 * co-signed update, the details of a proposal, a resolution's evidence) is parsed here with the wire's zod
 * schemas (src/wire/schemas.ts) before the state machine, the signer or the store sees it. What comes out is a
 * fresh copy of plain data with the SDK's types (checksummed addresses, lowercase hex, bigints in range), so a
 * `null`, a JS number where a bigint belongs, odd-length hex, an unknown (or circular) extra field or a getter
 * that throws is refused with MalformedMessageError, and nothing is signed or stored for it.
 *
 * The hot messages (details, proposals, acknowledgements of the common update types) first take a hand-written
 * walk of the same rules (fastValidate.ts, several times cheaper than zod's parse); whatever it does not handle,
 * and every refusal, goes through the schemas, so the errors are the schemas' own.
 *
 * It also holds the Channel's own refusals that no schema expresses: a withdraw paying the channel's own address
 * (docs/SECURITY.md §5: it would move nothing yet count as paid out) is refused with WithdrawError on both sides.
 */
import type { z } from "zod";

import { MalformedMessageError, WithdrawError } from "../protocol/errors.js";
import type { CoSignedUpdate } from "../protocol/record.js";
import type { UpdateDetails } from "../protocol/types.js";
import { WireValidationError } from "../wire/codes.js";
import {
  acknowledgement,
  address,
  bytes32,
  coSignedUpdate,
  hexBytes,
  proposal,
  updateDetails,
  validate,
  WIRE_BOUNDS,
} from "../wire/schemas.js";
import type { Acknowledgement, Proposal } from "./channel.js";
import { fastAcknowledgement, fastDetails, fastProposal } from "./fastValidate.js";

const resolverData = hexBytes(WIRE_BOUNDS.maxResolverDataBytes);

/** Parses `value` with `schema`; any refusal becomes MalformedMessageError naming `what` and every issue. */
function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  try {
    return validate(schema, value, what);
  } catch (error) {
    if (error instanceof WireValidationError) throw new MalformedMessageError(what, error.message, error.issues);
    throw error;
  }
}

/** Refuses a withdraw commitment paying the channel itself (SECURITY.md §5). */
function refuseSelfWithdraw(details: UpdateDetails, channel: string): void {
  if (details.type === "withdraw" && details.commitment.recipient === channel) {
    throw new WithdrawError(
      `a withdraw may not pay the channel's own address ${channel}: it would count as paid out and move nothing`,
    );
  }
}

/** The details a party proposes, checked. `channel` is the channel's checksummed address. */
export function checkedDetails(value: unknown, channel: string): UpdateDetails {
  const details = fastDetails(value) ?? parse(updateDetails, value, "update details");
  refuseSelfWithdraw(details, channel);
  return details;
}

/** A received proposal, checked. `channel` is the channel's checksummed address. */
export function checkedProposal(value: unknown, channel: string): Proposal {
  const checked = fastProposal(value) ?? parse(proposal, value, "proposal");
  refuseSelfWithdraw(checked.update.details, channel);
  return checked;
}

/** A received acknowledgement, checked. */
export function checkedAcknowledgement(value: unknown): Acknowledgement {
  return fastAcknowledgement(value) ?? parse(acknowledgement, value, "acknowledgement");
}

/** A co-signed update taken from the counter-party (restore), checked. */
export function checkedCoSignedUpdate(value: unknown): CoSignedUpdate {
  return parse(coSignedUpdate, value, "co-signed update");
}

/** A transfer id and its resolver evidence (learnResolution), checked: lowercase hex out. */
export function checkedResolution(transferId: unknown, data: unknown): { transferId: string; resolverData: string } {
  return {
    transferId: parse(bytes32, transferId, "transfer id"),
    resolverData: parse(resolverData, data, "resolver data"),
  };
}

/** An asset address (proposeDeposit), checked: checksummed out. */
export function checkedAsset(value: unknown): string {
  return parse(address, value, "asset");
}
