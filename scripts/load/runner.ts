/**
 * Driving payments: one payment (the payee's invoice, then the payer's `pay()`, timed from the call to its
 * completion), the closed loop (every client keeps `concurrency` payments in flight, for a duration or a count)
 * and the open loop (payments started on a fixed schedule, whatever completes). Every payment ends completed or
 * failed with a cause: the typed error's class name (SwitchyardError subclasses name the cause).
 */
import { monitorEventLoopDelay, performance } from "node:perf_hooks";

import { ZeroAddress } from "ethers";

import { NodeOverloadedError } from "../../src/client/errors.js";

import type { LoadClient } from "./clients.js";

/** The smallest and largest amount (wei) of a payment: tiny against the deposits, so no client runs dry. */
const MIN_AMOUNT = 1_000_000_000n;
const SPAN = 999_000_000_000;
/** The largest payment of the run (wei): what the warm-up makes sure every channel's collateral covers. */
export const MAX_AMOUNT = MIN_AMOUNT + BigInt(SPAN);

export interface FailureCount {
  count: number;
  /** The first such error's message. */
  example: string;
}

/** The outcomes of a phase. */
export class Recorder {
  readonly latencies: number[] = [];
  readonly failures = new Map<string, FailureCount>();
  started = 0;
  completed = 0;
  failed = 0;
  /** Refused by the node before it signed anything (NodeOverloadedError: its admission bound): not failures. */
  refused = 0;
  /** The last refusal's back-off hint (ms): a closed loop waits it before its next payment instead of spinning. */
  retryAfterMs = 0;
  /** performance.now() of the last completion (ms). */
  lastDone = 0;

  ok(ms: number): void {
    this.completed++;
    this.latencies.push(ms);
    this.lastDone = performance.now();
  }

  fail(stage: "invoice" | "pay", error: unknown): void {
    this.lastDone = performance.now();
    if (stage === "pay" && error instanceof NodeOverloadedError) {
      this.refused++;
      this.retryAfterMs = error.retryAfterMs;
      return;
    }
    this.failed++;
    const name = error instanceof Error ? (error.name !== "Error" ? error.name : error.constructor.name) : typeof error;
    const cause = stage === "invoice" ? `${name} (invoice)` : name;
    const entry = this.failures.get(cause);
    if (entry !== undefined) entry.count++;
    else
      this.failures.set(cause, {
        count: 1,
        example: error instanceof Error ? error.message.slice(0, 300) : String(error),
      });
  }

  get settled(): number {
    return this.completed + this.failed + this.refused;
  }
}

/** Picks payer/payee pairs and amounts from a seeded random source. */
export class Picker {
  constructor(
    private readonly clients: readonly LoadClient[],
    private readonly random: () => number,
  ) {}

  amount(): bigint {
    return MIN_AMOUNT + BigInt(Math.floor(this.random() * SPAN));
  }

  /** A payee other than `payer`. */
  payeeFor(payer: LoadClient): LoadClient {
    for (;;) {
      const c = this.clients[Math.floor(this.random() * this.clients.length)] as LoadClient;
      if (c !== payer) return c;
    }
  }

  payer(): LoadClient {
    return this.clients[Math.floor(this.random() * this.clients.length)] as LoadClient;
  }
}

/** One payment from `payer` to `payee`: resolves once it completed or failed (recorded either way). */
export async function pay(payer: LoadClient, payee: LoadClient, amount: bigint, recorder: Recorder): Promise<void> {
  recorder.started++;
  let invoice;
  try {
    invoice = await payee.client.invoice({ asset: ZeroAddress, amount });
  } catch (error) {
    recorder.fail("invoice", error);
    return;
  }
  const t0 = performance.now();
  try {
    await payer.client.pay(invoice);
    recorder.ok(performance.now() - t0);
  } catch (error) {
    recorder.fail("pay", error);
  }
}

export interface ClosedLoopResult {
  recorder: Recorder;
  /** Wall-clock ms from the first start to the last completion. */
  elapsedMs: number;
}

