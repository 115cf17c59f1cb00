/**
 * Signers beyond the local-key ones of src/protocol/signing.ts: a wallet's EIP-1193 provider
 * (`eth_signTypedData_v4`, readable typed data, every answer checked). Browser-safe.
 */
export * from "./eip1193.js";
