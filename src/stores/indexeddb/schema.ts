/**
 * The IndexedDB store's schema and how a database is opened: the object stores (one per table of the SQL
 * schema, docs/STORES.md), the schema version (the database's own IndexedDB version), the migrations run in
 * the upgrade transaction, the checks that refuse a newer schema (SchemaVersionError) or another
 * application's database (StoreCorruptError), the writer's fencing token, and the single-writer lock.
 */
import {
  SchemaVersionError,
  StoreCorruptError,
  StoreLockedError,
  StoreUnavailableError,
} from "../../protocol/errors.js";
import {
  completion,
  settle,
  type IdbDatabase,
  type IdbDurability,
  type IdbFactory,
  type IdbTransaction,
  type LockManagerLike,
} from "./idb.js";

/** The schema version this SDK writes (the IndexedDB version of the database). */
export const INDEXEDDB_SCHEMA_VERSION = 1;

/** The object stores. Keys are out of line; every value is a string in the SDK's JSON encoding. */
export const OBJECT_STORES = {
  /** "application" → "switchyard", "writerEpoch" → the fencing token (a number). */
  meta: "sy_meta",
  /** channel → the record without its transfers, withdrawals and resolutions. */
  channels: "sy_channels",
  /** [channel, transfer id] → { position, transfer }. */
  transfers: "sy_transfers",
  /** [channel, index] → a co-signed withdraw commitment. */
  withdrawals: "sy_withdrawals",
  /** [channel, transfer id] → resolver data (a preimage). */
  resolutions: "sy_resolutions",
  /** [channel, nonce as 78 decimal digits] → a co-signed update with both signatures. */
  updates: "sy_updates",
  payments: "sy_payments",
  preimages: "sy_preimages",
  chainTxs: "sy_chain_txs",
  outbox: "sy_outbox",
} as const;

export type ObjectStoreName = (typeof OBJECT_STORES)[keyof typeof OBJECT_STORES];

export const ALL_STORES: ObjectStoreName[] = Object.values(OBJECT_STORES);

const APPLICATION = "switchyard";

/** Migration `i` brings a database from version `i` to `i + 1` inside the upgrade transaction. */
const MIGRATIONS: Array<(db: IdbDatabase, tx: IdbTransaction) => void> = [
  (db, tx) => {
    for (const name of ALL_STORES) db.createObjectStore(name);
    const meta = tx.objectStore(OBJECT_STORES.meta);
    meta.put(APPLICATION, "application");
    meta.put(0, "writerEpoch");
  },
];

/** The name of the Web Lock that makes one tab the writer of database `name`. */
export function lockName(name: string): string {
  return `switchyard-store:${name}`;
}

/** The Web Lock a writer holds from open to close. */
export interface WriterLock {
  release(): void;
}

/**
 * Takes the writer lock of database `name`: immediately or not at all (StoreLockedError when another tab,
 * window or worker of this origin holds it), or, with `takeOver`, by stealing it from the holder (whose store
 * is then fenced: `onLost` runs in the holder's tab). Without a lock manager (an old browser, an insecure
 * context) there is no lock: the fencing token alone keeps a taken-over writer from writing.
 */
export async function acquireWriterLock(
  locks: LockManagerLike | undefined,
  name: string,
  takeOver: boolean,
  onLost: (reason: string) => void,
): Promise<WriterLock> {
  if (locks === undefined) return { release: () => undefined };
  return new Promise<WriterLock>((resolve, reject) => {
    let release!: () => void;
    const held = new Promise<void>((done) => (release = done));
    let granted = false;
    const options = takeOver
      ? { mode: "exclusive" as const, steal: true }
      : { mode: "exclusive" as const, ifAvailable: true };
    locks
      .request(lockName(name), options, async (lock) => {
        if (lock === null) {
          reject(new StoreLockedError(name, "another tab, window or worker of this site has it open"));
          return;
        }
        granted = true;
        resolve({ release });
        await held;
      })
      .catch((error: unknown) => {
        // A stolen lock rejects its request (AbortError); so does a request that could not be made.
        if (granted) onLost("another tab, window or worker took the store over");
        else reject(new StoreUnavailableError(name, `the lock manager refused the request: ${String(error)}`));
      });
  });
}