/** Every client pays random others, `concurrency` payments in flight each, until `durationMs` or `payments`. */
export async function closedLoop(
  clients: readonly LoadClient[],
  picker: Picker,
  options: { durationMs: number; payments?: number; concurrency: number },
): Promise<ClosedLoopResult> {
  const recorder = new Recorder();
  const t0 = performance.now();
  const end = t0 + options.durationMs;
  const more = (): boolean =>
    options.payments !== undefined ? recorder.started < options.payments : performance.now() < end;
  const loop = async (payer: LoadClient): Promise<void> => {
    while (more()) {
      const refused = recorder.refused;
      await pay(payer, picker.payeeFor(payer), picker.amount(), recorder);
      if (recorder.refused > refused) await new Promise((r) => setTimeout(r, recorder.retryAfterMs));
    }
  };
  await Promise.all(clients.flatMap((c) => Array.from({ length: options.concurrency }, () => loop(c))));
  return { recorder, elapsedMs: recorder.lastDone - t0 };
}

export interface OpenLoopStep {
  offered: number;
  recorder: Recorder;
  /** Completed payments per second, from the first scheduled start to the last completion. */
  achieved: number;
  /** The latest a payment was started after its scheduled time (ms): the generator's own lag. */
  maxStartLagMs: number;
  /** This process's event-loop delay over the step: see `GeneratorDelay`. */
  generatorDelay: GeneratorDelay;
}

/**
 * The load generator's own event-loop delay (ms) over a phase (perf_hooks.monitorEventLoopDelay, sampled every
 * `DELAY_RESOLUTION_MS`): how long a callback that became ready (a node's message, a timer) waited for the 100
 * clients' other work in this one process. A payment's measured latency includes such waits at each of its
 * messages, so a p99 of 20 ms here means part of a payment's tail is the generator's, not the node's.
 */
export interface GeneratorDelay {
  p50: number;
  p99: number;
  max: number;
}

/** The sampling interval of the generator's event-loop delay (ms): fine enough to see a 10 ms stall. */
const DELAY_RESOLUTION_MS = 5;

/** Starts measuring this process's event-loop delay; `stop()` returns it and ends the measurement. */
export function measureGeneratorDelay(): { stop(): GeneratorDelay } {
  const histogram = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
  histogram.enable();
  return {
    stop(): GeneratorDelay {
      histogram.disable();
      // Node.js records the time between two samples (ns), the interval included (an idle loop reads ~5.1 ms):
      // the delay is what exceeds the interval. 0 when never sampled.
      const ms = (ns: number): number => (Number.isFinite(ns) ? Math.max(0, ns / 1e6 - DELAY_RESOLUTION_MS) : 0);
      return { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) };
    },
  };
}

/**
 * `rate` payments/s for `seconds`, started on schedule whatever completes; resolves when all have settled.
 * `recorder` may be shared across calls (the soak samples it while it runs).
 */
export async function openLoopStep(
  picker: Picker,
  rate: number,
  seconds: number,
  recorder = new Recorder(),
): Promise<OpenLoopStep> {
  const total = Math.round(rate * seconds);
  const delay = measureGeneratorDelay();
  const t0 = performance.now();
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const settle = (): void => {
    inFlight--;
    if (inFlight === 0) drained?.();
  };
  let maxLag = 0;
  let i = 0;
  while (i < total) {
    const now = performance.now();
    while (i < total && t0 + (i * 1000) / rate <= now) {
      maxLag = Math.max(maxLag, now - (t0 + (i * 1000) / rate));
      const payer = picker.payer();
      inFlight++;
      void pay(payer, picker.payeeFor(payer), picker.amount(), recorder).finally(settle);
      i++;
    }
    const next = t0 + (i * 1000) / rate - performance.now();
    await new Promise((r) => setTimeout(r, Math.max(1, Math.min(next, 5))));
  }
  if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
  const elapsed = (recorder.lastDone - t0) / 1000;
  return {
    offered: rate,
    recorder,
    achieved: elapsed > 0 ? recorder.completed / elapsed : 0,
    maxStartLagMs: maxLag,
    generatorDelay: delay.stop(),
  };
}
