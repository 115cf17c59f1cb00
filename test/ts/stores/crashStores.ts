/**
 * Shared by the database crash test (crash.test.ts) and its child process (crashChild.ts), not a test: how a
 * party's store is opened on each backend, the channels the child runs, and their fixtures.
 */
import { getAddress, toBeHex } from "ethers";

import { Channel, type ChannelConfig, type Proposal } from "../../../src/channel/channel.js";
import { NonceError, StoreLockedError } from "../../../src/protocol/errors.js";
import { encodeHashlockResolution } from "../../../src/protocol/resolvers.js";
import { contentHash, payloadDigests } from "../../../src/protocol/signing.js";
import { payloadsOf } from "../../../src/protocol/stateMachine.js";
import { transferId, type Transfer } from "../../../src/protocol/transfers.js";
import type { Party, UpdateDetails } from "../../../src/protocol/types.js";
import type { CommitPointHook, SwitchyardStore } from "../../../src/stores/store.js";
import { CHAIN_ID, CHANNEL, SETUP, config, hashlockTransfer, preimageOf } from "../sdk/helpers.js";

/** Where one party's store lives. */
export type StoreLocation = { backend: "sqlite"; path: string } | { backend: "postgres"; url: string; schema: string };

/** Opens a party's store (the child with its crash hook, the parent without). */
export async function openStore(location: StoreLocation, onCommitPoint?: CommitPointHook): Promise<SwitchyardStore> {
  if (location.backend === "sqlite") {
    const { SqliteStore } = await import("../../../src/stores/sqlite/index.js");
    return SqliteStore.open(location.path, onCommitPoint === undefined ? {} : { onCommitPoint });
  }
  const { PostgresStore } = await import("../../../src/stores/postgres/index.js");
  const open = () =>
    PostgresStore.open({
      url: location.url,
      schema: location.schema,
      ...(onCommitPoint === undefined ? {} : { onCommitPoint }),
    });
  // The server releases a SIGKILLed child's advisory lock only when that child's backend exits, which it does
  // once it notices the closed socket: on a loaded machine that can take a moment after the kill. The parent
  // waits for it (bounded: a lock still held after 10 s fails the campaign, as a second live writer would).
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await open();
    } catch (error) {
      if (!(error instanceof StoreLockedError) || onCommitPoint !== undefined || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** The address of test channel `index` (0 is helpers' CHANNEL). */
export function channelAddress(index: number): string {
  return getAddress(toBeHex(BigInt(CHANNEL) + BigInt(index), 20));
}

/** A party's Channel config on channel `index`. */
export function channelConfig(index: number, me: Party, store: SwitchyardStore): ChannelConfig {
  const base = config(me, store);
  return { ...base, setup: { ...SETUP, channel: channelAddress(index) } };
}

/** Hashlock transfer number `i` on channel `index` (salt = i, so the preimage is recoverable from it). */
export function channelTransfer(index: number, i: number): Transfer {
  return { ...hashlockTransfer(i), channel: channelAddress(index), salt: toBeHex(i, 32) };
}

/** What the child tells the parent through the environment. */
export interface CrashPlan {
  alice: StoreLocation;
  bob: StoreLocation;
  /** Channels updating concurrently (each strictly in order). */
  channels: number;
  /** Kill at the `at`-th hit of this commit point (optionally only in group commits of 2+ units). */
  crash?: { point: Parameters<CommitPointHook>[0]; at: number; groupOnly: boolean };
}

export const CRASH_PLAN_ENV = "SWITCHYARD_CRASH_PLAN";

export type Side = Record<Party, { channel: Channel; store: SwitchyardStore }>;

/** Finishes a proposal a crash interrupted (resends it; if the receiver already took it, restores it). */
export async function recover(index: number, side: Side, onSent: (s: Sent) => void): Promise<void> {
  for (const proposer of ["alice", "bob"] as const) {
    const receiver = proposer === "alice" ? "bob" : "alice";
    const pending = side[proposer].channel.pending;
    if (pending === undefined) continue;
    try {
      const ack = await side[receiver].channel.receive(pending);
      onSent(sentOf(index, receiver, pending.update));
      await side[proposer].channel.complete(ack);
    } catch (error) {
      if (!(error instanceof NonceError)) throw error;
      const theirs = (await side[receiver].store.load(channelAddress(index)))?.latest;
      if (theirs === undefined || theirs.state.nonce !== pending.update.state.nonce) throw error;
      const signature = receiver === "alice" ? theirs.aliceSignature : theirs.bobSignature;
      const d = pending.update.details;
      await side[proposer].channel.restore({
        update: pending.update,
        ...(d.type === "create" ? { transferId: transferId(d.transfer) } : {}),
        [proposer]: pending.signatures,
        [receiver]: { state: signature },
      } as Parameters<Channel["restore"]>[0]);
    }
  }
}

/** The next update of channel `index`: a deposit first, then hashlock creates (alice) and resolves (bob). */
export function nextUpdate(index: number, channel: Channel): { proposer: Party; details: UpdateDetails } {
  const nonce = channel.state.nonce;
  if (nonce === 0n) {
    return {
      proposer: "alice",
      details: {
        type: "deposit",
        asset: "0x0000000000000000000000000000000000000000",
        totalDepositsAlice: 10n ** 19n,
        totalDepositsBob: 10n ** 19n,
      },
    };
  }
  const active = channel.transfers.list();
  const oldest = active[0];
  if (oldest !== undefined && (active.length >= 6 || nonce % 3n === 0n)) {
    const i = Number(BigInt(oldest.transfer.salt)); // the salts are the transfer numbers
    return {
      proposer: "bob",
      details: {
        type: "resolve",
        transferId: oldest.id,
        toResponder: oldest.transfer.amount,
        resolverData: encodeHashlockResolution(preimageOf(i)),
      },
    };
  }
  return { proposer: "alice", details: { type: "create", transfer: channelTransfer(index, Number(nonce)) } };
}

/** A signature that left a party: channel index, party, nonce and the content signed. */
export interface Sent {
  index: number;
  party: Party;
  nonce: bigint;
  content: string;
}

export function sentOf(index: number, party: Party, update: Proposal["update"]): Sent {
  return {
    index,
    party,
    nonce: update.state.nonce,
    content: contentHash(payloadDigests(CHAIN_ID, channelAddress(index), payloadsOf(update))),
  };
}

/** One full update on channel `index` (propose → receive → complete), reporting each signature that leaves. */
export async function updateOnce(index: number, side: Side, onSent: (s: Sent) => void): Promise<void> {
  const { proposer, details } = nextUpdate(index, side.alice.channel);
  const receiver = proposer === "alice" ? "bob" : "alice";
  const proposal = await side[proposer].channel.propose(details);
  onSent(sentOf(index, proposer, proposal.update));
  const ack = await side[receiver].channel.receive(proposal);
  onSent(sentOf(index, receiver, proposal.update));
  await side[proposer].channel.complete(ack);
}

/** Opens both parties' stores and the plan's channels on them (creating what does not exist yet). */
export async function openSides(
  plan: Pick<CrashPlan, "alice" | "bob" | "channels">,
  onCommitPoint?: CommitPointHook,
): Promise<Side[]> {
  const stores = { alice: await openStore(plan.alice, onCommitPoint), bob: await openStore(plan.bob, onCommitPoint) };
  const sides: Side[] = [];
  for (let index = 0; index < plan.channels; index++) {
    const open = async (me: Party): Promise<Channel> => {
      const c = channelConfig(index, me, stores[me]);
      return (await stores[me].load(c.setup.channel)) === undefined ? Channel.create(c) : Channel.open(c);
    };
    sides.push({
      alice: { channel: await open("alice"), store: stores.alice },
      bob: { channel: await open("bob"), store: stores.bob },
    });
  }
  return sides;
}
