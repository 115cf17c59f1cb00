/**
 * Page script of test/ts/browser/entry.browser.test.ts (bundled for Chromium WITHOUT the test pages' Node.js
 * stubs, so the SDK's browser entry and this script must bundle as they are): the SDK's browser entry, used
 * as a dApp uses it, with the page's injected wallet (`window.ethereum`) and its IndexedDB.
 */
import * as sdk from "../../src/browser.js";
import {
  encodeJson,
  Eip1193Signer,
  IndexedDbStore,
  MemoryStore,
  SwitchyardError,
  type Eip1193Provider,
} from "../../src/browser.js";
import { RUN_CHANNEL, walletRun } from "./walletRun.js";

interface PageGlobals {
  ethereum?: Eip1193Provider;
  switchyard?: typeof sdk;
  switchyardPage?: typeof page;
}

const g = globalThis as PageGlobals;

function injected(): Eip1193Provider {
  if (g.ethereum === undefined) throw new Error("no injected wallet");
  return g.ethereum;
}

/** A typed error as plain data (what crosses back to the test). */
function failure(error: unknown): { name: string; code?: string; message: string } {
  if (error instanceof SwitchyardError)
    return { name: error.constructor.name, code: error.code, message: error.message };
  return { name: error instanceof Error ? error.name : "unknown", message: String(error) };
}

const stores = new Map<string, IndexedDbStore>();

const page = {
  /** The wallet run with bob's wallet injected and bob's store in IndexedDB; bob's latest state, JSON. */
  async walletRun(chainId: string, storeName: string): Promise<string> {
    const signer = await Eip1193Signer.connect(injected());
    const bob = await IndexedDbStore.open(storeName);
    const latest = await walletRun(BigInt(chainId), signer, { alice: new MemoryStore(), bob });
    await bob.close();
    const reopened = await IndexedDbStore.open(storeName);
    const stored = await reopened.load(RUN_CHANNEL);
    await reopened.close();
    return encodeJson({ latest, stored: stored?.latest, bob: signer.address });
  },
  /** Asks the injected wallet to sign one channel update; the typed error when it misbehaves. */
  async signOnce(chainId: string): Promise<{ ok: true } | { error: ReturnType<typeof failure> }> {
    try {
      await walletRun(BigInt(chainId), await Eip1193Signer.connect(injected()), {
        alice: new MemoryStore(),
        bob: new MemoryStore(),
      });
      return { ok: true };
    } catch (error) {
      return { error: failure(error) };
    }
  },
  /** Opens store `name` in this tab (taking it over if asked). */
  async open(name: string, takeOver: boolean): Promise<{ ok: true } | { error: ReturnType<typeof failure> }> {
    try {
      stores.set(name, await IndexedDbStore.open(name, { takeOver }));
      return { ok: true };
    } catch (error) {
      return { error: failure(error) };
    }
  },
  /** Writes one outbox message through this tab's store `name`. */
  async write(name: string, id: string): Promise<{ ok: true } | { error: ReturnType<typeof failure> }> {
    try {
      await (stores.get(name) as IndexedDbStore).write({
        outbox: [{ id, recipient: "node", body: { id }, createdAt: 1 }],
      });
      return { ok: true };
    } catch (error) {
      return { error: failure(error) };
    }
  },
  /** The outbox ids store `name` holds (through this tab's store). */
  async outbox(name: string): Promise<string[]> {
    return (await (stores.get(name) as IndexedDbStore).outbox()).map((m) => m.id);
  },
};

g.switchyard = sdk;
g.switchyardPage = page;
export type EntryPage = typeof page;
