/**
 * The part of the browser's IndexedDB and Web Locks APIs the IndexedDB store uses, as structural types (the
 * SDK compiles without the DOM library, and a test or another runtime can pass its own implementation), and
 * the two promise adapters it needs: a request's result, and a transaction's completion.
 *
 * Every value the store writes is a string (the SDK's JSON encoding) and every key is a string, a number or
 * an array of those, so nothing here depends on structured cloning of SDK objects.
 */

/** A key of the store's object stores: a string, a number, or an array of keys (compared element-wise). */
export type IdbKey = string | number | IdbKey[];

/** What IndexedDB reports as an error (a DOMException in browsers). */
export interface IdbErrorLike {
  name: string;
  message: string;
}

/** A pending IndexedDB request. */
export interface IdbRequest<T> {
  readonly result: T;
  readonly error: IdbErrorLike | null;
  onsuccess: ((event: unknown) => void) | null;
  onerror: ((event: { preventDefault(): void; stopPropagation?(): void }) => void) | null;
}

/** The request `open` and `deleteDatabase` return. */
export interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  readonly transaction: IdbTransaction | null;
  onupgradeneeded: ((event: { oldVersion: number; newVersion: number | null }) => void) | null;
  onblocked: ((event: unknown) => void) | null;
}

export interface IdbObjectStore {
  put(value: unknown, key?: IdbKey): IdbRequest<IdbKey>;
  get(key: IdbKey): IdbRequest<unknown>;
  delete(key: IdbKey): IdbRequest<undefined>;
  getAll(query?: unknown): IdbRequest<unknown[]>;
  getAllKeys(query?: unknown): IdbRequest<IdbKey[]>;
}

export interface IdbTransaction {
  readonly error: IdbErrorLike | null;
  objectStore(name: string): IdbObjectStore;
  abort(): void;
  oncomplete: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onabort: ((event: unknown) => void) | null;
}

export interface IdbDatabase {
  readonly name: string;
  readonly version: number;
  readonly objectStoreNames: {
    contains(name: string): boolean;
    readonly length: number;
    item(index: number): string | null;
  };
  createObjectStore(name: string): IdbObjectStore;
  transaction(
    stores: string | string[],
    mode: "readonly" | "readwrite",
    options?: { durability?: IdbDurability },
  ): IdbTransaction;
  close(): void;
  onversionchange: ((event: { oldVersion: number; newVersion: number | null }) => void) | null;
  /** Fired when the browser closes the connection itself (site data cleared, storage failure). */
  onclose: ((event: unknown) => void) | null;
}

export interface IdbFactory {
  open(name: string, version?: number): IdbOpenRequest;
  deleteDatabase(name: string): IdbOpenRequest;
}

/** `IDBKeyRange`'s constructor functions. */
export interface IdbKeyRangeFactory {
  bound(lower: IdbKey, upper: IdbKey, lowerOpen?: boolean, upperOpen?: boolean): unknown;
}

/**
 * How a readwrite transaction reports completion: "strict" waits until the browser flushed it to disk, which
 * the store needs (nothing is acknowledged before it is durable); "relaxed" may report it earlier.
 */
export type IdbDurability = "default" | "strict" | "relaxed";

/** The part of the Web Locks API (`navigator.locks`) the store uses to keep one writer per database. */
export interface LockManagerLike {
  request(
    name: string,
    options: { mode?: "exclusive" | "shared"; ifAvailable?: boolean; steal?: boolean },
    callback: (lock: unknown) => unknown,
  ): Promise<unknown>;
}

/** The browser's globals, when there are any (typed loosely: this module does not assume a browser). */
interface BrowserGlobals {
  indexedDB?: IdbFactory;
  IDBKeyRange?: IdbKeyRangeFactory;
  navigator?: { locks?: LockManagerLike };
}

/** The runtime's IndexedDB, key ranges and lock manager, each undefined where the runtime has none. */
export function browserGlobals(): { indexedDB?: IdbFactory; keyRange?: IdbKeyRangeFactory; locks?: LockManagerLike } {
  const g = globalThis as BrowserGlobals;
  const found: { indexedDB?: IdbFactory; keyRange?: IdbKeyRangeFactory; locks?: LockManagerLike } = {};
  if (g.indexedDB !== undefined) found.indexedDB = g.indexedDB;
  if (g.IDBKeyRange !== undefined) found.keyRange = g.IDBKeyRange;
  if (g.navigator?.locks !== undefined) found.locks = g.navigator.locks;
  return found;
}

/** The result of `request`, or its error. */
export function settle<T>(request: IdbRequest<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = (event) => {
      event.preventDefault(); // handled here: do not also abort the transaction through the event's default
      reject(request.error ?? new Error("IndexedDB request failed"));
    };
  });
}

/** Resolves when `tx` commits; rejects with `failure()` (or the transaction's error) when it aborts. */
export function completion(tx: IdbTransaction, failure: () => unknown = () => undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(failure() ?? tx.error ?? new Error("IndexedDB transaction aborted"));
  });
}
