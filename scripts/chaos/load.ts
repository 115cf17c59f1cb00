/**
 * The steady load of a chaos run: for every client, `concurrency` loops that each ask a random other client for
 * an invoice and pay it through the node, one after the other, until stopped. Every attempt is recorded with
 * what `pay()` answered (the end checks decide from the stores what really happened).
 */
import type { Attempt } from "./checks.js";
import { ClientGoneError, ClientRequestError, type ClientProcess } from "./clients.js";
import type { WireInvoice } from "./ipc.js";
import type { Rng } from "./rng.js";

/** The node's fee (the run's config: flat 1 wei + 100 ppm, rounded up), as the client computes it. */
export function feeOf(amount: bigint): bigint {
  return 1n + (amount * 100n + 999_999n) / 1_000_000n;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Load {
  readonly attempts: Attempt[] = [];
  /** Invoices the payee could not make (it was down or restarting). */
  invoiceFailures = 0;
  private stopping = false;
  private workers: Array<Promise<void>> = [];
  /** Pay requests in flight per client name (a client kill is "mid-payment" when its count is above 0). */
  private readonly paying = new Map<string, number>();

  constructor(
    private readonly clients: readonly ClientProcess[],
    private readonly rng: Rng,
    private readonly concurrency: number,
    private readonly payTimeoutMs: number,
  ) {}

  start(): void {
    for (let i = 0; i < this.clients.length; i++) for (let k = 0; k < this.concurrency; k++) this.workers.push(this.worker(i));
  }

  /** Whether `client` has a pay() in flight now. */
  inFlight(client: ClientProcess): boolean {
    return (this.paying.get(client.config.name) ?? 0) > 0;
  }

  /** Stops starting payments and waits for those in flight to answer. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.workers);
  }

  private async worker(i: number): Promise<void> {
    const payer = this.clients[i] as ClientProcess;
    while (!this.stopping) {
      let j = this.rng.int(0, this.clients.length - 2);
      if (j >= i) j++;
      const payee = this.clients[j] as ClientProcess;
      if (!payer.running || !payee.running) {
        await sleep(200);
        continue;
      }
      const amount = BigInt(this.rng.int(1, 1_000)) * 10n ** 12n; // 1e-6 … 1e-3 ETH
      let invoice: WireInvoice;
      try {
        invoice = await payee.request<WireInvoice>({ op: "invoice", amount: amount.toString() });
      } catch {
        this.invoiceFailures++;
        await sleep(200);
        continue;
      }
      const attempt: Attempt = { lockHash: invoice.lockHash, payer: payer.address, payee: payee.address, amount, fee: feeOf(amount), answer: "pending" };
      this.attempts.push(attempt);
      const name = payer.config.name;
      this.paying.set(name, (this.paying.get(name) ?? 0) + 1);
      try {
        await payer.request({ op: "pay", invoice, timeoutMs: this.payTimeoutMs });
        attempt.answer = "completed";
      } catch (error) {
        attempt.answer =
          error instanceof ClientGoneError ? "payer killed" : error instanceof ClientRequestError ? (error.code ?? error.errorName) : (error as Error).name;
      } finally {
        this.paying.set(name, (this.paying.get(name) ?? 1) - 1);
      }
      if (attempt.answer !== "completed") await sleep(200);
    }
  }
}
