/**
 * A peer's intent the node signed first and whose acknowledgement it waits for (the sequenced flow of
 * src/routing/node.ts): its nonce, what its acknowledgement commits and does, and a gate other exchanges with
 * the peer wait at (at most the peer timeout) so the node never signs another content at that nonce.
 */
import { PeerError } from "../protocol/errors.js";

export class IntentGate<E> {
  private readonly done: Promise<void>;
  private release: () => void = () => undefined;

  constructor(
    readonly nonce: bigint,
    readonly effects: E,
  ) {
    this.done = new Promise<void>((resolve) => (this.release = resolve));
  }

  /** The intent was acknowledged (and stored); returns undefined, so `gate = gate.settle()` clears a holder's field. */
  settle(): undefined {
    this.release();
    return undefined;
  }

  /** Resolves once acknowledged; throws PeerError after `timeoutMs` (the intent stays open: a later ack still counts). */
  async wait(peer: string, timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
    const outcome = await Promise.race([this.done.then(() => "done" as const), timeout]);
    clearTimeout(timer);
    if (outcome === "timeout")
      throw new PeerError(peer, `intent ${this.nonce} not acknowledged within ${timeoutMs} ms`);
  }
}

/** Records the last failure of a payment attempt (retried by tick()). */
export function noteError(p: { error?: string }, error: unknown): void {
  p.error = error instanceof Error ? error.message : String(error);
}

/**
 * The sequencing peer (alice) refused the node's intent before signing it: nothing was signed by either side, so
 * whatever the node stored in advance of it (a forward marked "forwarded") can be undone.
 */
export class IntentRefusedError extends PeerError {
  constructor(
    peer: string,
    readonly reason: string,
  ) {
    super(peer, `refused the node's intent: ${reason}`);
  }
}
