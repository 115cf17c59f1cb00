/**
 * `FileChannelStore`: the embedded ChannelStore (store.ts), in files, needing no server (Node.js only).
 *
 * Layout, one directory per channel:
 *   <root>/<channel>/checkpoint.json     the whole record as of journal entry `seq`
 *   <root>/<channel>/journal/<seq>.json  each later entry (one update's delta: O(1) bytes, not O(transfers))
 * Every file is written atomically: write a temp file, fsync it, rename it over the final name, fsync the
 * directory. A crash leaves either the old file or the new one, never a torn one; leftover temp files are
 * removed on open. Every file ends with the SHA-256 of its body, checked on read. After
 * max(`checkpointEvery`, active transfers) entries the record is checkpointed and the folded journal files are
 * deleted (a crash in between leaves files that the next open ignores and removes, since their seq is not
 * above the checkpoint's).
 */
import { createHash } from "node:crypto";
import { mkdir, open, readFile, readdir, rename, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";

import { checksum } from "../protocol/address.js";
import { StoreError } from "../protocol/errors.js";
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
import type { ChannelStore } from "./store.js";

/** A point in an atomic write, for fault-injection tests (kill the process there). */
export type WritePoint = "temp-written" | "temp-synced" | "renamed" | "dir-synced";

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
  /** Serializes this channel's writes. */
  queue: Promise<void>;
}

const CHECKPOINT = "checkpoint.json";
const JOURNAL = "journal";
const TEMP_SUFFIX = ".tmp";

/** A ChannelStore in files under one directory, with atomic writes (see the module comment). */
export class FileChannelStore implements ChannelStore {
  private readonly slots = new Map<string, FileSlot>();
  private readonly checkpointEvery: number;

  private constructor(
    readonly root: string,
    private readonly options: FileChannelStoreOptions,
  ) {
    this.checkpointEvery = options.checkpointEvery ?? 1024;
  }

  /** Opens (creating if needed) the store in `root`. */
  static async open(root: string, options: FileChannelStoreOptions = {}): Promise<FileChannelStore> {
    await mkdir(root, { recursive: true });
    return new FileChannelStore(root, options);
  }

  async channels(): Promise<string[]> {
    const names = await readdir(this.root, { withFileTypes: true });
    const out: string[] = [];
    for (const entry of names) {
      if (!entry.isDirectory() || !/^0x[0-9a-f]{40}$/.test(entry.name)) continue;
      if (await exists(join(this.root, entry.name, CHECKPOINT))) out.push(checksum(entry.name));
    }
    return out;
  }

  async load(channel: string): Promise<ChannelRecord | undefined> {
    const slot = await this.slot(channel);
    return slot === undefined ? undefined : cloneRecord(slot.record);
  }

  async create(record: ChannelRecord): Promise<void> {
    const channel = checksum(record.setup.channel);
    const dir = this.dirOf(channel);
    if (this.slots.has(channel) || (await exists(join(dir, CHECKPOINT)))) {
      throw new StoreError(`channel ${channel} already exists`);
    }
    await mkdir(join(dir, JOURNAL), { recursive: true });
    await syncDir(dir);
    await syncDir(this.root);
    const copy = cloneRecord(record);
    await this.writeAtomic(dir, CHECKPOINT, encodeJson({ seq: 0, record: copy }));
    this.slots.set(channel, { record: copy, positions: positionsOf(copy), dir, seq: 0, checkpointSeq: 0, queue: Promise.resolve() });
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
      const text = encodeJson(entry);
      const seq = slot.seq + 1;
      await this.writeAtomic(join(slot.dir, JOURNAL), journalName(seq), text);
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

  /** The channel's in-memory slot, loading it from disk on first use. */
  private async slot(channel: string): Promise<FileSlot | undefined> {
    const address = checksum(channel);
    const cached = this.slots.get(address);
    if (cached !== undefined) return cached;
    const dir = this.dirOf(address);
    const checkpointPath = join(dir, CHECKPOINT);
    if (!(await exists(checkpointPath))) return undefined;
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
      if (entrySeq !== seq + 1) throw new StoreError(`${journal}: entry ${entrySeq} follows ${seq}`);
      try {
        applyEntry(record, decodeJson<StoreEntry>(await readStoreFile(join(journal, name))), positions);
      } catch (error) {
        throw error instanceof StoreError ? error : new StoreError(`${journal}/${name}: ${String(error)}`);
      }
      seq = entrySeq;
    }
    const slot: FileSlot = { record, positions, dir, seq, checkpointSeq: checkpoint.seq, queue: Promise.resolve() };
    this.slots.set(address, slot);
    return slot;
  }

  private dirOf(channel: string): string {
    return join(this.root, channel.toLowerCase());
  }

  /** write temp → fsync → rename → fsync dir. The body is followed by a line with its SHA-256. */
  private async writeAtomic(dir: string, name: string, body: string): Promise<void> {
    const final = join(dir, name);
    const temp = join(dir, `.${name}${TEMP_SUFFIX}`);
    const hook = this.options.onWritePoint;
    let handle: FileHandle | undefined = await open(temp, "w");
    try {
      await handle.writeFile(`${body}\n${integrity(body)}\n`);
      hook?.("temp-written", final);
      await handle.sync();
      hook?.("temp-synced", final);
      await handle.close();
      handle = undefined;
      await rename(temp, final);
      hook?.("renamed", final);
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
  if (match === null) throw new StoreError(`${path} is corrupt: no integrity line`);
  const body = text.slice(0, match.index);
  if (integrity(body) !== match[1]) throw new StoreError(`${path} is corrupt: integrity hash mismatch`);
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
