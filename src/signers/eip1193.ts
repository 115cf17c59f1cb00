/**
 * `Eip1193Signer`: a ChannelSigner over a wallet's EIP-1193 provider (an injected `window.ethereum`, a
 * WalletConnect provider, a node's JSON-RPC accounts), through `eth_signTypedData_v4`, so the user's wallet
 * shows the readable typed data (the channel's domain, the nonce, every asset's balances) instead of a hash.
 *
 * Each signature is checked before it is returned, so nothing a wallet gets wrong reaches a counter-party:
 * - the typed data sent to the wallet must hash to the digest the SDK signs (else the wallet would show one
 *   thing and sign another): the same bytes as the SDK's local signers sign (test/ts/signers/eip1193.test.ts);
 * - the wallet must be on the channel's chain (wallets refuse, or worse, sign for the chain they are on);
 * - the answer must be a 65-byte signature (a 64-byte EIP-2098 one and v 0/1 are normalised to 65 bytes,
 *   v 27/28: the same signature, in the form the contracts take) by this account, canonical (low s), as
 *   OpenZeppelin's ECDSA accepts it; an ERC-1271 account (smart wallet) is checked on chain when `chain` is
 *   given. Anything else is SignatureError; a refusal or a wallet failure is WalletError with its cause.
 */
import { Signature, getBytes, hexlify, isHexString } from "ethers";

import { checksum } from "../protocol/address.js";
import { SignatureError, SwitchyardError } from "../protocol/errors.js";
import {
  isValidErc1271,
  requestDigest,
  tryRecover,
  typedDataJson,
  type CallProvider,
  type ChannelSigner,
  type Eip1193Provider,
  type SignRequest,
} from "../protocol/signing.js";

/** Why a wallet did not sign. */
export type WalletFailure =
  /** The user refused (EIP-1193 code 4001). */
  | "rejected"
  /** The site or the account is not authorised (4100), or the account is not in the wallet. */
  | "unauthorized"
  /** The wallet does not support the method (4200, JSON-RPC -32601, EIP-1474 -32004). */
  | "unsupported"
  /** The wallet is disconnected from every chain, or from this one (4900, 4901). */
  | "disconnected"
  /** The wallet is on another chain than the channel's. */
  | "wrong-chain"
  /** Any other error the wallet reported. */
  | "failed";

/** A wallet refused or failed a request; `failure` says why, `rpcCode` is the wallet's error code if any. */
export class WalletError extends SwitchyardError {
  constructor(
    readonly failure: WalletFailure,
    readonly method: string,
    reason: string,
    readonly rpcCode?: number,
  ) {
    super("WALLET", `wallet ${method}: ${reason}`);
  }
}

export interface Eip1193SignerOptions {
  /** The account to sign with (default: the wallet's first account). */
  account?: string;
  /**
   * Ask the wallet for access with `eth_requestAccounts` (a prompt; a provider without it, such as a node's
   * JSON-RPC accounts, is asked `eth_accounts` instead); false: only `eth_accounts` (default true).
   */
  requestAccess?: boolean;
  /** Check before each signature that the wallet is on the domain's chain (default true). */
  checkChain?: boolean;
  /** A chain connection: accepts an ERC-1271 account's signatures that its contract validates. */
  chain?: CallProvider;
}

const FAILURES: Record<number, WalletFailure> = {
  4001: "rejected",
  4100: "unauthorized",
  4200: "unsupported",
  4900: "disconnected",
  4901: "disconnected",
  [-32601]: "unsupported",
  [-32004]: "unsupported",
};

/** Calls `method` on `provider`, turning whatever it throws into a WalletError. */
async function call(provider: Eip1193Provider, method: string, params?: readonly unknown[]): Promise<unknown> {
  try {
    return await provider.request(params === undefined ? { method } : { method, params });
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown; error?: { code?: unknown } } | null;
    const code = typeof e?.code === "number" ? e.code : typeof e?.error?.code === "number" ? e.error.code : undefined;
    const message = typeof e?.message === "string" ? e.message : String(error);
    throw new WalletError((code === undefined ? undefined : FAILURES[code]) ?? "failed", method, message, code);
  }
}

/**
 * The 65-byte form (r, s, v 27/28) of a wallet's answer: a 65-byte signature with v 0/1 gets v 27/28, a
 * 64-byte EIP-2098 one is expanded. Throws SignatureError for anything that is not a signature.
 */
