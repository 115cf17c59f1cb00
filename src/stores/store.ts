/**
 * Durable storage of channels behind a small interface (`ChannelStore`) that a node operator can back with a
 * real database; `MemoryChannelStore` here, and `FileChannelStore` (fileStore.ts), the embedded default that
 * needs no server.
 *
 * Contract of every implementation:
 * - a write resolves only once the entry is durable, so a caller that awaits it before letting a signature
 *   leave the process (Channel does) never loses anything it signed;
 * - an entry that does not follow the stored record (wrong nonce, a second content for a signed nonce, a
 *   closed channel) is refused before anything is written: the store is left exactly as it was.
 *
 * This module has no Node.js dependency (browser wallets can use it); fileStore.ts needs node:fs.
 */
import { checksum } from "../protocol/address.js";
import { StoreError } from "../protocol/errors.js";
import {
  applyCheckedEntry,
  checkEntry,
  cloneRecord,
  copyData,
  positionsOf,
  type ChannelRecord,
  type CoSignedUpdate,
  type PendingSignature,
  type StoreEntry,
} from "../protocol/record.js";

/** Where channels are kept. */
export interface ChannelStore {
  /** Every channel this store holds (checksummed addresses). */
  channels(): Promise<string[]>;
  /** A copy of the channel's record, or undefined when the store does not hold it. */
  load(channel: string): Promise<ChannelRecord | undefined>;
  /** Stores a new channel's record (its genesis). Fails if the channel exists. */
  create(record: ChannelRecord): Promise<void>;
  /** Durably records this party's signature of the next nonce, before it is sent. */
  putSigned(channel: string, pending: PendingSignature): Promise<void>;
  /** Durably records a co-signed update: the new latest state and its effects. */
  putCoSigned(channel: string, cosigned: CoSignedUpdate): Promise<void>;
  /** Durably records evidence (e.g. a hashlock preimage) learned for a transfer. */
  putResolution(channel: string, transferId: string, resolverData: string): Promise<void>;
}

/** The in-memory state both store implementations keep per channel. */
interface Slot {
  record: ChannelRecord;
  positions: Map<string, number>;
}

/** A ChannelStore in memory (tests, or a caller that persists elsewhere). */
export class MemoryChannelStore implements ChannelStore {
  private readonly slots = new Map<string, Slot>();

  async channels(): Promise<string[]> {
    return [...this.slots.keys()];
  }

  async load(channel: string): Promise<ChannelRecord | undefined> {
    const slot = this.slots.get(checksum(channel));
    return slot === undefined ? undefined : cloneRecord(slot.record);
  }

  async create(record: ChannelRecord): Promise<void> {
    const channel = checksum(record.setup.channel);
    if (this.slots.has(channel)) throw new StoreError(`channel ${channel} already exists`);
    const copy = cloneRecord(record);
    this.slots.set(channel, { record: copy, positions: positionsOf(copy) });
  }

  async putSigned(channel: string, pending: PendingSignature): Promise<void> {
    this.put(channel, { kind: "signed", pending });
  }

  async putCoSigned(channel: string, cosigned: CoSignedUpdate): Promise<void> {
    this.put(channel, { kind: "cosigned", cosigned });
  }

  async putResolution(channel: string, transferId: string, resolverData: string): Promise<void> {
    this.put(channel, { kind: "resolution", transferId, resolverData });
  }

  private put(channel: string, entry: StoreEntry): void {
    const slot = this.slots.get(checksum(channel));
    if (slot === undefined) throw new StoreError(`unknown channel ${channel}`);
    // Checked as given (an update the Channel hashed is not hashed again), then copied so that later changes
    // to the caller's objects cannot reach the store.
    checkEntry(slot.record, entry, slot.positions);
    applyCheckedEntry(slot.record, copyData(entry), slot.positions);
  }
}

