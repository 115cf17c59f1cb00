/**
 * What the web wallet's server tells the page at `/config.json` (scripts/demo-web.ts writes it, the page reads
 * it with `parseConfig`). No DOM and no Node.js here: both sides import it.
 */
import { SwitchyardError } from "../../src/protocol/errors.js";

/** The server's `/config.json` is not what this page expects (another server, or an older one). */
export class ConfigError extends SwitchyardError {
  constructor(reason: string) {
    super("CONFIG", `the server's /config.json ${reason}`);
  }
}

export interface WalletConfig {
  /** The chain's id (the wallet must be on it; a generated test key signs for it). */
  chainId: string;
  /** The node's address (protocol alice of every user's channel). */
  node: string;
  /** Wei the server's faucet sends once to a new test key (decimal). */
  faucetWei: string;
  /** The deployment: ChannelFactory, ChannelMastercopy, HashlockResolver, SignedTransferResolver. */
  addresses: Record<string, string>;
}

/** Checks the shape of the server's answer (the page refuses to start on anything else). */
export function parseConfig(value: unknown): WalletConfig {
  const v = value as Partial<Record<keyof WalletConfig, unknown>> | null;
  const isText = (x: unknown): x is string => typeof x === "string" && x !== "";
  if (
    v === null ||
    typeof v !== "object" ||
    !isText(v.chainId) ||
    !isText(v.node) ||
    !isText(v.faucetWei) ||
    typeof v.addresses !== "object" ||
    v.addresses === null ||
    !Object.values(v.addresses).every(isText)
  )
    throw new ConfigError("is not a web wallet configuration");
  return {
    chainId: v.chainId,
    node: v.node,
    faucetWei: v.faucetWei,
    addresses: v.addresses as Record<string, string>,
  };
}
