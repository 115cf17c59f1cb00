/**
 * The demo's books: the ETH and token balance of every party's wallet and of both channels, read on chain at
 * the end of every step. A step names what must have moved (ETH net of the gas each party paid in the step,
 * read back from the mined blocks by the GasLedger); anything else that moved, or moved by another amount,
 * stops the demo with a DemoError naming the account, the step and the difference.
 */
import type { MockERC20 } from "../../typechain-types/index.js";
import { type GasLedger, type RpcProvider, checkEqual, formatAmount } from "./demo-chain.js";
import {
  ACCOUNTS,
  PARTIES,
  TOKEN_DECIMALS,
  TOKEN_SYMBOL,
  type AccountName,
  type Holdings,
  type PartyName,
  zero,
} from "./demo-plan.js";

/** One account's balances at the start and the end. */
export interface AccountResult {
  name: AccountName;
  address: string;
  start: Holdings;
  end: Holdings;
  /** ETH fees this account paid (parties only). */
  gas: bigint;
  /** end − start (+ gas for ETH): what the demo moved to (+) or from (−) the account. */
  net: Holdings;
  /** What the plan says `net` must be. */
  expected: Holdings;
}

export class Books {
  private start: Map<AccountName, Holdings> | undefined;
  private last = new Map<AccountName, Holdings>();

  constructor(
    private readonly provider: RpcProvider,
    private readonly token: MockERC20,
    private readonly ledger: GasLedger,
    private readonly addresses: Record<AccountName, string>,
  ) {}

  /** Reads every balance: the start of the books. */
  async open(): Promise<void> {
    this.last = await this.balances();
    this.start = new Map(this.last);
  }

  /** The latest balances read of `name`. */
  held(name: AccountName): Holdings {
    return { ...(this.last.get(name) ?? zero()) };
  }

  /**
   * Ends step `step`: reads the blocks mined since the last step into the ledger and every balance, and checks
   * that each account moved by exactly `expected` (ETH net of the gas it paid; an account not named must not move).
   */
  async endStep(step: number, expected: Partial<Record<AccountName, Holdings>>): Promise<void> {
    const entries = await this.ledger.scan(step);
    const now = await this.balances();
    for (const name of ACCOUNTS) {
      const before = this.last.get(name) ?? zero();
      const after = now.get(name) ?? zero();
      const gas = entries.filter((e) => e.payer === name).reduce((sum, e) => sum + e.fee, 0n);
      const want = expected[name] ?? zero();
      checkEqual(
        after.eth - before.eth + gas,
        want.eth,
        `${name}'s ETH change in step ${step} (net of ${gas} wei gas)`,
        (v) => `${formatAmount(v, 18)} ETH`,
      );
      checkEqual(
        after.token - before.token,
        want.token,
        `${name}'s ${TOKEN_SYMBOL} change in step ${step}`,
        (v) => `${formatAmount(v, TOKEN_DECIMALS)} ${TOKEN_SYMBOL}`,
      );
    }
    this.last = now;
  }

  /** Start, end, gas and net of every account against `expected`; throws a DemoError on any difference. */
  results(expected: Record<AccountName, Holdings>): { accounts: AccountResult[]; totals: Holdings } {
    const start = this.start;
    if (start === undefined) throw new Error("the books were never opened");
    const accounts = ACCOUNTS.map((name): AccountResult => {
      const s = start.get(name) ?? zero();
      const e = this.last.get(name) ?? zero();
      const gas = PARTIES.includes(name as PartyName) ? this.ledger.feesOf(name) : 0n;
      return {
        name,
        address: this.addresses[name],
        start: s,
        end: e,
        gas,
        net: { eth: e.eth - s.eth + gas, token: e.token - s.token },
        expected: expected[name],
      };
    });
    for (const a of accounts) {
      checkEqual(a.net.eth, a.expected.eth, `${a.name}'s ETH change net of gas`, (v) => `${formatAmount(v, 18)} ETH`);
      checkEqual(
        a.net.token,
        a.expected.token,
        `${a.name}'s ${TOKEN_SYMBOL} change`,
        (v) => `${formatAmount(v, TOKEN_DECIMALS)} ${TOKEN_SYMBOL}`,
      );
    }
    const totals = accounts.reduce((t, a) => ({ eth: t.eth + a.net.eth, token: t.token + a.net.token }), zero());
    checkEqual(totals.eth, 0n, "ETH in minus ETH out over all accounts (net of gas)");
    checkEqual(totals.token, 0n, `${TOKEN_SYMBOL} in minus ${TOKEN_SYMBOL} out over all accounts`);
    return { accounts, totals };
  }

  private async balances(): Promise<Map<AccountName, Holdings>> {
    const out = new Map<AccountName, Holdings>();
    for (const name of ACCOUNTS) {
      const address = this.addresses[name];
      out.set(name, { eth: await this.provider.getBalance(address), token: await this.token.balanceOf(address) });
    }
    return out;
  }
}
