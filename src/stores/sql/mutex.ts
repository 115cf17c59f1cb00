/** A promise-chain mutex around a SQL store's one session (src/stores/sql/store.ts) (reads of a single-session driver wait for the group commit in progress). */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const ready = this.tail.then(() => {
      let done = false;
      return () => {
        if (!done) {
          done = true;
          release();
        }
      };
    });
    this.tail = this.tail.then(() => next);
    return ready;
  }
}
