/**
 * The page's connection to Switchyard: a `SwitchyardClient` (src/client) for one user, with the user's key
 * either a test key generated in this browser (kept in localStorage, funded once by the demo's faucet) or
 * the browser's injected wallet (`window.ethereum`, through `Eip1193Signer`: the wallet shows each channel
 * update as readable EIP-712 typed data and signs it; its account pays the gas of deposits, withdrawals and
 * the close). The channel is kept in the browser's IndexedDB, one database per account.
 *
 * The chain is reached through the page's own server (`/rpc`, relayed to the local chain) and the node
 * through `/v1` on the same origin (relayed to the node service).
 */
import { BrowserProvider, JsonRpcProvider, Wallet, ZeroAddress, type Signer } from "ethers";

import { SwitchyardClient } from "../../src/client/index.js";
import { SwitchyardError } from "../../src/protocol/errors.js";
import type { ChannelSigner, Eip1193Provider } from "../../src/protocol/signing.js";
import { Eip1193Signer, WalletError } from "../../src/signers/eip1193.js";
import { IndexedDbStore } from "../../src/stores/indexeddb/index.js";
import type { WalletConfig } from "./config.js";

/** The asset the page moves: ETH. */
export const ETH = ZeroAddress;

export type SignerKind = "test key" | "browser wallet";

export interface Connected {
  client: SwitchyardClient;
  kind: SignerKind;
  /** The chain, through the page's `/rpc`. */
  chain: JsonRpcProvider;
  /** The account that pays gas (the test key, or the injected wallet's account). */
  sender: Signer;
  store: IndexedDbStore;
}

/** The page has no injected wallet (no `window.ethereum`). */
export class NoInjectedWalletError extends SwitchyardError {
  constructor() {
    super("NO_INJECTED_WALLET", "this browser has no injected wallet (window.ethereum): use a test key");
  }
}

/** The demo's faucet refused or failed to fund a new test key. */
export class FaucetError extends SwitchyardError {
  constructor(
    readonly status: number,
    reason: string,
  ) {
    super("FAUCET", `the faucet did not fund the test key (${status}): ${reason}`);
  }
}

/** The node the page reached is not the one the server announced (another node behind /v1). */
export class NodeMismatchError extends SwitchyardError {
  constructor(
    readonly reached: string,
    readonly announced: string,
  ) {
    super("NODE_MISMATCH", `the node at /v1 is ${reached}, the server announced ${announced}`);
  }
}

const TEST_KEY = "switchyard-web-wallet:test-key";

function chainProvider(config: WalletConfig): JsonRpcProvider {
  const url = new URL("/rpc", globalThis.location.href).href;
  return new JsonRpcProvider(url, BigInt(config.chainId), { staticNetwork: true, pollingInterval: 500 });
}

function nodeUrl(): string {
  const url = new URL("/v1", globalThis.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

/** The browser's test key (generated on first use and kept in localStorage: demo keys only). */
function testKey(): string {
  const kept = globalThis.localStorage.getItem(TEST_KEY);
  if (kept !== null) return kept;
  const key = Wallet.createRandom().privateKey;
  globalThis.localStorage.setItem(TEST_KEY, key);
  return key;
}

/** Asks the demo's faucet to fund `address` (once per address; resolves when the transfer is mined). */
async function fund(address: string): Promise<void> {
  const response = await fetch("/faucet", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ address }),
  });
  if (response.ok || response.status === 409) return; // 409: funded already
  const body = (await response.json().catch(() => ({}))) as { error?: string };
  throw new FaucetError(response.status, body.error ?? response.statusText);
}

async function open(
  config: WalletConfig,
  kind: SignerKind,
  signer: Signer | ChannelSigner,
  sender: Signer,
  chain: JsonRpcProvider,
): Promise<Connected> {
  const address = "getAddress" in signer ? await signer.getAddress() : signer.address;
  const store = await IndexedDbStore.open(`switchyard-web-wallet-${address.toLowerCase()}`);
  try {
    const client = await SwitchyardClient.connect({ node: nodeUrl(), signer, sender, store, chain });
    if (client.nodeInfo.node.toLowerCase() !== config.node.toLowerCase()) {
      await client.disconnect();
      throw new NodeMismatchError(client.nodeInfo.node, config.node);
    }
    return { client, kind, chain, sender, store };
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
}

/** Connects with this browser's test key, funding it first when its account is empty. */
export async function connectTestKey(config: WalletConfig): Promise<Connected> {
  const chain = chainProvider(config);
  const wallet = new Wallet(testKey(), chain);
  if ((await chain.getBalance(wallet.address)) === 0n) await fund(wallet.address);
  return open(config, "test key", wallet, wallet, chain);
}

/** Connects with the injected wallet's account (asks the wallet for access; it must be on the demo's chain). */
export async function connectInjected(config: WalletConfig): Promise<Connected> {
  const ethereum = (globalThis as { ethereum?: Eip1193Provider }).ethereum;
  if (ethereum === undefined) throw new NoInjectedWalletError();
  const signer: ChannelSigner = await Eip1193Signer.connect(ethereum);
  const walletChain = BigInt((await ethereum.request({ method: "eth_chainId" })) as string);
  if (walletChain !== BigInt(config.chainId))
    throw new WalletError(
      "wrong-chain",
      "eth_chainId",
      `the wallet is on chain ${walletChain}, the channel's chain is ${config.chainId}: switch the wallet to it`,
    );
  const browser = new BrowserProvider(ethereum, Number(config.chainId), { pollingInterval: 500 });
  const sender = await browser.getSigner(signer.address);
  const chain = chainProvider(config);
  // A local chain: an empty account gets the faucet's ETH, as a test key does.
  if ((await chain.getBalance(signer.address)) === 0n) await fund(signer.address);
  return open(config, "browser wallet", signer, sender, chain);
}

/** Whether the page has an injected wallet. */
export function hasInjectedWallet(): boolean {
  return (globalThis as { ethereum?: unknown }).ethereum !== undefined;
}
