/** The conformance suite (conformance.ts) on SQLite files, and what only a SQLite file can do (another process). */
import { execFile } from "node:child_process";
import { fstatSync, statSync } from "node:fs";
import { type FileHandle, open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { promisify } from "node:util";

import { expect } from "chai";
import { id } from "ethers";

import { StoreError, StoreUnavailableError } from "../../../src/protocol/errors.js";
import { DEFAULT_CACHE_KIB, SqliteStore } from "../../../src/stores/sqlite/index.js";
import type { PaymentWrite, SwitchyardStore } from "../../../src/stores/store.js";
import { tempDir } from "../sdk/helpers.js";
import { channelAt, describeConformance, dump, genesisOf, rejects } from "./conformance.js";

/** The store's own connection (settings are per connection), for the tests that look at or bend it. */
function connection(store: SwitchyardStore): { all(sql: string): Promise<Array<Record<string, unknown>>> } {
  return (store as unknown as { driver: { all(sql: string): Promise<Array<Record<string, unknown>>> } }).driver;
}

let next = 0;
let dir: string | undefined;

async function freshPath(): Promise<string> {
  dir ??= await tempDir("sqlite");
  return join(dir, `store-${next++}.db`);
}

describeConformance({
  name: "SQLite (node:sqlite)",
  fresh: freshPath,
  open: (location, options) => SqliteStore.open(location, { busyTimeoutMs: 200, ...options }),
  plant: async (location, kind) => {
    if (kind === "garbage") {
      await writeFile(location, "this is no database, just some text a user saved under the store's name\n".repeat(80));
    } else if (kind === "foreign") {
      const db = new DatabaseSync(location);
      db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('x')");
      db.close();
    } else {
      await (await SqliteStore.open(location)).close();
      const db = new DatabaseSync(location);
      db.exec("UPDATE sy_meta SET value = '2000' WHERE key = 'schema_version'");
      db.close();
    }
    return true;
  },
});

describe("SqliteStore (what a file adds)", function () {
  this.timeout(60_000);

  it("refuses a second process on the same file with StoreLockedError while the first holds it", async () => {
    const path = await freshPath();
    const store = await SqliteStore.open(path);
    await store.create(await genesisOf(1));
    const child = `
      const { SqliteStore } = await import(${JSON.stringify(new URL("../../../src/stores/sqlite/index.ts", import.meta.url).href)});
      try { await SqliteStore.open(${JSON.stringify(path)}, { busyTimeoutMs: 100 }); console.log("OPENED"); }
      catch (e) { console.log(e.code); }`;
    const run = (): Promise<string> =>
      promisify(execFile)(process.execPath, [
        "--no-warnings",
        "--import",
        "tsx/esm",
        "--input-type=module",
        "-e",
        child,
      ]).then((r) => r.stdout.trim());
    expect(await run()).to.equal("STORE_LOCKED");
    await store.close();
    expect(await run()).to.equal("OPENED"); // the lock goes with its holder
  });

  it("runs in WAL mode with synchronous=OFF and no SQLite checkpoints (the store fsyncs and checkpoints itself), foreign keys on", async () => {
    const path = await freshPath();
    const store = await SqliteStore.open(path);
    await store.create(await genesisOf(1));
    await store.close();
    const db = new DatabaseSync(path);
    expect(db.prepare("PRAGMA journal_mode").get()?.journal_mode).to.equal("wal");
    db.close();
    // synchronous and foreign_keys are per connection: the store's own connection reports them.
    const again = await SqliteStore.open(path);
    const pragmas = connection(again);
    expect((await pragmas.all("PRAGMA synchronous"))[0]?.synchronous).to.equal(0); // OFF: WalSync fsyncs
    expect((await pragmas.all("PRAGMA wal_autocheckpoint"))[0]?.wal_autocheckpoint).to.equal(0);
    expect((await pragmas.all("PRAGMA foreign_keys"))[0]?.foreign_keys).to.equal(1);
    await again.close();
  });

  it("acknowledges a write, and lets reads see it, only once its WAL is fsynced; writes meanwhile share one commit", async () => {
    const path = await freshPath();
    const store = await SqliteStore.open(path);
    const probe = await open(path, "r");
    const handles = Object.getPrototypeOf(probe) as { sync(this: FileHandle): Promise<void> };
    await probe.close();
    const fsync = handles.sync;
    const fsyncs: string[] = [];
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    handles.sync = async function (this: FileHandle) {
      fsyncs.push("called");
      await gate;
      return fsync.call(this);
    };
    try {
      let acknowledged = false;
      const first = store.create(await genesisOf(1)).then(() => (acknowledged = true));
      await new Promise((resolve) => setTimeout(resolve, 50)); // the event loop runs during the fsync
      expect(fsyncs.length, "the commit's fsync started").to.be.greaterThan(0);
      expect(acknowledged, "no acknowledgement before the fsync returned").to.equal(false);
      let read = false;
      const channels = store.channels().then((list) => ((read = true), list));
      const queued = [store.create(await genesisOf(2)), store.create(await genesisOf(3))];
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(read, "a read waits for the fsync of the commit in progress").to.equal(false);
      release();
      await Promise.all([first, ...queued]);
      expect(await channels).to.have.length(1);
      expect(store.stats()).to.include({ commits: 2, units: 3, maxUnitsPerCommit: 2 });
    } finally {
      handles.sync = fsync;
      await store.close();
    }
  });

  it("fails a write on a full disk with StoreUnavailableError, changing nothing, and goes on once there is room", async () => {
    const path = await freshPath();
    const store = await SqliteStore.open(path);
    await store.create(await genesisOf(1));
    const before = await dump(store);
    const pages = Number((await connection(store).all("PRAGMA page_count"))[0]?.page_count);
    await connection(store).all(`PRAGMA max_page_count = ${pages}`); // the file may not grow: SQLITE_FULL
    const big = `0x${"ab".repeat(64 * 1024)}`;
    const error = await rejects(store.putResolution(channelAt(1), `0x${"11".repeat(32)}`, big), StoreUnavailableError);
    expect(error.message).to.include("disk is full");
    expect(await dump(store)).to.deep.equal(before);
    await connection(store).all(`PRAGMA max_page_count = ${pages * 1000}`);
    await store.putResolution(channelAt(1), `0x${"11".repeat(32)}`, big);
    await store.close();
    const again = await SqliteStore.open(path);
    expect((await again.load(channelAt(1)))?.resolutions[`0x${"11".repeat(32)}`]).to.equal(big);
    await again.close();
  });

  /** Replaces FileHandle's fsync for the test: `onSync` sees whether the handle is the database file or another. */
  async function patchSync(
    path: string,
    onSync: (file: "database" | "other", sync: () => Promise<void>) => Promise<void>,
  ): Promise<() => void> {
    const probe = await open(path, "r");
    const handles = Object.getPrototypeOf(probe) as { sync(this: FileHandle): Promise<void> };
    await probe.close();
    const fsync = handles.sync;
    const database = statSync(path).ino;
    handles.sync = function (this: FileHandle) {
      const file = fstatSync(this.fd).ino === database ? "database" : "other";
      return onSync(file, () => fsync.call(this));
    };
    return () => (handles.sync = fsync);
  }

  it("answers hasPayment during a group commit's WAL fsync, its committed rows included; payment() waits for the fsync", async () => {
    const path = await freshPath();
    const store = await SqliteStore.open(path);
    const row = (n: number): PaymentWrite => ({
      payment: { lockHash: id(`lock ${n}`), status: "accepted", upstreamPeer: channelAt(1), upstreamTransferId: id(`up ${n}`), body: {}, updatedAt: n },
      expectedVersion: 0,
    });
    await store.write({ payments: [row(1)] });
    let walSyncs = 0;
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const restore = await patchSync(path, async (file, sync) => {
      if (file === "other") {
        walSyncs += 1; // the WAL's: held until the test releases it (the database file's, after a checkpoint, runs)
        await gate;
      }
      return sync();
    });
    try {
      let acknowledged = false;
      const second = store.write({ payments: [row(2)] }).then(() => (acknowledged = true));
      while (walSyncs === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      let read = false;
      const waiting = store.payment(id("lock 1")).then((p) => ((read = true), p));
      // The mutex read waited here for the fsync, forever while the gate is shut: the gate opens after 2 s at the latest.
      let released = false;
      const opener = setTimeout(() => ((released = true), release()), 2_000);
      const found = await Promise.all([1, 2, 3].map((n) => store.hasPayment(id(`lock ${n}`))));
      expect(released, "hasPayment waited for the group commit's fsync").to.equal(false);
      clearTimeout(opener);
      expect(found).to.deep.equal([true, true, false]); // lock 2 committed, not yet durable: true is allowed, and SQLite's
      expect(acknowledged, "the second write is not acknowledged before its fsync").to.equal(false);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(read, "payment() still waits for the fsync of the commit in progress").to.equal(false);
      release();
      await second;
      expect((await waiting)?.status).to.equal("accepted");
    } finally {
      release();
      restore();
      await store.close();
    }
  });

  it("checkpoints after a commit's WAL fsync and begins the next commit only once the database file's fsync returned", async () => {
    const path = await freshPath();
    const store = await SqliteStore.open(path, { checkpointFrames: 1 }); // a checkpoint after every commit
    const events: string[] = [];
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const restore = await patchSync(path, async (file, sync) => {
      events.push(file);
      if (file === "database") await gate;
      return sync();
    });
    try {
      await store.create(await genesisOf(1)); // acknowledged on its WAL fsync, the database file's still running
      expect(events).to.deep.equal(["other", "database"]);
      let second = false;
      const next = store.create(await genesisOf(2)).then(() => (second = true));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(second, "the next commit waits for the checkpoint's fsync").to.equal(false);
      expect(events, "it has not begun: no WAL fsync of it").to.deep.equal(["other", "database"]);
      release();
      await next;
      expect(events.slice(0, 3)).to.deep.equal(["other", "database", "other"]);
    } finally {
      restore();
      release();
      await store.close();
    }
    const again = await SqliteStore.open(path);
    expect(await again.channels()).to.have.length(2);
    await again.close();
  });

  it("fails the commits after a failed fsync of the database file with StoreUnavailableError (the WAL keeps them)", async () => {
    const path = await freshPath();
    const store = await SqliteStore.open(path, { checkpointFrames: 1 });
    const restore = await patchSync(path, async (file, sync) => {
      if (file === "database") throw Object.assign(new Error("EIO: i/o error, fsync"), { code: "EIO" });
      return sync();
    });
    try {
      await store.create(await genesisOf(1)); // durable in the WAL
      const error = await rejects(store.create(await genesisOf(2)), StoreUnavailableError);
      expect(error.message).to.include("fsync of the database file failed");
      await rejects(store.create(await genesisOf(3)), StoreUnavailableError);
    } finally {
      restore();
      await store.close();
    }
    const again = await SqliteStore.open(path);
    expect((await again.channels()).map((c) => c.toLowerCase())).to.deep.equal([channelAt(1).toLowerCase()]);
    await again.close();
  });

  it("acknowledges a durable commit whose checkpoint fails, and checkpoints again later", async () => {
    const path = await freshPath();
    const store = await SqliteStore.open(path, { checkpointFrames: 1 });
    const db = (store as unknown as { driver: { db: { prepare(sql: string): unknown } } }).driver.db;
    const prepare = db.prepare.bind(db);
    let refused = 0;
    let fail = true;
    db.prepare = (sql: string) => {
      if (sql.includes("wal_checkpoint") && fail) {
        refused += 1;
        throw Object.assign(new Error("database or disk is full"), { errcode: 13 });
      }
      return prepare(sql);
    };
    try {
      await store.create(await genesisOf(1)); // in the WAL: acknowledged though its checkpoint failed
      await store.create(await genesisOf(2));
      expect(refused).to.equal(2);
      fail = false;
      await store.create(await genesisOf(3));
    } finally {
      db.prepare = prepare;
      await store.close();
    }
    const again = await SqliteStore.open(path);
    expect(await again.channels()).to.have.length(3);
    await again.close();
  });

  it("bounds its page cache at cacheKiB (default DEFAULT_CACHE_KIB) and refuses a bad bound", async () => {
    const path = await freshPath();
    for (const bad of [0, -1, 1.5, Number.NaN]) await rejects(SqliteStore.open(path, { cacheKiB: bad }), StoreError);
    const store = await SqliteStore.open(path);
    expect(Number((await connection(store).all("PRAGMA cache_size"))[0]?.cache_size)).to.equal(-DEFAULT_CACHE_KIB);
    await store.close();
    const small = await SqliteStore.open(path, { cacheKiB: 1_024 });
    expect(Number((await connection(small).all("PRAGMA cache_size"))[0]?.cache_size)).to.equal(-1_024);
    await small.close();
  });

  it("checkpoints once the WAL holds checkpointFrames pages even when commits grow (small ones first, then large)", async () => {
    const path = await freshPath();
    const store = await SqliteStore.open(path, { checkpointFrames: 200 });
    const pageSize = Number((await connection(store).all("PRAGMA page_size"))[0]?.page_size);
    const walFrames = (): number => statSync(`${path}-wal`).size / (pageSize + 24);
    let n = 0;
    for (let i = 0; i < 150; i++) await store.create(await genesisOf(++n)); // one small commit each
    // Then group commits of 500 channels each: many more pages per commit than before.
    let largest = 0;
    let most = 0;
    for (let round = 0; round < 8; round++) {
      const before = walFrames();
      await Promise.all(Array.from({ length: 500 }, async () => store.create(await genesisOf(++n))));
      largest = Math.max(largest, walFrames() - before);
      most = Math.max(most, walFrames());
    }
    // The WAL never holds much more than checkpointFrames plus the commit that crossed it.
    expect(most, "the WAL's largest size in frames").to.be.at.most(200 + 2 * largest);
    await store.close();
    const again = await SqliteStore.open(path);
    expect(await again.channels()).to.have.length(n);
    await again.close();
  });

  it("keeps the WAL near checkpointFrames pages however many commits, and every unit across reopen", async () => {
    const path = await freshPath();
    for (const bad of [0, -1, 1.5, Number.NaN]) await rejects(SqliteStore.open(path, { checkpointFrames: bad }), StoreError);
    const store = await SqliteStore.open(path, { checkpointFrames: 40 });
    const n = 120;
    for (let i = 1; i <= n; i++) await store.create(await genesisOf(i)); // one commit each
    const pageSize = Number((await connection(store).all("PRAGMA page_size"))[0]?.page_size);
    const frames = statSync(`${path}-wal`).size / (pageSize + 24);
    expect(frames, "the WAL restarted after checkpoints").to.be.below(40 * 3);
    await store.close();
    const again = await SqliteStore.open(path);
    expect(await again.channels()).to.have.length(n);
    await again.close();
  });
});
