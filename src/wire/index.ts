/**
 * The Switchyard wire: JSON-RPC 2.0 envelopes over the SDK's JSON encoding, the stable error-code table, the
 * zod schemas of every message, the login typed data, the method list and the client. Browser-safe.
 */
export * from "./codes.js";
export * from "./envelope.js";
export * from "./schemas.js";
export * from "./login.js";
export * from "./methods.js";
export * from "./client.js";
export * from "./session.js";
