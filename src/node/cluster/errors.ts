/** Typed errors of the node's cluster mode (several node processes on one PostgreSQL database). */
import { SwitchyardError } from "../../protocol/errors.js";

/** The cluster's database could not be reached, or a cluster step did not finish in time. */
export class ClusterError extends SwitchyardError {
  constructor(reason: string) {
    super("CLUSTER", `cluster: ${reason}`);
  }
}

/** Another process holds the channel's lock and no process took the client's acknowledgement in time. */
export class ClusterBusyError extends SwitchyardError {
  constructor(
    readonly channel: string,
    waitedMs: number,
  ) {
    super("CHANNEL_BUSY", `channel ${channel} is held by another node process (waited ${waitedMs} ms)`);
  }
}

/** An error another process answered a relayed acknowledgement with (its code kept, so the wire code is the same). */
export class RelayedError extends SwitchyardError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}
