/**
 * The dialing node's side of a node-to-node channel (it is `bob`, the other node sequences): the node's own
 * updates (a forwarded lock with its onward route, the claim or refund of an upstream lock, a deposit reconcile)
 * run as intents over the open session, the way a client's do (docs/PROTOCOL.md "Sequencing"), with the
 * routing Node's payment change stored in the same unit as the co-signed update.
 */
import type { Acknowledgement, Channel, Proposal } from "../../channel/channel.js";
import { accept } from "../../channel/sequencing.js";
import { PeerError } from "../../protocol/errors.js";
import type { UpdateDetails } from "../../protocol/types.js";
import { IntentRefusedError, type PeerLink, type RouteInstruction } from "../../routing/node.js";
import type { SwitchyardStore, WriteUnit } from "../../stores/store.js";
import { RemoteError } from "../../wire/codes.js";
import type { ClientSession } from "../../wire/session.js";

export class SessionLink implements PeerLink {
  private session: ClientSession | undefined;

  constructor(
    private readonly peer: string,
    private readonly channel: Channel,
    private readonly store: SwitchyardStore,
  ) {}

  /** The session the updates go over now (undefined: the peer is not connected). */
  attach(session: ClientSession | undefined): void {
    this.session = session;
  }

  get connected(): boolean {
    return this.session !== undefined;
  }

  /** The routing Node signs nothing for the peer while it is not connected (a retry may take another route). */
  reachable(): boolean {
    return this.connected;
  }

  /** Never called: the sequencer (the other node) signs first, so this node never proposes a signed update. */
  receive(_proposal: Proposal, _route?: RouteInstruction): Promise<Acknowledgement> {
    return Promise.reject(new PeerError(this.peer, "this node is bob in the channel: its updates go as intents"));
  }

  /**
   * Stores the intent in the outbox first (a proposal for it re-delivered after a lost answer or a restart is
   * still recognised by the next session), sends it, accepts alice's proposal only if it is exactly the intent
   * (stored with `also`), then acknowledges. A refusal of the intent is IntentRefusedError; a lost answer to the
   * acknowledgement is not an error (the update is co-signed here; alice re-delivers and gets the same ack).
   */
  async sequenced(details: UpdateDetails, route: RouteInstruction | undefined, also: WriteUnit | undefined): Promise<void> {
    const session = this.session;
    // Nothing was sent or stored for it: a refusal (the caller may undo what it stored in advance, or retry elsewhere).
    if (session === undefined) throw new IntentRefusedError(this.peer, "not connected (the node dials it again with backoff)");
    const id = `intent:${this.channel.address}:${globalThis.crypto.randomUUID()}`;
    await this.store.write({
      outbox: [{ id, recipient: this.peer, channel: this.channel.address, body: details, createdAt: Date.now() }],
    });
    let proposal: Proposal;
    try {
      proposal = await session.wire.request("channel.propose", {
        details,
        ...(route !== undefined ? { route } : {}),
      });
    } catch (error) {
      if (error instanceof RemoteError) {
        await this.store.write({ delivered: [id] });
        throw new IntentRefusedError(this.peer, `${error.code}: ${error.message}`);
      }
      throw error; // a transport failure: alice may hold a signed proposal for it (kept in the outbox)
    }
    const ack = await accept(this.channel, proposal, details, also);
    await this.store.write({ delivered: [id] });
    try {
      await session.wire.request("channel.acknowledge", { ack });
    } catch (error) {
      if (error instanceof RemoteError && error.code !== "NONCE") throw error;
    }
  }
}
