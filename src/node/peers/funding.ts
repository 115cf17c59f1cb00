/**
 * The peer manager's funding runs (src/node/peers/manager.ts): the periodic pass over every peer channel and the
 * top-up of a dialed peer's channel right after its session opens. A drain pauses them (`pause`): no new run
 * starts, and it waits for every run in flight, so the node never stops between a top-up's proposal (or its
 * chain transaction's record) and its acknowledgement. Before, the top-up on connect was started unawaited
 * (`void fundDialed(d)`) and a drain waited for the periodic pass only.
 */
export class FundingRuns {
  private paused = false;
  private pass: Promise<void> | undefined;
  private readonly others = new Set<Promise<void>>();

  constructor(private readonly onError: (error: unknown) => void) {}

  /** Starts the periodic pass unless one is still running (or funding is paused). */
  passOnce(run: () => Promise<void>): void {
    if (this.paused || this.pass !== undefined) return;
    this.pass = run()
      .catch(this.onError)
      .finally(() => (this.pass = undefined));
  }

  /** Starts a run beside the pass (a peer just connected), unless funding is paused. */
  start(run: () => Promise<void>): void {
    if (this.paused) return;
    const running: Promise<void> = run()
      .catch(this.onError)
      .finally(() => this.others.delete(running));
    this.others.add(running);
  }

  /** Starts no more runs and resolves once every run in flight ended. */
  async pause(): Promise<void> {
    this.paused = true;
    await Promise.allSettled([this.pass, ...this.others]);
  }

  /** Runs in flight now (the pass counted). */
  get inFlight(): number {
    return this.others.size + (this.pass === undefined ? 0 : 1);
  }
}
