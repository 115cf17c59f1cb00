/** Raw IndexedDB helpers of the page scripts (plant databases, delete them), over the page's own IndexedDB. */
import {
  browserGlobals,
  completion,
  type IdbDatabase,
  type IdbFactory,
  type IdbTransaction,
} from "../../src/stores/indexeddb/idb.js";

function factory(): IdbFactory {
  const f = browserGlobals().indexedDB;
  if (f === undefined) throw new Error("this page has no IndexedDB");
  return f;
}

/** Opens `name` at `version` (running `upgrade` when it is created or raised), runs `write`, closes it. */
export async function rawDatabase(
  name: string,
  version: number,
  upgrade?: (db: IdbDatabase) => void,
  write?: (db: IdbDatabase) => IdbTransaction,
): Promise<void> {
  const request = factory().open(name, version);
  const db = await new Promise<IdbDatabase>((resolve, reject) => {
    request.onupgradeneeded = () => upgrade?.(request.result);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new Error(`cannot open ${name}: ${request.error?.name ?? ""}`));
  });
  try {
    if (write !== undefined) await completion(write(db));
  } finally {
    db.close();
  }
}

/** Deletes database `name` (waits until every open connection closed on versionchange). */
export async function deleteDatabase(name: string): Promise<void> {
  const request = factory().deleteDatabase(name);
  await new Promise<void>((resolve, reject) => {
    request.onsuccess = () => resolve();
    request.onerror = () => reject(new Error(`cannot delete ${name}: ${request.error?.name ?? ""}`));
  });
}
