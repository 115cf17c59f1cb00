/**
 * Typed errors of the Switchyard SDK: one class per cause, each with a stable `code` and a message that says
 * what was wrong. Every error the state machine, the signing layer or the store throws on bad input is one of
 * these, so a caller can branch on `instanceof` (or on `code` across process boundaries).
 */

/** The base class of every error the SDK throws on purpose. */
export class SwitchyardError extends Error {
  /** A stable machine-readable name of the cause (e.g. "NONCE"). */
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The update's nonce is not exactly the latest co-signed nonce + 1 (a replayed, stale or skipped update). */
export class NonceError extends SwitchyardError {
  constructor(
    readonly expected: bigint,
    readonly received: bigint,
  ) {
    const why = received <= expected - 1n ? "replayed or stale" : "out of order (skips a nonce)";
    super("NONCE", `update nonce ${received} is ${why}: the next nonce must be ${expected}`);
  }
}

/** The balances the update proposes do not add up to what the channel holds for an asset. */
export class ConservationError extends SwitchyardError {
  constructor(
    readonly asset: string,
    readonly expectedTotal: bigint,
    readonly proposedTotal: bigint,
  ) {
    super(
      "CONSERVATION",
      `asset ${asset}: the proposed balances sum to ${proposedTotal} but the update allows exactly ${expectedTotal}`,
    );
  }
}

/** The update would take a party's balance (or a transfer's share) below zero. */
export class NegativeBalanceError extends SwitchyardError {
  constructor(
    readonly asset: string,
    readonly party: string,
    readonly balance: bigint,
    readonly debit: bigint,
  ) {
    super("NEGATIVE_BALANCE", `asset ${asset}: ${party} has ${balance}, cannot take ${debit} from it`);
  }
}

/** The channel would hold more of an asset than the deployment's channel capacity. */
export class CapacityError extends SwitchyardError {
  constructor(
    readonly asset: string,
    readonly total: bigint,
    readonly capacity: bigint,
  ) {
    super("CAPACITY", `asset ${asset}: the channel would hold ${total}, above its capacity of ${capacity}`);
  }
}

/** A conditional transfer is larger than the deployment's transfer cap for its asset. */
export class TransferCapError extends SwitchyardError {
  constructor(
    readonly asset: string,
    readonly amount: bigint,
    readonly cap: bigint,
  ) {
    super("TRANSFER_CAP", `asset ${asset}: transfer of ${amount} is above the transfer cap of ${cap}`);
  }
}

/** A transfer names a resolver the SDK does not accept. */
export class UnknownResolverError extends SwitchyardError {
  constructor(readonly resolver: string) {
    super("UNKNOWN_RESOLVER", `resolver ${resolver} is not in the accepted list`);
  }
}

/** A dispute timeout, transfer timeout or hashlock expiry does not fit the channel's windows. */
export class TimeoutError extends SwitchyardError {
  constructor(message: string) {
    super("TIMEOUT", message);
  }
}

/** A signature is malformed, non-canonical (high s), or does not come from the expected signer. */
export class SignatureError extends SwitchyardError {
  constructor(
    readonly signer: string,
    reason: string,
  ) {
    super("SIGNATURE", `signature of ${signer} rejected: ${reason}`);
  }
}

/** Which input of a signing or recovery call was rejected. */
export type CryptoInput = "digest" | "signature" | "recoveryId" | "privateKey" | "backend";

/**
 * An input to ECDSA signing or recovery is malformed or non-canonical: a digest that is not 32 bytes, a
 * signature that is not 65 bytes, a recovery id other than 27/28, r or s out of range, a high s (the malleable
 * twin OpenZeppelin ECDSA refuses), a private key outside [1, n − 1], or a backend that cannot be used. Both
 * secp256k1 backends throw it alike (the checks run before either backend is called).
 */
export class CryptoInputError extends SwitchyardError {
  constructor(
    readonly input: CryptoInput,
    readonly reason: string,
  ) {
    super("CRYPTO_INPUT", `${input} rejected: ${reason}`);
  }
}

/** The state the counter-party signed differs from the one its update leads to. */
export class TamperedUpdateError extends SwitchyardError {
  constructor(readonly field: string, detail: string) {
    super("TAMPERED", `the proposed state does not follow from the update (${field}): ${detail}`);
  }
}

/** A transfer with the same id is already active in the channel. */
export class DuplicateTransferError extends SwitchyardError {
  constructor(readonly transferId: string) {
    super("DUPLICATE_TRANSFER", `transfer ${transferId} is already active`);
  }
}

/** An update refers to a transfer that is not active in the channel. */
export class UnknownTransferError extends SwitchyardError {
  constructor(readonly transferId: string) {
    super("UNKNOWN_TRANSFER", `transfer ${transferId} is not active in this channel`);
  }
}

/** A transfer's resolution pays the responder more than was locked, or contradicts the resolver's terms. */
export class ResolutionError extends SwitchyardError {
  constructor(readonly transferId: string, reason: string) {
    super("RESOLUTION", `transfer ${transferId}: ${reason}`);
  }
}

/** A deposit reconciliation that moves deposits backwards or claims more than is on chain. */
export class DepositError extends SwitchyardError {
  constructor(readonly asset: string, reason: string) {
    super("DEPOSIT", `asset ${asset}: ${reason}`);
  }
}

/** A withdraw that does not fit the channel (wrong withdraw nonce, zero amount, unknown asset...). */
export class WithdrawError extends SwitchyardError {
  constructor(reason: string) {
    super("WITHDRAW", reason);
  }
}

/** A close while transfers are still active, or any update after the channel was closed. */
export class ChannelClosedError extends SwitchyardError {
  constructor(reason: string) {
    super("CLOSED", reason);
  }
}

/** The update is malformed: a wrong type, a bad address, a negative or oversized number, a bad asset list. */
export class MalformedUpdateError extends SwitchyardError {
  constructor(reason: string) {
    super("MALFORMED", reason);
  }
}

/** Signing would put a second, different signature on a nonce already signed (equivocation). */
export class DoubleSignError extends SwitchyardError {
  constructor(
    readonly nonce: bigint,
    readonly signedDigest: string,
    readonly requestedDigest: string,
  ) {
    super(
      "DOUBLE_SIGN",
      `nonce ${nonce} was already signed with content ${signedDigest}; refusing to sign different content ${requestedDigest}`,
    );
  }
}

/** The store is missing, unreadable, or holds data that fails its own integrity checks. */
export class StoreError extends SwitchyardError {
  constructor(reason: string, code = "STORE") {
    super(code, reason);
  }
}

/** Another writer holds the store (a second process for the same party), or took it over (fenced). */
export class StoreLockedError extends StoreError {
  constructor(readonly location: string, reason: string) {
    super(`store ${location} is locked: ${reason}`, "STORE_LOCKED");
  }
}

/** The database's schema is newer than this SDK knows (it refuses to run against it), or unreadable. */
export class SchemaVersionError extends StoreError {
  constructor(
    readonly location: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(`store ${location} has schema version ${found}; this SDK supports up to ${supported}`, "STORE_SCHEMA");
  }
}

/** The database file is not a database, belongs to another application, or fails its integrity checks. */
export class StoreCorruptError extends StoreError {
  constructor(readonly location: string, reason: string) {
    super(`store ${location} is corrupt or foreign: ${reason}`, "STORE_CORRUPT");
  }
}

/** The database cannot be reached or failed mid-write (lost connection, full disk, I/O error): nothing was acknowledged. */
export class StoreUnavailableError extends StoreError {
  constructor(readonly location: string, reason: string) {
    super(`store ${location} is unavailable: ${reason}`, "STORE_UNAVAILABLE");
  }
}

/** A compare-and-set write found another version than expected (a payment, chain transaction, outbox row). */
export class StoreConflictError extends StoreError {
  constructor(
    readonly table: string,
    readonly key: string,
    reason: string,
  ) {
    super(`${table} ${key}: ${reason}`, "STORE_CONFLICT");
  }
}

/** A commitment cannot be built from what the store holds (no co-signed state, an unknown transfer...). */
export class CommitmentError extends SwitchyardError {
  constructor(reason: string) {
    super("COMMITMENT", reason);
  }
}

/** A payment a node is asked to forward breaks a routing rule (unknown peer, reused lock, amount, terms). */
export class RouteError extends SwitchyardError {
  constructor(reason: string) {
    super("ROUTE", reason);
  }
}

/** A counter-party did not answer in time, or refused what this party sent. */
export class PeerError extends SwitchyardError {
  constructor(
    readonly peer: string,
    reason: string,
  ) {
    super("PEER", `peer ${peer}: ${reason}`);
  }
}

/**
 * A reopen (the next life cycle of a closed channel) that does not follow the close: an update before the close,
 * payouts that do not match the closed state's assets, or a close that paid less than the final balances.
 */
export class ReopenError extends SwitchyardError {
  constructor(reason: string) {
    super("REOPEN", reason);
  }
}

/**
 * The counter-party presents a co-signed state that forks from this party's own: another state co-signed at a
 * nonce this party also holds, or a history that does not continue this party's latest state. Never resolved
 * by overwriting: the party keeps its own copy (and its on-chain rights) and reports it.
 */
export class ForkError extends SwitchyardError {
  constructor(
    readonly nonce: bigint,
    reason: string,
  ) {
    super("FORK", `fork at nonce ${nonce}: ${reason}`);
  }
}

/** One reason a message was refused: where in it (a dotted path) and what was wrong there. */
export interface MessageIssue {
  path: string;
  message: string;
}

/**
 * A message (a proposal, an acknowledgement, a co-signed update, update details, stored JSON) does not have the
 * shape its schema requires: a missing or extra field, a wrong type, a JS number where a bigint belongs, hex of
 * the wrong length, or nesting too deep to read. Nothing was signed or stored for it.
 */
export class MalformedMessageError extends MalformedUpdateError {
  constructor(
    readonly what: string,
    reason: string,
    readonly issues: readonly MessageIssue[] = [],
  ) {
    super(`${what} is malformed: ${reason}`);
  }
}
