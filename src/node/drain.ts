/**
 * What a drain waits for before it closes the sockets (src/node/service.ts `drain`): the node's proposals to the
 * clients still connected answered (their acknowledgements are still taken while draining, src/node/connection.ts),
 * so both sides of each channel keep the same latest state. The channel is read directly: with routing on, an
 * acknowledgement completes the channel through the routing Node, not through the channel's sequencer, whose
 * `answered()` would then wait for the whole drain timeout.
 */
import type { Channel } from "../channel/channel.js";

/** Resolves once none of `channels` holds an unanswered proposal (checked every `everyMs`), or once `over()` holds. */
export async function untilAnswered(channels: readonly Channel[], over: () => boolean, everyMs = 10): Promise<void> {
  for (const channel of channels) {
    for (;;) {
      if (channel.outdated) await channel.upToDate(); // a commit of unknown outcome: the pending the store holds
      if (channel.pending === undefined || over()) break;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
}
