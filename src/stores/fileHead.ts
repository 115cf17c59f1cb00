/**
 * The end marker of a FileChannelStore channel's journal (Node.js only): `<channel>/head` names the seq of the
 * last entry whose write was acknowledged. Without it nothing marks where the journal ends, and losing the
 * newest journal file would silently reopen the channel at an older nonce (a party could then sign a second
 * content at the lost nonce).
 *
 * The file holds two fixed-size slots; seq n is written in place into slot n % 2 and fdatasynced, so a torn
 * write can only damage the slot being written while the other still holds n − 1. Each slot carries a hash of
 * the channel address and its seq, so a slot from another channel or a damaged one is never taken for valid.
 */
import { createHash } from "node:crypto";
import { open, type FileHandle } from "node:fs/promises";

const SLOT = 96;

function slotText(channel: string, seq: number): string {
  const body = `switchyard-head ${seq.toString().padStart(12, "0")}`;
  const hash = createHash("sha256").update(`${channel.toLowerCase()} ${body}`, "utf8").digest("hex");
  return `${body} ${hash}\n`.padEnd(SLOT, " ");
}

/** The seq a slot names, or undefined when it is empty or damaged. */
function parseSlot(channel: string, text: string): number | undefined {
  const match = /^switchyard-head (\d{12}) [0-9a-f]{64}\n/.exec(text);
  if (match === null) return undefined;
  const seq = Number(match[1]);
  return slotText(channel, seq) === text ? seq : undefined;
}

/** The content of a new head file at seq 0 (written atomically by the caller when the channel is created). */
export function initialHead(channel: string): string {
  return slotText(channel, 0) + "".padEnd(SLOT, " ");
}

/** A channel's head file (opened for each write, so an instance never closed leaks no descriptor). */
export class JournalHead {
  private constructor(
    private readonly path: string,
    private readonly channel: string,
    /** The acknowledged seq it names. */
    public seq: number,
  ) {}

  /** Opens `path`; returns why it cannot be used instead when it is missing or holds no valid slot. */
  static async open(path: string, channel: string): Promise<JournalHead | { why: string }> {
    let handle: FileHandle;
    try {
      handle = await open(path, "r+");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT")
        return { why: "its head file (the end marker of the journal) is missing" };
      throw error;
    }
    const buffer = Buffer.alloc(2 * SLOT);
    let bytesRead: number;
    try {
      ({ bytesRead } = await handle.read(buffer, 0, 2 * SLOT, 0));
    } finally {
      await handle.close();
    }
    const seqs = [0, 1]
      .map((i) =>
        bytesRead >= (i + 1) * SLOT
          ? parseSlot(channel, buffer.toString("latin1", i * SLOT, (i + 1) * SLOT))
          : undefined,
      )
      .filter((s): s is number => s !== undefined);
    if (seqs.length === 0) return { why: "its head file holds no valid slot" };
    return new JournalHead(path, channel, Math.max(...seqs));
  }

  /** Marks `seq` as the end of the journal, durably (in place, then fdatasync; `written` runs in between). */
  async advance(seq: number, written?: () => void): Promise<void> {
    const handle = await open(this.path, "r+");
    try {
      await handle.write(Buffer.from(slotText(this.channel, seq), "latin1"), 0, SLOT, (seq % 2) * SLOT);
      written?.();
      await handle.datasync();
    } finally {
      await handle.close();
    }
    this.seq = seq;
  }
}