export function normalizeWalletSignature(account: string, answer: unknown): string {
  if (typeof answer !== "string" || !isHexString(answer))
    throw new SignatureError(account, `the wallet returned ${describe(answer)} instead of a signature`);
  const bytes = getBytes(answer);
  if (bytes.length === 64) {
    try {
      return Signature.from(answer).serialized;
    } catch {
      throw new SignatureError(account, "the wallet returned a malformed 64-byte signature");
    }
  }
  if (bytes.length !== 65)
    throw new SignatureError(account, `the wallet returned ${bytes.length} bytes, not a 65-byte signature`);
  const v = bytes[64] as number;
  if (v === 0 || v === 1) {
    const fixed = new Uint8Array(bytes);
    fixed[64] = v + 27;
    return hexlify(fixed);
  }
  return hexlify(bytes);
}

function describe(value: unknown): string {
  if (typeof value === "string") return value.length > 20 ? `"${value.slice(0, 20)}…"` : `"${value}"`;
  return value === null ? "null" : typeof value;
}

/** A ChannelSigner over an EIP-1193 wallet: `await Eip1193Signer.connect(window.ethereum)`. */
export class Eip1193Signer implements ChannelSigner {
  private constructor(
    private readonly provider: Eip1193Provider,
    readonly address: string,
    private readonly options: Eip1193SignerOptions,
  ) {}

  /**
   * Connects to the wallet: asks for its accounts (a prompt unless `requestAccess: false`) and picks
   * `account` (WalletError "unauthorized" when the wallet does not have it) or the first one.
   */
  static async connect(provider: Eip1193Provider, options: Eip1193SignerOptions = {}): Promise<Eip1193Signer> {
    let method = options.requestAccess === false ? "eth_accounts" : "eth_requestAccounts";
    const answer = await call(provider, method).catch((error: unknown) => {
      if (!(error instanceof WalletError && error.failure === "unsupported" && method === "eth_requestAccounts"))
        throw error;
      method = "eth_accounts";
      return call(provider, method);
    });
    if (!Array.isArray(answer) || !answer.every((a) => typeof a === "string" && isHexString(a, 20)))
      throw new WalletError("failed", method, `the wallet answered ${describe(answer)} instead of a list of accounts`);
    const accounts = (answer as string[]).map((a) => checksum(a));
    const wanted = options.account === undefined ? accounts[0] : checksum(options.account);
    if (wanted === undefined) throw new WalletError("unauthorized", method, "the wallet shares no account");
    if (!accounts.includes(wanted))
      throw new WalletError("unauthorized", method, `account ${wanted} is not among the wallet's accounts`);
    return new Eip1193Signer(provider, wanted, options);
  }

  /** @inheritdoc */
  async sign(request: SignRequest): Promise<string> {
    const digest = request.digest.toLowerCase();
    if (requestDigest(request).toLowerCase() !== digest)
      throw new SignatureError(
        this.address,
        "the typed data does not hash to the digest being signed: refusing to ask the wallet",
      );
    if (this.options.checkChain !== false && request.domain.chainId != null)
      await this.checkChain(BigInt(request.domain.chainId));
    const answer = await call(this.provider, "eth_signTypedData_v4", [
      this.address.toLowerCase(),
      typedDataJson(request),
    ]);
    if (this.options.chain !== undefined && typeof answer === "string") {
      const recovered = tryRecover(digest, answer);
      if (
        !("signer" in recovered && recovered.signer === this.address) &&
        (await isValidErc1271(this.options.chain, this.address, digest, answer))
      )
        return answer; // a smart account's signature, as its contract validates it
    }
    const signature = normalizeWalletSignature(this.address, answer);
    const recovered = tryRecover(digest, signature);
    if ("error" in recovered)
      throw new SignatureError(this.address, `the wallet's signature is invalid: ${recovered.error}`);
    if (recovered.signer !== this.address)
      throw new SignatureError(
        this.address,
        `the wallet signed with another key: the signature recovers to ${recovered.signer}`,
      );
    return signature;
  }

  private async checkChain(expected: bigint): Promise<void> {
    const answer = await call(this.provider, "eth_chainId");
    let current: bigint;
    try {
      current = BigInt(answer as string);
    } catch {
      throw new WalletError("failed", "eth_chainId", `the wallet answered ${describe(answer)} instead of a chain id`);
    }
    if (current !== expected)
      throw new WalletError(
        "wrong-chain",
        "eth_signTypedData_v4",
        `the wallet is on chain ${current}, the channel is on chain ${expected}: switch the wallet to chain ${expected}`,
      );
  }
}
