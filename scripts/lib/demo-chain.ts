/**
 * Chain plumbing of the demo, independent of Hardhat: any ethers v6 provider that speaks JSON-RPC (Hardhat's
 * embedded network through hardhat-ethers, `hardhat node`, anvil).
 *
 * - `GasLedger`: every transaction mined while the life cycle runs, read back from the blocks (whoever sent
 *   it: the demo, a watcher, a router), with its gas and fee, attributed to a named account and a step.
 * - `DemoError`: an inconsistency the demo found (a balance that does not add up, a refute that did not
 *   happen); the demo exits non-zero with its message.
 */
import {
  type Interface,
  type Provider,
  type TransactionReceipt,
  type TransactionResponse,
  formatUnits,
  getAddress,
} from "ethers";

/** A provider that also takes raw JSON-RPC calls (hardhat-ethers' provider and ethers' JsonRpcProvider both do). */
export interface RpcProvider extends Provider {
  send(method: string, params: unknown[]): Promise<unknown>;
}

/** Something in the demo did not add up: the message says what. */
export class DemoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DemoError";
  }
}

/** Throws a DemoError with `message` unless `condition` holds. */
export function check(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new DemoError(typeof message === "string" ? message : message());
}

/** Throws a DemoError unless `actual === expected`. */
export function checkEqual(
  actual: bigint,
  expected: bigint,
  what: string,
  format: (v: bigint) => string = String,
): void {
  if (actual !== expected) {
    throw new DemoError(
      `${what}: expected ${format(expected)}, found ${format(actual)} (off by ${format(actual - expected)})`,
    );
  }
}

/** One mined transaction of the life cycle. */
export interface GasEntry {
  /** The step it belongs to (the progress line's number). */
  step: number;
  /** What it did: the function called (decoded against the known ABIs), or "ETH transfer". */
  operation: string;
  /** The named account that sent and paid for it. */
  payer: string;
  gasUsed: bigint;
  /** gasUsed × effective gas price, in wei. */
  fee: bigint;
  hash: string;
  /** The transaction's target (null for a contract creation). */
  to: string | null;
}

/**
 * The gas of every transaction mined since the ledger started, read from the chain block by block, so that a
 * transaction sent by any module (a watcher, a router) is counted too. Accounts are named with `name`; contracts
 * whose calls are decoded with `decodeWith`.
 */
export class GasLedger {
  readonly entries: GasEntry[] = [];
  private readonly names = new Map<string, string>();
  private readonly labels = new Map<string, string>();
  private readonly decoders: Interface[] = [];
  private nextBlock = 0;

  constructor(private readonly provider: RpcProvider) {}

  /** Starts counting from the block after the current one, or from block `from`. */
  async start(from?: number): Promise<void> {
    this.nextBlock = from ?? (await this.provider.getBlockNumber()) + 1;
  }

  name(address: string, label: string): void {
    this.names.set(getAddress(address), label);
  }

  decodeWith(iface: Interface): void {
    this.decoders.push(iface);
  }

  /** Gives the transaction `hash` a description instead of its decoded function name. */
  label(hash: string, operation: string): void {
    this.labels.set(hash.toLowerCase(), operation);
  }

  /** Sends nothing; waits for `tx`, checks it succeeded, labels it and returns its receipt. */
  async mined(tx: Promise<TransactionResponse> | TransactionResponse, operation: string): Promise<TransactionReceipt> {
    const response = await tx;
    this.label(response.hash, operation);
    const receipt = await response.wait();
    check(receipt !== null && receipt.status === 1, `${operation} (${response.hash}) failed on chain`);
    return receipt;
  }

  /** Reads every block mined since the last scan and records its transactions under `step`. */
  async scan(step: number): Promise<GasEntry[]> {
    const head = await this.provider.getBlockNumber();
    const found: GasEntry[] = [];
    for (let n = this.nextBlock; n <= head; n++) {
      const block = await this.provider.getBlock(n);
      if (block === null) throw new DemoError(`the node has no block ${n}`);
      for (const hash of block.transactions) {
        const [tx, receipt] = await Promise.all([
          this.provider.getTransaction(hash),
          this.provider.getTransactionReceipt(hash),
        ]);
        if (tx === null || receipt === null) throw new DemoError(`the node lost transaction ${hash}`);
        const from = getAddress(tx.from);
        const entry: GasEntry = {
          step,
          operation: this.labels.get(hash.toLowerCase()) ?? this.describe(tx.data, tx.to),
          payer: this.names.get(from) ?? from,
          gasUsed: receipt.gasUsed,
          fee: receipt.fee,
          hash,
          to: tx.to === null ? null : getAddress(tx.to),
        };
        found.push(entry);
      }
    }
    this.nextBlock = head + 1;
    this.entries.push(...found);
    return found;
  }

  /** What `payer` paid in fees over all entries. */
  feesOf(payer: string): bigint {
    return this.entries.filter((e) => e.payer === payer).reduce((sum, e) => sum + e.fee, 0n);
  }

  private describe(data: string, to: string | null): string {
    if (to === null) return "contract creation";
    if (data === "0x") return `ETH transfer to ${this.names.get(getAddress(to)) ?? to}`;
    for (const iface of this.decoders) {
      const parsed = iface.parseTransaction({ data });
      if (parsed !== null) return parsed.name;
    }
    return `call ${data.slice(0, 10)}`;
  }
}

/** `amount` base units of a `decimals` asset, with every digit (trailing zeros of the fraction dropped). */
export function formatAmount(amount: bigint, decimals: number): string {
  const text = formatUnits(amount < 0n ? -amount : amount, decimals);
  const trimmed = text.endsWith(".0") ? text.slice(0, -2) : text;
  return amount < 0n ? `-${trimmed}` : trimmed;
}

/** Like formatAmount, with an explicit sign. */
export function formatDelta(amount: bigint, decimals: number): string {
  return amount > 0n ? `+${formatAmount(amount, decimals)}` : formatAmount(amount, decimals);
}

/** Polls `ok` every 100 ms until it holds; a DemoError naming `what` after `ms`. */
export async function until(ok: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new DemoError(`timed out after ${ms / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
