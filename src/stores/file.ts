/**
 * `FileChannelStore`: the embedded ChannelStore (store.ts), in files, needing no server (Node.js only).
 *
 * Legacy backend: SQLite (stores/sqlite) is the default embedded store; this one stays for existing users.
 *
 * Layout, one directory per channel:
 *   <root>/LOCK                          the single-writer lock (fileLock.ts): a second open of the directory,
 *                                        in this process or another, fails with StoreLockedError
 *   <root>/<channel>/checkpoint.json     the whole record as of journal entry `seq`
 *   <root>/<channel>/journal/<seq>.json  each later entry (one update's delta: O(1) bytes, not O(transfers))
 *   <root>/<channel>/head                the seq of the last acknowledged entry (fileHead.ts), written after each
 *                                        entry, so a lost newest entry (or checkpoint) is detected on open
 *                                        (StoreCorruptError) instead of silently rolling the channel back
 * A channel's directory is built under a temp name and renamed into place, so it appears whole. Every file is
 * written atomically: write a temp file, fsync it, rename it over the final name, fsync the
 * directory. A crash leaves either the old file or the new one, never a torn one; leftover temp files are
 * removed on open. Every file ends with the SHA-256 of its body, checked on read. After
 * max(`checkpointEvery`, active transfers) entries the record is checkpointed and the folded journal files are
 * deleted (a crash in between leaves files that the next open ignores and removes, since their seq is not
 * above the checkpoint's).
 */
