/**
 * The single-writer lock of a FileChannelStore directory (Node.js only): `<root>/LOCK` holds the owner's pid,
 * host, process start time and a random token. It appears atomically (written to a temp file, fsynced, then
 * hard-linked to its name, which fails if it exists), so a reader never sees a half-written lock.
 *
 * - A lock whose holder is alive (any process on this host, this one included: two instances in one process
 *   each cache their own copy and could sign twice just as two processes could) refuses the open with
 *   StoreLockedError naming the holder.
 * - A lock whose holder is gone (no such pid, or the pid now belongs to a process that started later) is taken
 *   over: it is renamed aside, and re-read to check that the file moved is the stale one judged dead.
 * - A lock held on another host cannot be checked: it refuses, and says to delete LOCK if that host's
 *   process is gone.
 * - Fencing: the store calls `verify()` before each write, so an instance whose lock was taken from it
 *   (deleted by hand, or stolen in a race of starters) stops writing at once.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { link, open, readFile, rename, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";

import { StoreLockedError } from "../protocol/errors.js";

/** The name of the lock file in a store's root directory. */
export const LOCK_FILE = "LOCK";

/** What a lock file says about its holder. */
export interface LockHolder {
  pid: number;
  host: string;
  /** The process's start time (Linux: field 22 of /proc/<pid>/stat), to tell a reused pid apart. */
  started?: string;
  token: string;
}

/** The start time of a process (Linux), or undefined where it cannot be read. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 2 (the command) is in parentheses and may contain spaces; field 22 is the start time.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19];
  } catch {
    return undefined;
  }
}

function isAlive(holder: LockHolder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    // EPERM: the process exists but belongs to another user.
  }
  if (holder.started === undefined) return true;
  const now = startTimeOf(holder.pid);
  return now === undefined || now === holder.started;
}

function describe(holder: LockHolder): string {
  return `process ${holder.pid} on ${holder.host}`;
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    if (typeof parsed.pid === "number" && typeof parsed.host === "string" && typeof parsed.token === "string") {
      return parsed as LockHolder;
    }
  } catch {
    // fall through: not a lock this code wrote
  }
  throw new StoreLockedError(path, "its LOCK file is not a Switchyard lock; if no process uses this store, delete it");
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A held lock (see the module comment). */
export class FileLock {
  private released = false;

  private constructor(
    readonly root: string,
    readonly path: string,
    readonly holder: LockHolder,
  ) {}

  /** Takes the lock of `root`, or throws StoreLockedError naming the live holder. */
  static async acquire(root: string): Promise<FileLock> {
    const path = join(root, LOCK_FILE);
    const started = startTimeOf(process.pid);
    const mine: LockHolder = {
      pid: process.pid,
      host: hostname(),
      ...(started === undefined ? {} : { started }),
      token: randomUUID(),
    };
    const temp = join(root, `.${LOCK_FILE}.${mine.token}.tmp`);
    const handle = await open(temp, "w");
    try {
      await handle.writeFile(JSON.stringify(mine));
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          await link(temp, path); // atomic: fails with EEXIST when a lock is there
          await syncDir(root);
          return new FileLock(root, path, mine);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        }
        const holder = await readHolder(path);
        if (holder === undefined) continue; // released meanwhile: try again
        if (holder.host !== mine.host) {
          throw new StoreLockedError(root, `held by ${describe(holder)}; if that process is gone, delete ${path}`);
        }
        if (isAlive(holder))
          throw new StoreLockedError(root, `already open in ${describe(holder)} (a second writer could sign twice)`);
        // Stale: move it aside, and make sure what moved is the lock judged dead (not one a racing starter just made).
        const aside = join(root, `.${LOCK_FILE}.stale.${mine.token}.tmp`);
        try {
          await rename(path, aside);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
          throw error;
        }
        const moved = await readHolder(aside);
        if (moved?.token !== holder.token) {
          // A live starter's lock: put it back (fails only if a third one took the name meanwhile; its fencing
          // check then stops the starter whose lock was lost).
          await link(aside, path).catch(() => undefined);
        }
        await unlink(aside);
      }
      throw new StoreLockedError(root, "could not take its lock: other processes keep taking it");
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  /** Throws StoreLockedError unless the lock file still names this holder (called before every write). */
  async verify(): Promise<void> {
    if (this.released) throw new StoreLockedError(this.root, "this instance was closed");
    let holder: LockHolder | undefined;
    try {
      holder = await readHolder(this.path);
    } catch (error) {
      if (error instanceof StoreLockedError)
        throw new StoreLockedError(this.root, `this instance lost its lock: ${error.message}`);
      throw error;
    }
    if (holder?.token !== this.holder.token) {
      const who = holder === undefined ? "the lock file is gone" : `it is now held by ${describe(holder)}`;
      throw new StoreLockedError(this.root, `this instance lost its lock (${who}): refusing to write`);
    }
  }

  /** Releases the lock (deletes the file if it is still this holder's). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const holder = await readHolder(this.path).catch(() => undefined);
    if (holder?.token === this.holder.token) await unlink(this.path);
  }
}
