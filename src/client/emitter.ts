/** A small typed event emitter (browser-safe: no node:events). A handler that throws never stops the others. */
export class Emitter<Events extends object> {
  private readonly handlers = new Map<keyof Events, Set<(event: never) => void>>();

  on<E extends keyof Events>(event: E, handler: (event: Events[E]) => void): () => void {
    let set = this.handlers.get(event);
    if (set === undefined) this.handlers.set(event, (set = new Set()));
    set.add(handler as (event: never) => void);
    return () => {
      set.delete(handler as (event: never) => void);
    };
  }

  emit<E extends keyof Events>(event: E, payload: Events[E]): void {
    for (const h of this.handlers.get(event) ?? []) {
      try {
        (h as (event: Events[E]) => void)(payload);
      } catch {
        // A user's handler failing is its own business; the client carries on.
      }
    }
  }

  /** Resolves with the first `event` for which `match` holds. */
  next<E extends keyof Events>(event: E, match: (payload: Events[E]) => boolean = () => true): Promise<Events[E]> {
    return new Promise((resolve) => {
      const off = this.on(event, (payload) => {
        if (!match(payload)) return;
        off();
        resolve(payload);
      });
    });
  }
}
