/**
 * What `npm run demo` moves, fixed in advance so that every balance it checks is known: the two users (Maya
 * and Theo, both the protocol's `bob` of their channel with the node, which is `alice`), their deposits, the
 * payments, the withdraw, and the node's collateral policy and fees.
 */
import { parseEther, parseUnits } from "ethers";

import { formatAmount } from "./demo-chain.js";

export const TOKEN_NAME = "Demo Dollar";
export const TOKEN_SYMBOL = "DUSD" as const;
export const TOKEN_DECIMALS = 6;
const dusd = (amount: string): bigint => parseUnits(amount, TOKEN_DECIMALS);

export type UserName = "Maya" | "Theo";
export type PartyName = UserName | "Node";
export type ChannelName = "Maya–Node" | "Node–Theo";
export type AccountName = PartyName | ChannelName;

export const USERS: readonly UserName[] = ["Maya", "Theo"];
export const PARTIES: readonly PartyName[] = ["Maya", "Node", "Theo"];
export const CHANNELS: readonly ChannelName[] = ["Maya–Node", "Node–Theo"];
export const ACCOUNTS: readonly AccountName[] = [...PARTIES, ...CHANNELS];
export const CHANNEL_OF: Record<UserName, ChannelName> = { Maya: "Maya–Node", Theo: "Node–Theo" };

export type AssetSymbol = "ETH" | typeof TOKEN_SYMBOL;

/** ETH and token amounts. */
export interface Holdings {
  eth: bigint;
  token: bigint;
}

export const zero = (): Holdings => ({ eth: 0n, token: 0n });

/** A payment routed Maya → Node → Theo: Theo receives `amount`, Maya pays `amount` + the node's fee. */
export interface PlannedPayment {
  asset: AssetSymbol;
  amount: bigint;
}

export interface Plan {
  /** What the stack gives each user's wallet before the start. */
  wallet: Holdings;
  /** What the node's wallet gets (its gas and collateral). */
  nodeWallet: Holdings;
  /** What each user deposits into its channel. */
  deposits: Record<UserName, Holdings>;
  /** Payments routed and completed off chain, Maya → Theo. */
  payments: readonly PlannedPayment[];
  /** Maya's direct payment to the node: one plain transfer update, no lock, no fee. */
  payNode: PlannedPayment;
  /** Theo's cooperative withdraw of the token to his wallet. */
  theoWithdraw: bigint;
  /** The node's fees per routed payment: flat, by asset (no parts per million, so every figure is exact). */
  fees: Record<AssetSymbol, bigint>;
  /** The node's collateral policy: min, target and max of its balance in a channel, by asset. */
  collateral: Record<AssetSymbol, { min: bigint; target: bigint; max: bigint }>;
  /** The dispute timeout of the node's channels (seconds). */
  channelTimeout: bigint;
}

export const PLAN: Plan = {
  wallet: { eth: parseEther("10"), token: dusd("1500") },
  nodeWallet: { eth: parseEther("50"), token: dusd("5000") },
  deposits: {
    Maya: { eth: parseEther("5"), token: dusd("1000") },
    Theo: { eth: parseEther("1"), token: dusd("100") },
  },
  payments: [
    { asset: "ETH", amount: parseEther("0.25") },
    { asset: TOKEN_SYMBOL, amount: dusd("40") },
    { asset: "ETH", amount: parseEther("0.4") },
    { asset: TOKEN_SYMBOL, amount: dusd("12.5") },
    { asset: "ETH", amount: parseEther("0.1") },
    { asset: TOKEN_SYMBOL, amount: dusd("75") },
  ],
  payNode: { asset: "ETH", amount: parseEther("0.02") },
  theoWithdraw: dusd("60"),
  fees: { ETH: parseEther("0.0005"), [TOKEN_SYMBOL]: dusd("0.05") },
  collateral: {
    ETH: { min: parseEther("0.5"), target: parseEther("2"), max: parseEther("10") },
    [TOKEN_SYMBOL]: { min: dusd("50"), target: dusd("500"), max: dusd("2000") },
  },
  channelTimeout: 3_600n,
};

/** Σ of the planned routed payments of `asset` (with the node's fee on each when `withFee`). */
export function routedTotal(asset: AssetSymbol, withFee: boolean): bigint {
  return PLAN.payments
    .filter((p) => p.asset === asset)
    .reduce((sum, p) => sum + p.amount + (withFee ? PLAN.fees[asset] : 0n), 0n);
}

/** "0.25 ETH", "40 DUSD". */
export function amountText(symbol: AssetSymbol, amount: bigint): string {
  return symbol === "ETH"
    ? `${formatAmount(amount, 18)} ETH`
    : `${formatAmount(amount, TOKEN_DECIMALS)} ${TOKEN_SYMBOL}`;
}

/** "1 ETH + 100 DUSD". */
export function holdingsText(h: Holdings): string {
  return `${amountText("ETH", h.eth)} + ${amountText(TOKEN_SYMBOL, h.token)}`;
}
