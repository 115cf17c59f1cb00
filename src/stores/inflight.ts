/**
 * A shared store's units in flight per channel (engine.ts): while this writer has a unit queued or being
 * committed for a channel, its cached slot is ahead of the row and the unit's fold needs it, so an `evict` then
 * waits until those units settle, and a `load` meanwhile waits for that evict. (A unit may touch a channel whose
 * lock its writer does not hold: the preimage a payee's claim records on the upstream channel. The process that
 * holds the upstream channel's lock then reloads it and must read the row, not that stale cached copy.)
 */
export class InFlightUnits {
  private readonly counts = new Map<string, number>();
  private readonly deferred = new Map<string, { settled: Promise<void>; resolve: () => void }>();

  constructor(private readonly drop: (channel: string) => void) {}

  /** Counts a unit that touches `channels`; returns what to call once it settled (committed or refused). */
  begin(channels: readonly string[]): () => void {
    for (const c of channels) this.counts.set(c, (this.counts.get(c) ?? 0) + 1);
    return () => {
      for (const c of channels) {
        const n = this.counts.get(c) ?? 1;
        if (n > 1) {
          this.counts.set(c, n - 1);
          continue;
        }
        this.counts.delete(c);
        const later = this.deferred.get(c);
        if (later === undefined) continue;
        this.deferred.delete(c);
        this.drop(c);
        later.resolve();
      }
    };
  }

  /** Drops `channel`'s cached slot now, or once this writer's units for it settled. */
  evict(channel: string): void {
    if (!this.counts.has(channel)) return this.drop(channel);
    if (this.deferred.has(channel)) return;
    let resolve!: () => void;
    const settled = new Promise<void>((r) => (resolve = r));
    this.deferred.set(channel, { settled, resolve });
  }

  /** Resolves once a deferred evict of `channel` ran (undefined: none waits). */
  settled(channel: string): Promise<void> | undefined {
    return this.deferred.get(channel)?.settled;
  }
}
