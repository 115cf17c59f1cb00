/**
 * The login challenge of a Switchyard node: EIP-712 typed data a client signs to prove its address on one
 * connection (see docs/PROTOCOL.md "Node login"). Domain: the node's name, version "1", the chain id and the
 * node's address as `verifyingContract`, so a signature for one node, chain or deployment is worthless on
 * another. Message: the client's address, a 32-byte nonce the node drew for this connection, when it was
 * issued and when it expires (unix seconds). Browser-safe.
 */
import { TypedDataEncoder, type TypedDataField } from "ethers";

import type { SignRequest } from "../protocol/signing.js";

export const LOGIN_VERSION = "1";
export const LOGIN_PRIMARY_TYPE = "Login";

export const LOGIN_TYPES: Record<string, TypedDataField[]> = {
  Login: [
    { name: "client", type: "address" },
    { name: "nonce", type: "bytes32" },
    { name: "issuedAt", type: "uint256" },
    { name: "expiry", type: "uint256" },
  ],
};

export interface LoginDomain {
  name: string;
  version: string;
  chainId: bigint;
  verifyingContract: string;
}

export interface LoginMessage {
  client: string;
  nonce: string;
  issuedAt: bigint;
  expiry: bigint;
}

/** What `auth.challenge` returns: the typed data to sign, ready for `eth_signTypedData_v4` or a ChannelSigner. */
export interface LoginChallenge {
  domain: LoginDomain;
  types: Record<string, TypedDataField[]>;
  primaryType: string;
  message: LoginMessage;
}

export function loginDomain(nodeName: string, chainId: bigint, nodeAddress: string): LoginDomain {
  return { name: nodeName, version: LOGIN_VERSION, chainId, verifyingContract: nodeAddress };
}

/** The EIP-712 digest of a login message. */
export function loginDigest(domain: LoginDomain, message: LoginMessage): string {
  return TypedDataEncoder.hash(domain, LOGIN_TYPES, message);
}

/** The challenge as a signing request for the SDK's signers (`walletSigner`, `eip1193Signer`, …). */
export function loginSignRequest(challenge: LoginChallenge): SignRequest {
  return {
    domain: challenge.domain,
    types: LOGIN_TYPES,
    primaryType: LOGIN_PRIMARY_TYPE,
    message: { ...challenge.message },
    digest: loginDigest(challenge.domain, challenge.message),
  };
}
