/**
 * Login on one connection: the node issues EIP-712 challenges (src/wire/login.ts) bound to the connection, and
 * binds the first address that answers one with a valid signature. A challenge is good for one attempt, on
 * the connection that asked for it, until its expiry; the signature is checked as OpenZeppelin's
 * SignatureChecker does (a canonical ECDSA signature by the address, else the address's ERC-1271
 * `isValidSignature` through the node's chain connection).
 */
import { randomBytes } from "node:crypto";

import { checksum } from "../protocol/address.js";
import { SignatureError } from "../protocol/errors.js";
import { verifySignature, type CallProvider } from "../protocol/signing.js";
import { WireError } from "../wire/codes.js";
import { LOGIN_PRIMARY_TYPE, LOGIN_TYPES, loginDigest, type LoginChallenge, type LoginDomain } from "../wire/login.js";

export interface AuthOptions {
  domain: LoginDomain;
  /** How long a challenge may be answered. */
  ttlSeconds: number;
  /** Challenges one connection may hold at once (the oldest is dropped beyond). */
  maxOutstanding: number;
  /** For ERC-1271 accounts; without it only EOAs can log in. */
  chain?: CallProvider;
  /** Unix time in ms. */
  clock: () => number;
}

/** The login state of one connection. */
export class ConnectionAuth {
  private readonly challenges = new Map<string, LoginChallenge>();
  private bound: string | undefined;

  constructor(private readonly options: AuthOptions) {}

  /** The address logged in on this connection, if any. */
  get address(): string | undefined {
    return this.bound;
  }

  /** A new challenge for `client` (checksummed), good on this connection only. */
  issue(client: string): LoginChallenge {
    if (this.bound !== undefined)
      throw new WireError("ALREADY_AUTHENTICATED", `this connection is logged in as ${this.bound}`);
    const issuedAt = BigInt(Math.floor(this.options.clock() / 1000));
    const nonce = "0x" + randomBytes(32).toString("hex");
    const challenge: LoginChallenge = {
      domain: this.options.domain,
      types: LOGIN_TYPES,
      primaryType: LOGIN_PRIMARY_TYPE,
      message: { client: checksum(client), nonce, issuedAt, expiry: issuedAt + BigInt(this.options.ttlSeconds) },
    };
    this.challenges.set(nonce, challenge);
    while (this.challenges.size > this.options.maxOutstanding) {
      const oldest = this.challenges.keys().next().value as string;
      this.challenges.delete(oldest);
    }
    return challenge;
  }

  /**
   * Answers the challenge `nonce` with `signature`. The challenge is used up whatever the outcome. Throws
   * CHALLENGE_UNKNOWN (never issued here, already used, or dropped), CHALLENGE_EXPIRED, LOGIN_SIGNATURE or
   * ALREADY_AUTHENTICATED; returns the bound address.
   */
  async login(nonce: string, signature: string): Promise<{ address: string }> {
    if (this.bound !== undefined)
      throw new WireError("ALREADY_AUTHENTICATED", `this connection is logged in as ${this.bound}`);
    const challenge = this.challenges.get(nonce);
    if (challenge === undefined) {
      throw new WireError(
        "CHALLENGE_UNKNOWN",
        "no open challenge with this nonce on this connection (never issued here, or already used)",
      );
    }
    this.challenges.delete(nonce);
    const now = BigInt(Math.floor(this.options.clock() / 1000));
    if (now > challenge.message.expiry) {
      throw new WireError("CHALLENGE_EXPIRED", `the challenge expired at ${challenge.message.expiry} (now ${now})`);
    }
    const client = challenge.message.client;
    try {
      await verifySignature(client, loginDigest(challenge.domain, challenge.message), signature, this.options.chain);
    } catch (error) {
      if (error instanceof SignatureError) throw new WireError("LOGIN_SIGNATURE", error.message);
      throw error;
    }
    // Another login on this connection may have finished while this one verified.
    if (this.bound !== undefined)
      throw new WireError("ALREADY_AUTHENTICATED", `this connection is logged in as ${this.bound}`);
    this.bound = client;
    this.challenges.clear();
    return { address: client };
  }
}
