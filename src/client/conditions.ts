/**
 * The transfers the client builds: the upstream lock of a routed payment with its route (expiries within the
 * node's route rules, docs/PROTOCOL.md §12), and the conditional transfers an app asks for. Each goes from this
 * client to the node (the only other party of its channel).
 */

import { DEFAULT_SAFETY_MARGIN } from "../protocol/policies.js";
import { randomWord } from "../protocol/random.js";
import { encodeHashlockTerms, encodeSignedTransferTerms } from "../protocol/resolvers.js";
import { normalizeTransfer, type Transfer } from "../protocol/transfers.js";
import { CommitmentError } from "../protocol/errors.js";
import type { ClientSession, Route } from "../wire/session.js";
import type { ConditionalParams } from "./types.js";

/** Seconds of slack on each expiry beyond the route rules (clock skew between the client, the node and the chain). */
export const EXPIRY_SLACK = 300n;

export interface RoutedLockParams {
  asset: string;
  /** What the payer locks (the payee's amount plus the fee). */
  amount: bigint;
  payeeAmount: bigint;
  lockHash: string;
  to: string;
}

/**
 * The payer's lock to the node and its route. The payee's lock must outlive the payee's dispute window
 * (now + T + margin), the payer's lock must outlive the payee's by its own window (+ T + margin, rule 1), and
 * the payee's must end within the payer's settle window (rule 4: now + T + T − margin); the node's channels share
 * one timeout T, which the node announces through this channel.
 */
export function routedLock(s: ClientSession, now: bigint, p: RoutedLockParams): { lock: Transfer; route: Route } {
  const hashlock = s.info.deployment.HashlockResolver;
  if (hashlock === undefined) throw new CommitmentError("the node names no HashlockResolver: it routes no payment");
  const setup = s.channel.channelSetup;
  const T = setup.timeout;
  const margin = DEFAULT_SAFETY_MARGIN;
  const down = now + T + margin + EXPIRY_SLACK;
  const up = down + T + margin + EXPIRY_SLACK;
  const lock = normalizeTransfer({
    channel: setup.channel,
    resolver: hashlock,
    asset: p.asset,
    amount: p.amount,
    initiator: setup.bob,
    responder: setup.alice,
    timeout: T,
    salt: randomWord(),
    data: encodeHashlockTerms({ lockHash: p.lockHash, expiry: up }),
  });
  return { lock, route: { recipient: p.to, expiry: down, amount: p.payeeAmount } };
}

/** A conditional transfer from this client to the node. */
export function conditionalTransfer(s: ClientSession, p: ConditionalParams): Transfer {
  const setup = s.channel.channelSetup;
  const resolver =
    p.kind === "hashlock" ? s.info.deployment.HashlockResolver : s.info.deployment.SignedTransferResolver;
  if (resolver === undefined) throw new CommitmentError(`the node names no ${p.kind} resolver`);
  return normalizeTransfer({
    channel: setup.channel,
    resolver,
    asset: p.asset,
    amount: p.amount,
    initiator: setup.bob,
    responder: setup.alice,
    timeout: p.timeout ?? setup.timeout,
    salt: randomWord(),
    data:
      p.kind === "hashlock"
        ? encodeHashlockTerms({ lockHash: p.lockHash, expiry: p.expiry })
        : encodeSignedTransferTerms(p.signer),
  });
}