function names(db: IdbDatabase): string[] {
  const out: string[] = [];
  for (let i = 0; i < db.objectStoreNames.length; i++) out.push(db.objectStoreNames.item(i) as string);
  return out;
}

/** What a failed open request reports. */
function openFailure(name: string, error: { name: string; message: string } | null): Error {
  return new StoreUnavailableError(
    name,
    `IndexedDB refused to open it: ${error?.name ?? "error"} ${error?.message ?? ""}`.trim(),
  );
}

/** Opens `name` at whatever version it has (to read the version of a database newer than this SDK). */
async function openAsIs(factory: IdbFactory, name: string): Promise<IdbDatabase> {
  const request = factory.open(name);
  return new Promise<IdbDatabase>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = (event) => {
      event.preventDefault();
      reject(openFailure(name, request.error));
    };
  });
}

/**
 * Opens (creating or migrating) database `name` at this SDK's schema version and checks it is a Switchyard
 * store: a newer version gives SchemaVersionError, another application's database StoreCorruptError.
 */
export async function openDatabase(factory: IdbFactory, name: string): Promise<IdbDatabase> {
  const request = factory.open(name, INDEXEDDB_SCHEMA_VERSION);
  const db = await new Promise<IdbDatabase | "newer">((resolve, reject) => {
    request.onupgradeneeded = (event) => {
      const tx = request.transaction as IdbTransaction;
      const database = request.result;
      if (event.oldVersion > 0 && !database.objectStoreNames.contains(OBJECT_STORES.meta)) {
        tx.abort(); // another application's database at an older version: leave it as it is
        return;
      }
      for (let v = event.oldVersion; v < INDEXEDDB_SCHEMA_VERSION; v++)
        (MIGRATIONS[v] as (typeof MIGRATIONS)[number])(database, tx);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = (event) => {
      event.preventDefault();
      if (request.error?.name === "VersionError") resolve("newer");
      else if (request.error?.name === "AbortError")
        reject(new StoreCorruptError(name, "another application's database has this name"));
      else reject(openFailure(name, request.error));
    };
    request.onblocked = () => undefined; // an older connection is closing on versionchange; the open waits for it
  });
  if (db === "newer") {
    const found = await openAsIs(factory, name);
    const foreign = !found.objectStoreNames.contains(OBJECT_STORES.meta);
    const version = found.version;
    const stores = names(found);
    found.close();
    if (foreign)
      throw new StoreCorruptError(name, `not a Switchyard database (object stores: ${stores.join(", ") || "none"})`);
    throw new SchemaVersionError(name, version, INDEXEDDB_SCHEMA_VERSION);
  }
  const missing = ALL_STORES.filter((s) => !db.objectStoreNames.contains(s));
  if (missing.length > 0) {
    const stores = names(db);
    db.close();
    throw new StoreCorruptError(name, `not a Switchyard database (object stores: ${stores.join(", ") || "none"})`);
  }
  return db;
}

/**
 * Checks the application marker and takes the writer's fencing token (bumps `writerEpoch`) in one durable
 * transaction; every later commit of this writer checks the token is still its own.
 */
export async function takeWriterEpoch(db: IdbDatabase, name: string, durability: IdbDurability): Promise<number> {
  const tx = db.transaction(OBJECT_STORES.meta, "readwrite", { durability });
  const done = completion(tx);
  const meta = tx.objectStore(OBJECT_STORES.meta);
  const [application, epoch] = await Promise.all([settle(meta.get("application")), settle(meta.get("writerEpoch"))]);
  if (application !== APPLICATION || typeof epoch !== "number" || !Number.isSafeInteger(epoch)) {
    tx.abort();
    await done.catch(() => undefined);
    throw new StoreCorruptError(
      name,
      `its sy_meta rows are not a Switchyard store's (application ${String(application)})`,
    );
  }
  meta.put(epoch + 1, "writerEpoch");
  await done;
  return epoch + 1;
}
