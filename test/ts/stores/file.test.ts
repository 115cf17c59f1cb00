/**
 * The legacy FileChannelStore's two review findings (issue 11), as regression tests:
 * 1. two instances on one directory (two processes, or two in one process) could each sign a different content
 *    at one nonce: now the second open fails (StoreLockedError), and an instance that lost its lock writes
 *    nothing;
 * 2. losing the newest journal file reopened the channel at an older nonce without an error: now the head
 *    marker makes the open fail (StoreCorruptError), so the lost nonce can never be signed again differently.
 */
import { fork, type ChildProcess } from "node:child_process";
import { readFile, readdir, rm, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { expect } from "chai";

import { Channel } from "../../../src/channel/channel.js";
import { StoreCorruptError, StoreError, StoreLockedError } from "../../../src/protocol/errors.js";
import type { ChannelRecord } from "../../../src/protocol/record.js";
import { encodeHashlockResolution } from "../../../src/protocol/resolvers.js";
import { transferId } from "../../../src/protocol/transfers.js";
import { FileChannelStore } from "../../../src/stores/file.js";
import { LOCK_FILE } from "../../../src/stores/fileLock.js";
import { MemoryChannelStore, type ChannelStore } from "../../../src/stores/store.js";
import {
  CHANNEL,
  config,
  fund,
  hashlockTransfer,
  pair,
  preimageOf,
  run,
  snapshotDir,
  tempDir,
} from "../sdk/helpers.js";

const HOLDER = fileURLToPath(new URL("./fileHolder.ts", import.meta.url));
const TSX = import.meta.resolve("tsx/esm");

async function rejects<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await promise;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(type);
    return error as E;
  }
  expect.fail(`expected a ${type.name}`);
}

/** Creates, resolves, and leaves alice's signature of the next nonce pending (the case the finding names). */
async function workload(aliceStore: ChannelStore, count: number): Promise<void> {
  const p = await pair(aliceStore, new MemoryChannelStore());
  await fund(p);
  for (let i = 0; i < count; i++) {
    await run(p.alice, p.bob, { type: "create", transfer: hashlockTransfer(i) });
    if (i % 2 === 1) {
      const t = hashlockTransfer(i - 1);
      await run(p.bob, p.alice, {
        type: "resolve",
        transferId: transferId(t),
        toResponder: t.amount,
        resolverData: encodeHashlockResolution(preimageOf(i - 1)),
      });
    }
  }
  await p.alice.propose({ type: "create", transfer: hashlockTransfer(10_000) });
}

/** Starts fileHolder.ts on `dir` and waits for its first line. */
async function holder(dir: string): Promise<{ child: ChildProcess; line: string }> {
  const child = fork(HOLDER, [dir], {
    execArgv: ["--import", TSX],
    env: { ...process.env, SWITCHYARD_FILE_HOLDER: "1" },
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let buffer = "";
    const guard = setTimeout(() => reject(new Error("fileHolder did not answer")), 30_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      if (buffer.includes("\n")) {
        clearTimeout(guard);
        resolve(buffer.split("\n")[0] as string);
      }
    });
    child.once("error", reject);
  });
  return { child, line };
}

async function killed(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}