import { createHash } from "node:crypto";
import { mkdir, open, readFile, readdir, rename, rm, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";

import { checksum } from "../protocol/address.js";
import { StoreCorruptError, StoreError } from "../protocol/errors.js";
import {
  applyCheckedEntry,
  applyEntry,
  checkEntry,
  cloneRecord,
  copyData,
  decodeJson,
  encodeJson,
  positionsOf,
  type ChannelRecord,
  type CoSignedUpdate,
  type PendingSignature,
  type StoreEntry,
} from "../protocol/record.js";
import { JournalHead, initialHead } from "./fileHead.js";
import { FileLock } from "./fileLock.js";
import type { ChannelStore } from "./store.js";

/** A point in an atomic write, for fault-injection tests (kill the process there). */
export type WritePoint = "temp-written" | "temp-synced" | "renamed" | "dir-synced" | "head-written" | "head-synced";

export interface FileChannelStoreOptions {
  /** Entries between checkpoints, at least (default 1024; never fewer than the active transfers). */
  checkpointEvery?: number;
  /** Called at each point of every atomic write (tests use it to crash the process there). */
  onWritePoint?: (point: WritePoint, file: string) => void;
}

interface FileSlot {
  record: ChannelRecord;
  positions: Map<string, number>;
  dir: string;
  /** seq of the last entry written. */
  seq: number;
  /** seq folded into checkpoint.json. */
  checkpointSeq: number;
  /** The channel's end marker. */
  head: JournalHead;
  /** Serializes this channel's writes. */
  queue: Promise<void>;
}

const CHECKPOINT = "checkpoint.json";
const JOURNAL = "journal";
const HEAD = "head";
const TEMP_SUFFIX = ".tmp";

/** A ChannelStore in files under one directory, with atomic writes (see the module comment). */
export class FileChannelStore implements ChannelStore {
  private readonly slots = new Map<string, FileSlot>();
  private readonly loading = new Map<string, Promise<FileSlot | undefined>>();
  private readonly checkpointEvery: number;

  private constructor(
    readonly root: string,
    private readonly options: FileChannelStoreOptions,
    private readonly lock: FileLock,
  ) {
    this.checkpointEvery = options.checkpointEvery ?? 1024;
  }

  /**
   * Opens (creating if needed) the store in `root` and takes its single-writer lock: throws StoreLockedError
   * while another instance (in any process) has it open. Call `close()` to release it.
   */
  static async open(root: string, options: FileChannelStoreOptions = {}): Promise<FileChannelStore> {
    await mkdir(root, { recursive: true });
    const lock = await FileLock.acquire(root);
    try {
      // A channel directory a crash left half built (never acknowledged) is removed.
      for (const entry of await readdir(root, { withFileTypes: true })) {
        if (entry.isDirectory() && /^\.0x[0-9a-f]{40}\.tmp$/.test(entry.name)) await rm(join(root, entry.name), { recursive: true, force: true });
      }
    } catch (error) {
      await lock.release();
      throw error;
    }
    return new FileChannelStore(root, options, lock);
  }

  /** Waits for the writes in flight, closes the files and releases the lock. The instance is unusable after. */
  async close(): Promise<void> {
    for (const slot of this.slots.values()) await slot.queue;
    this.slots.clear();
    await this.lock.release();
  }

  async channels(): Promise<string[]> {
    const names = await readdir(this.root, { withFileTypes: true });
    const out: string[] = [];
    for (const entry of names) {
      if (!entry.isDirectory() || !/^0x[0-9a-f]{40}$/.test(entry.name)) continue;
      const dir = join(this.root, entry.name);
      if ((await exists(join(dir, CHECKPOINT))) || (await exists(join(dir, HEAD)))) out.push(checksum(entry.name));
    }
    return out;
  }

  async load(channel: string): Promise<ChannelRecord | undefined> {
    const slot = await this.slot(channel);
    return slot === undefined ? undefined : cloneRecord(slot.record);
  }

  async create(record: ChannelRecord): Promise<void> {
    await this.lock.verify();
    const channel = checksum(record.setup.channel);
    const dir = this.dirOf(channel);
    if (this.slots.has(channel) || (await exists(dir))) {
      // Even a damaged directory counts: recreating the channel from its genesis would allow signing twice.
      throw new StoreError(`channel ${channel} already exists (${dir})`);
    }
    // Built under a temp name, then renamed into place: the channel appears whole or not at all.
    const temp = join(this.root, `.${channel.toLowerCase()}${TEMP_SUFFIX}`);
    await rm(temp, { recursive: true, force: true });
    await mkdir(join(temp, JOURNAL), { recursive: true });
    const copy = cloneRecord(record);
    await this.writeAtomic(temp, CHECKPOINT, encodeJson({ seq: 0, record: copy }), false);
    await this.writeRawAtomic(temp, HEAD, initialHead(channel), false);
    await syncDir(join(temp, JOURNAL));
    await syncDir(temp);
    await rename(temp, dir);
    await syncDir(this.root);
    const head = await JournalHead.open(join(dir, HEAD), channel);
    if (!(head instanceof JournalHead)) throw new StoreCorruptError(dir, `channel ${channel}: ${head.why}`);
    this.slots.set(channel, { record: copy, positions: positionsOf(copy), dir, seq: 0, checkpointSeq: 0, head, queue: Promise.resolve() });
  }

  putSigned(channel: string, pending: PendingSignature): Promise<void> {
    return this.put(channel, { kind: "signed", pending });
  }

  putCoSigned(channel: string, cosigned: CoSignedUpdate): Promise<void> {
    return this.put(channel, { kind: "cosigned", cosigned });
  }

  putResolution(channel: string, transferId: string, resolverData: string): Promise<void> {
    return this.put(channel, { kind: "resolution", transferId, resolverData });
  }

  private async put(channel: string, entry: StoreEntry): Promise<void> {
    const slot = await this.slot(channel);
    if (slot === undefined) throw new StoreError(`unknown channel ${channel}`);
    const run = slot.queue.then(async () => {
      // Refuse before writing anything: the store stays exactly as it was.
      checkEntry(slot.record, entry, slot.positions);
      await this.lock.verify(); // fencing: an instance that lost the lock writes nothing
      const text = encodeJson(entry);
      const seq = slot.seq + 1;
      await this.writeAtomic(join(slot.dir, JOURNAL), journalName(seq), text);
      // The end marker moves last: a crash before it leaves one unacknowledged entry, which the next open keeps.
      const hook = this.options.onWritePoint;
      await slot.head.advance(seq, () => hook?.("head-written", join(slot.dir, HEAD)));
      hook?.("head-synced", join(slot.dir, HEAD));
      slot.seq = seq;
      applyCheckedEntry(slot.record, copyData(entry), slot.positions);
      // A checkpoint rewrites the whole record (O(active transfers)); taking one only after at least as many
      // entries as there are transfers keeps its cost O(1) per entry, amortized.
      if (seq - slot.checkpointSeq >= Math.max(this.checkpointEvery, slot.record.transfers.length)) await this.checkpoint(slot);
    });
    slot.queue = run.catch(() => undefined);
    return run;
  }

  /** Folds the journal into a new checkpoint, then deletes the folded journal files. */
  private async checkpoint(slot: FileSlot): Promise<void> {
    await this.writeAtomic(slot.dir, CHECKPOINT, encodeJson({ seq: slot.seq, record: slot.record }));
    const folded = slot.seq;
    slot.checkpointSeq = folded;
    const journal = join(slot.dir, JOURNAL);
    for (const name of await readdir(journal)) {
      const seq = seqOf(name);
      if (seq !== undefined && seq <= folded) await unlink(join(journal, name));
    }
    await syncDir(journal);
  }

  /** The channel's in-memory slot, loading it from disk on first use (once, however many callers wait). */
  private async slot(channel: string): Promise<FileSlot | undefined> {
    const address = checksum(channel);
    const cached = this.slots.get(address);
    if (cached !== undefined) return cached;
    let loading = this.loading.get(address);
    if (loading === undefined) {
      loading = this.loadSlot(address).finally(() => this.loading.delete(address));
      this.loading.set(address, loading);
    }
    return loading;
  }

  private async loadSlot(address: string): Promise<FileSlot | undefined> {
    const dir = this.dirOf(address);
    const checkpointPath = join(dir, CHECKPOINT);
    if (!(await exists(dir))) return undefined;
    const head = await JournalHead.open(join(dir, HEAD), address);
    if (!(head instanceof JournalHead)) throw new StoreCorruptError(dir, `channel ${address}: ${head.why}`);
    const slot = await this.fold(address, dir, checkpointPath, head);
    this.slots.set(address, slot);
    return slot;
  }

  /** Reads a channel's checkpoint and journal, and checks them against its end marker. */
  private async fold(address: string, dir: string, checkpointPath: string, head: JournalHead): Promise<FileSlot> {
    if (!(await exists(checkpointPath))) throw new StoreCorruptError(dir, `channel ${address}: its checkpoint is missing`);
    const journal = join(dir, JOURNAL);
    await mkdir(journal, { recursive: true });
    await removeTemps(dir);
    await removeTemps(journal);
    const checkpoint = decodeJson<{ seq: number; record: ChannelRecord }>(await readStoreFile(checkpointPath));
    const { record } = checkpoint;
    const positions = positionsOf(record);
    let seq = checkpoint.seq;
    const names = (await readdir(journal))
      .map((name) => ({ name, seq: seqOf(name) }))
      .filter((e): e is { name: string; seq: number } => e.seq !== undefined)
      .sort((a, b) => a.seq - b.seq);
    for (const { name, seq: entrySeq } of names) {
      if (entrySeq <= checkpoint.seq) {
        await unlink(join(journal, name)); // folded before a crash interrupted the cleanup
        continue;
      }
      if (entrySeq !== seq + 1) throw new StoreCorruptError(journal, `entry ${entrySeq} follows ${seq}`);
      try {
        applyEntry(record, decodeJson<StoreEntry>(await readStoreFile(join(journal, name))), positions);
      } catch (error) {
        throw error instanceof StoreError ? error : new StoreCorruptError(join(journal, name), String(error));
      }
      seq = entrySeq;
    }
    if (seq < head.seq) {
      throw new StoreCorruptError(
        dir,
        `channel ${address}: its newest writes are lost (the head marks entry ${head.seq} as written, the files end at ${seq}); ` +
          "opening it would roll the channel back and could sign a second content at a nonce: restore the lost files",
      );
    }
    if (seq > head.seq + 1) throw new StoreCorruptError(dir, `channel ${address}: the journal runs to ${seq}, past its head ${head.seq}`);
    // One entry past the head: written before a crash but never acknowledged; it is valid, so keep it.
    if (seq === head.seq + 1) await head.advance(seq);
    return { record, positions, dir, seq, checkpointSeq: checkpoint.seq, head, queue: Promise.resolve() };
  }

  private dirOf(channel: string): string {
    return join(this.root, channel.toLowerCase());
  }

  /** write temp → fsync → rename → fsync dir. The body is followed by a line with its SHA-256. */
  private async writeAtomic(dir: string, name: string, body: string, syncParent = true): Promise<void> {
    await this.writeRawAtomic(dir, name, `${body}\n${integrity(body)}\n`, syncParent);
  }

  /** writeAtomic without the integrity line (`syncParent` false: the caller fsyncs the directory itself). */
  private async writeRawAtomic(dir: string, name: string, text: string, syncParent: boolean): Promise<void> {
    const final = join(dir, name);
    const temp = join(dir, `.${name}${TEMP_SUFFIX}`);
    const hook = this.options.onWritePoint;
    let handle: FileHandle | undefined = await open(temp, "w");
    try {
      await handle.writeFile(text);
      hook?.("temp-written", final);
      await handle.sync();
      hook?.("temp-synced", final);
      await handle.close();
      handle = undefined;
      await rename(temp, final);
      hook?.("renamed", final);
      if (!syncParent) return;
      await syncDir(dir);
      hook?.("dir-synced", final);
    } finally {
      await handle?.close();
    }
  }
}

/** The integrity line of a store file: 0x-prefixed SHA-256 of the UTF-8 body. */
function integrity(body: string): string {
  return "0x" + createHash("sha256").update(body, "utf8").digest("hex");
}

function journalName(seq: number): string {
  return `${seq.toString().padStart(12, "0")}.json`;
}

function seqOf(name: string): number | undefined {
  const match = /^(\d{12})\.json$/.exec(name);
  return match === null ? undefined : Number(match[1]);
}

/** Reads a store file (written by writeAtomic) and checks its trailing hash; throws StoreError if corrupt. */
export async function readStoreFile(path: string): Promise<string> {
  const text = await readFile(path, "utf8");
  const match = /\n(0x[0-9a-f]{64})\n$/.exec(text);
  if (match === null) throw new StoreCorruptError(path, "no integrity line");
  const body = text.slice(0, match.index);
  if (integrity(body) !== match[1]) throw new StoreCorruptError(path, "integrity hash mismatch");
  return body;
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function removeTemps(dir: string): Promise<void> {
  for (const name of await readdir(dir)) if (name.endsWith(TEMP_SUFFIX)) await unlink(join(dir, name));
}

async function exists(path: string): Promise<boolean> {
  try {
    const handle = await open(path, "r");
    await handle.close();
    return true;
  } catch {
    return false;
  }
}
