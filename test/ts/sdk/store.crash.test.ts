/**
 * Crash test of FileChannelStore: a child process (crashWriter.ts) runs both parties of a channel on file
 * stores and is SIGKILLed, again and again in the same directories, at every point of an atomic write (after the
 * temp file is written, after its fsync, after the rename, after the directory fsync, after the head marker is
 * written and after its fsync; journal entries, checkpoints and their cleanup alike) and at random moments. After each kill the stores are reopened and must
 * show that nothing signed was lost, no file is corrupt, and no nonce was ever signed with two contents.
 *
 * A SIGKILL loses what the process had not handed to the kernel; it does not model a power cut (what fsync is
 * for), which a test cannot produce.
 */
import { fork } from "node:child_process";
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { expect } from "chai";

import { Channel } from "../../../src/channel/channel.js";
import { contentHash, payloadDigests, verifySignature } from "../../../src/protocol/signing.js";
import { FileChannelStore, readStoreFile, type WritePoint } from "../../../src/stores/file.js";
import { channelStateDigest } from "../../../src/protocol/typedData.js";
import { TransferSet } from "../../../src/protocol/transfers.js";
import type { Party } from "../../../src/protocol/types.js";
import { bundleChild } from "../stores/crashHarness.js";
import { CHAIN_ID, CHANNEL, SETUP, config, prng, tempDir } from "./helpers.js";

const WRITER = fileURLToPath(new URL("./crashWriter.ts", import.meta.url));

interface Sent {
  party: Party;
  nonce: bigint;
  content: string;
}

interface RunResult {
  sent: Sent[];
  signal: NodeJS.Signals | null;
  code: number | null;
  errors: string[];
}

/** Runs the writer once; kills it after `killAfterMs` (if given) once it is READY. */
function runWriter(writer: string, dir: string, crash?: { point: WritePoint; at: number }, killAfterMs?: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const args = crash === undefined ? [dir] : [dir, crash.point, String(crash.at)];
    const child = fork(writer, args, {
      execArgv: ["--no-warnings"],
      env: { ...process.env, SWITCHYARD_CRASH_CHILD: "1" },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    const result: RunResult = { sent: [], signal: null, code: null, errors: [] };
    let buffer = "";
    const guard = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const [tag, party, nonce, content] = line.split(" ");
        if (tag === "SENT") result.sent.push({ party: party as Party, nonce: BigInt(nonce as string), content: content as string });
        else if (tag === "READY" && killAfterMs !== undefined) setTimeout(() => child.kill("SIGKILL"), killAfterMs);
        else if (tag === "ERROR") result.errors.push(line);
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => result.errors.push(chunk.toString("utf8")));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(guard);
      result.code = code;
      result.signal = signal;
      resolve(result);
    });
  });
}

/** Every journal and checkpoint file under `dir` must pass its integrity check (temp files are the only exception). */
async function checkNoCorruptFile(dir: string): Promise<number> {
  let files = 0;
  const walk = async (d: string): Promise<void> => {
    for (const name of await readdir(d)) {
      const path = join(d, name);
      if ((await stat(path)).isDirectory()) await walk(path);
      else if (!name.endsWith(".tmp") && name !== "LOCK" && name !== "head") {
        // (LOCK and each channel's head marker have formats of their own; the reopen below checks the heads.)
        await readStoreFile(path);
        files++;
      }
    }
  };
  await walk(dir);
  return files;
}

describe("SDK store crash safety (FileChannelStore, SIGKILL mid-update)", function () {
  this.timeout(600_000);
  // The writer is bundled once (TypeScript compiled, ethers inlined), so its many starts are quick.
  let writer: string;
  before(async function () {
    this.timeout(120_000);
    writer = await bundleChild(WRITER);
  });
  after(async () => {
    if (writer !== undefined) await rm(writer, { force: true });
  });

  it("loses nothing signed and never corrupts a file, across 48 kills at every write point and at random", async () => {
    const dir = await tempDir("crash");
    const signedContent = new Map<string, string>(); // "party nonce" → the content signed, across all runs
    const allSent: Sent[] = [];
    const points: WritePoint[] = ["temp-written", "temp-synced", "renamed", "dir-synced", "head-written", "head-synced"];
    const random = prng(2024);
    const plans: Array<{ crash?: { point: WritePoint; at: number }; killAfterMs?: number }> = [];
    for (let k = 0; k < 36; k++) plans.push({ crash: { point: points[k % points.length] as WritePoint, at: 1 + Math.floor(random() * 40) } });
    for (let k = 0; k < 12; k++) plans.push({ killAfterMs: Math.floor(random() * 150) });
    let kills = 0;
    let lastNonce = 0n;

    for (const [index, plan] of plans.entries()) {
      const result = await runWriter(writer, dir, plan.crash, plan.killAfterMs);
      expect(result.errors, `run ${index}: ${result.errors.join("\n")}`).to.deep.equal([]);
      expect(result.signal, `run ${index} was not killed`).to.equal("SIGKILL");
      kills++;
      for (const s of result.sent) {
        const key = `${s.party} ${s.nonce}`;
        const before = signedContent.get(key);
        expect(before === undefined || before === s.content, `${key} signed twice with different content`).to.equal(true);
        signedContent.set(key, s.content);
        allSent.push(s);
      }

      // Reopen in this process: every file intact, and every signature that left the writer is in its store.
      expect(await checkNoCorruptFile(dir)).to.be.greaterThan(0);
      const records: Partial<Record<Party, Awaited<ReturnType<FileChannelStore["load"]>>>> = {};
      for (const party of ["alice", "bob"] as const) {
        const store = await FileChannelStore.open(join(dir, party));
        const record = await store.load(CHANNEL);
        records[party] = record;
        if (record === undefined) {
          await store.close();
          continue;
        }
        // The channel opens (the stored transfers give the stored root) and its latest state is co-signed.
        const channel = await Channel.open(config(party, store));
        await store.close(); // release the lock for the next writer
        expect(TransferSet.from(record.transfers.map((t) => t.transfer)).root).to.equal(record.state.transfersRoot);
        expect(channel.state).to.deep.equal(record.state);
        if (record.latest !== undefined) {
          const digest = channelStateDigest(CHAIN_ID, CHANNEL, record.latest.state);
          await verifySignature(SETUP.alice, digest, record.latest.aliceSignature);
          await verifySignature(SETUP.bob, digest, record.latest.bobSignature);
        }
        for (const s of allSent.filter((x) => x.party === party)) {
          const has =
            (record.pending?.nonce === s.nonce && record.pending.content === s.content) ||
            record.state.nonce > s.nonce ||
            (record.state.nonce === s.nonce &&
              contentHash(payloadDigests(CHAIN_ID, CHANNEL, { state: record.state })) === s.content);
          expect(has, `run ${index}: ${party}'s signature at nonce ${s.nonce} is not in its store`).to.equal(true);
        }
      }
      const a = records.alice?.state.nonce ?? 0n;
      const b = records.bob?.state.nonce ?? 0n;
      expect(a - b <= 1n && b - a <= 1n, `alice at ${a}, bob at ${b}`).to.equal(true);
      expect(a >= lastNonce, "a stored nonce went backwards").to.equal(true);
      lastNonce = a;
    }
    expect(kills).to.equal(48);
    expect(lastNonce, "the writer made progress across the runs").to.be.greaterThan(30n);
    expect(allSent.length).to.be.greaterThan(60);
  });
});
