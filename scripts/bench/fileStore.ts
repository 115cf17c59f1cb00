/** The file store: its BenchStore, the disk's own cost, and a full update at 100,000 active transfers. */
import { mkdtemp, open, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { ZeroAddress } from "ethers";

import { Channel } from "../../src/channel/channel.js";
import type { ChannelRecord } from "../../src/protocol/record.js";
import { TransferSet } from "../../src/protocol/transfers.js";
import type { Party } from "../../src/protocol/types.js";
import { FileChannelStore } from "../../src/stores/file.js";
import { config, per, runSteps, setupOf, startClock, transfer, workload, type Cost } from "./common.js";
import type { BenchStore } from "./updates.js";

/** A FileChannelStore per party and pair, in a temporary directory removed by `close`. */
export async function fileStore(): Promise<BenchStore & { dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), "switchyard-bench-"));
  return {
    name: "file store (fsync)",
    dir,
    open: (party, pair) => FileChannelStore.open(join(dir, `${party}-${pair}`)),
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The disk's own cost: one atomic write (temp, fsync, rename, directory fsync) of `bytes` bytes, in ms. */
export async function atomicWrites(dir: string, count: number, bytes: number): Promise<Cost> {
  const body = "x".repeat(bytes);
  const stop = startClock();
  for (let i = 0; i < count; i++) {
    const temp = join(dir, ".probe.tmp");
    const file = await open(temp, "w");
    await file.writeFile(body);
    await file.sync();
    await file.close();
    await rename(temp, join(dir, `probe-${i % 4}`));
    const d = await open(dir, "r");
    await d.sync();
    await d.close();
  }
  return per(stop(), count);
}

/** A full update at `size` active transfers on the file store: the channel starts from a record holding them. */
export async function bigChannel(dir: string, size: number, updates: number): Promise<{ update: Cost; seedMs: number }> {
  const seeded = TransferSet.from(Array.from({ length: size }, (_, i) => transfer(i)));
  const setup = setupOf(0);
  const stores = { a: await FileChannelStore.open(join(dir, "big-a")), b: await FileChannelStore.open(join(dir, "big-b")) };
  const record = (me: Party): ChannelRecord => ({
    setup,
    me,
    state: {
      nonce: 1n,
      timeout: setup.timeout,
      transfersRoot: seeded.root,
      assets: [{ asset: ZeroAddress, balanceAlice: 10n ** 24n, balanceBob: 10n ** 24n, processedAlice: 10n ** 24n + BigInt(size), processedBob: 10n ** 24n, defundNonce: 1n }],
    },
    transfers: seeded.list().map((t) => ({ id: t.id, transfer: t.transfer })),
    nextWithdrawNonce: 1n,
    withdrawals: [],
    closed: false,
    resolutions: {},
  });
  const t0 = performance.now();
  await stores.a.create(record("alice"));
  await stores.b.create(record("bob"));
  const seedMs = (performance.now() - t0) / 2;
  const a = await Channel.open(config("alice", stores.a));
  const b = await Channel.open(config("bob", stores.b));
  const steps = workload(updates, size + 1);
  const stop = startClock();
  await runSteps(a, b, steps);
  return { update: per(stop(), updates), seedMs };
}
