/**
 * What the page tells the user when something fails: the typed cause (the SDK's error class and its stable
 * `code`, a wallet's refusal, the chain's error code) and the message, never a stack trace.
 */
import { WalletError } from "../../src/signers/eip1193.js";
import { SwitchyardError } from "../../src/protocol/errors.js";

/** An amount the user typed is not a positive ETH amount with at most 18 decimals. */
export class AmountFormatError extends SwitchyardError {
  constructor(readonly text: string) {
    super("AMOUNT_FORMAT", `"${text}" is not a positive ETH amount (digits, a point, at most 18 decimals)`);
  }
}

/** A recipient the user typed is not an address. */
export class RecipientError extends SwitchyardError {
  constructor(readonly text: string) {
    super("RECIPIENT", `"${text}" is not an address (0x and 40 hex digits)`);
  }
}

/** An action was asked for before the page connected. */
export class NotConnectedError extends SwitchyardError {
  constructor() {
    super("NOT_CONNECTED", "connect first (a test key or the browser's wallet)");
  }
}

export interface Explained {
  /** The cause, e.g. "SignatureError (SIGNATURE)". */
  title: string;
  /** What happened, in the SDK's (or the wallet's, or the chain's) words. */
  detail: string;
}

/** An ethers error: a stable `code` and a one-line `shortMessage`. */
interface EthersLike {
  code: string;
  shortMessage: string;
}

const isEthersError = (e: unknown): e is EthersLike =>
  typeof e === "object" &&
  e !== null &&
  typeof (e as { code?: unknown }).code === "string" &&
  typeof (e as { shortMessage?: unknown }).shortMessage === "string";

const WALLET_WORDS: Record<string, string> = {
  rejected: "you declined the request in your wallet",
  unauthorized: "the wallet has not given this page access to the account",
  unsupported: "the wallet does not support what was asked",
  disconnected: "the wallet is not connected to a chain",
  "wrong-chain": "the wallet is on another chain than the channel's",
  failed: "the wallet failed",
};

/** The cause and message of `error`, for the error box. */
export function explain(error: unknown): Explained {
  if (error instanceof WalletError)
    return {
      title: `WalletError (${error.failure})`,
      detail: `${WALLET_WORDS[error.failure] ?? ""}: ${error.message}`,
    };
  if (error instanceof SwitchyardError) {
    const cause = (error as { cause?: unknown }).cause;
    const because = cause instanceof Error && cause.message !== "" ? ` (because: ${explain(cause).detail})` : "";
    return { title: `${error.name} (${error.code})`, detail: `${error.message}${because}` };
  }
  if (isEthersError(error))
    return {
      title: error.code === "ACTION_REJECTED" ? `wallet refused (${error.code})` : `ethers ${error.code}`,
      detail: error.shortMessage,
    };
  if (error instanceof Error) return { title: `unexpected ${error.name}`, detail: error.message };
  return { title: "unexpected failure", detail: String(error) };
}