describe("FileChannelStore (legacy) review findings: single writer, end of journal", function () {
  this.timeout(60_000);

  describe("finding 1: a second writer on one directory is impossible", () => {
    it("test_open_refusesSecondInstanceInSameProcess_whileFirstIsOpen", async () => {
      const dir = await tempDir("file-lock");
      const first = await FileChannelStore.open(dir);
      await workload(first, 2);
      const error = await rejects(FileChannelStore.open(dir), StoreLockedError);
      expect(error.code).to.equal("STORE_LOCKED");
      expect(error.message).to.contain(`process ${process.pid}`);
      await first.close();
      const again = await FileChannelStore.open(dir); // released by close()
      expect((await again.load(CHANNEL))?.pending).to.not.equal(undefined);
      await again.close();
    });

    it("test_open_refusesWhileAnotherProcessHoldsIt_andTakesOverOnceThatProcessIsKilled", async () => {
      const dir = await tempDir("file-lock");
      const { child, line } = await holder(dir);
      try {
        expect(line).to.equal(`OPEN ${child.pid}`);
        const error = await rejects(FileChannelStore.open(dir), StoreLockedError);
        expect(error.message).to.contain(`process ${child.pid}`);
        // A third process is refused too.
        const third = await holder(dir);
        expect(third.line).to.equal("REFUSED STORE_LOCKED");
      } finally {
        await killed(child);
      }
      // The holder died without releasing: its lock is stale and is taken over.
      const store = await FileChannelStore.open(dir);
      const lock = JSON.parse(await readFile(join(dir, LOCK_FILE), "utf8")) as { pid: number };
      expect(lock.pid).to.equal(process.pid);
      await store.close();
      expect(await readdir(dir)).to.not.include(LOCK_FILE);
    });

    it("test_put_refusesAfterTheLockWasTaken_andWritesNothing", async () => {
      const dir = await tempDir("file-lock");
      const store = await FileChannelStore.open(dir);
      const p = await pair(store, new MemoryChannelStore());
      await fund(p);
      // Another instance took the directory over (its lock replaced this one's).
      await writeFile(
        join(dir, LOCK_FILE),
        JSON.stringify({ pid: process.pid, host: "elsewhere", token: "someone else" }),
      );
      const before = await snapshotDir(dir);
      await rejects(p.alice.propose({ type: "create", transfer: hashlockTransfer(1) }), StoreLockedError);
      expect(p.alice.pending).to.equal(undefined);
      expect(await snapshotDir(dir)).to.deep.equal(before);
      await unlink(join(dir, LOCK_FILE));
      await rejects(store.putResolution(CHANNEL, transferId(hashlockTransfer(1)), "0x01"), StoreLockedError);
      await store.close();
    });

    it("test_open_refusesLockOfAnotherHost_andNamesTheFileToDelete", async () => {
      const dir = await tempDir("file-lock");
      await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: "another-host.example", token: "t" }));
      const error = await rejects(FileChannelStore.open(dir), StoreLockedError);
      expect(error.message).to.contain("another-host.example").and.to.contain(join(dir, LOCK_FILE));
      await writeFile(join(dir, LOCK_FILE), "not json");
      await rejects(FileChannelStore.open(dir), StoreLockedError);
    });
  });

  describe("finding 2: losing the newest write is detected, never a silent rollback", () => {
    async function closedStoreWithPending(): Promise<{ dir: string; channelDir: string; record: ChannelRecord }> {
      const dir = await tempDir("file-head");
      const store = await FileChannelStore.open(dir, { checkpointEvery: 1_000 });
      await workload(store, 4);
      const record = (await store.load(CHANNEL)) as ChannelRecord;
      expect(record.pending?.nonce).to.equal(record.state.nonce + 1n);
      await store.close();
      return { dir, channelDir: join(dir, CHANNEL.toLowerCase()), record };
    }

    it("test_load_failsWhenTheNewestJournalFileIsLost_insteadOfReopeningAtAnOlderNonce", async () => {
      const { dir, channelDir } = await closedStoreWithPending();
      const journal = join(channelDir, "journal");
      const newest = (await readdir(journal)).sort().at(-1) as string;
      await unlink(join(journal, newest)); // it held the pending signature
      const store = await FileChannelStore.open(dir);
      const error = await rejects(store.load(CHANNEL), StoreCorruptError);
      expect(error.message).to.contain("newest writes are lost");
      // The party cannot reopen the channel, so it cannot sign a second content at the lost nonce.
      await rejects(Channel.open(config("alice", store)), StoreCorruptError);
      // Nor recreate it from its genesis.
      await rejects(store.create(await genesis()), StoreError);
      await store.close();
    });

    it("test_load_failsWhenTheCheckpointOrTheHeadIsLost", async () => {
      const { dir, channelDir } = await closedStoreWithPending();
      const checkpoint = await readFile(join(channelDir, "checkpoint.json"));
      await unlink(join(channelDir, "checkpoint.json"));
      let store = await FileChannelStore.open(dir);
      expect(await store.channels()).to.deep.equal([CHANNEL]);
      await rejects(store.load(CHANNEL), StoreCorruptError);
      await store.close();
      await writeFile(join(channelDir, "checkpoint.json"), checkpoint);
      await unlink(join(channelDir, "head"));
      store = await FileChannelStore.open(dir);
      await rejects(store.load(CHANNEL), StoreCorruptError);
      await store.close();
    });

    it("test_load_keepsAnEntryWrittenBeforeACrashButNotYetAcknowledged", async () => {
      const dir = await tempDir("file-head");
      let crash = false;
      const store = await FileChannelStore.open(dir, {
        onWritePoint: (point, file) => {
          if (crash && point === "dir-synced" && file.includes("journal"))
            throw new Error("crash before the head moved");
        },
      });
      const p = await pair(store, new MemoryChannelStore());
      await fund(p);
      crash = true;
      await rejects(p.alice.propose({ type: "create", transfer: hashlockTransfer(1) }), Error);
      await store.close();
      const reopened = await FileChannelStore.open(dir);
      const record = (await reopened.load(CHANNEL)) as ChannelRecord;
      expect(record.pending?.nonce).to.equal(2n); // the entry is whole and valid: kept
      await reopened.close();
      // The head moved to it on that open: losing it now is detected too.
      const journal = join(dir, CHANNEL.toLowerCase(), "journal");
      const newest = (await readdir(journal)).sort().at(-1) as string;
      await rm(join(journal, newest));
      const third = await FileChannelStore.open(dir);
      await rejects(third.load(CHANNEL), StoreCorruptError);
      await third.close();
    });
  });
});

/** A genesis record of the test channel (what a party would store to recreate it). */
async function genesis(): Promise<ChannelRecord> {
  const memory = new MemoryChannelStore();
  await Channel.create(config("alice", memory));
  return (await memory.load(CHANNEL)) as ChannelRecord;
}
