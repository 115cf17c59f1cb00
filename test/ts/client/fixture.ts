/**
 * A whole network for the client tests: anvil on a free 127.0.0.1 port with the contracts deployed, the node as
 * its own process (src/cli/main.ts under the watchdog, listening on a port chosen free for it so a restart keeps
 * the URL), and funded user wallets. Every process stops with the test (and on its own after its lifetime).
 */
import { expect } from "chai";
import { JsonRpcProvider, NonceManager, Wallet, ZeroAddress, id, keccak256, type Signer } from "ethers";
import WebSocket from "ws";

import { freePort, type LocalNode } from "../../../scripts/lib/local-node.js";
import { SwitchyardClient, type ClientEvents, type ClientOptions, type ConnectionEvent } from "../../../src/client/index.js";
import { MemoryStore, type SwitchyardStore } from "../../../src/stores/store.js";
import { deploy, nodeWallet, startChain, startNodeProcess, writeConfig, type NodeProcess } from "../node/harness.js";

export const ETH = 10n ** 18n;
/** The channels' dispute timeout (and the deployment's minimum). */
export const T = 3_600n;
export const LIMIT = { asset: ZeroAddress, channelCapacity: 100n * ETH, transferCap: 10n * ETH };

export interface Network {
  chain: LocalNode;
  provider: JsonRpcProvider;
  funder: Signer;
  addresses: Record<string, string>;
  config: string;
  node: NodeProcess;
  port: number;
  url: string;
  /** Stops the node process (SIGKILL when `kill`), leaving its store. */
  stopNode(kill?: boolean): Promise<void>;
  /** Starts the node again on the same config and port. */
  restartNode(): Promise<void>;
  /** A funded wallet (10 ETH by default), connected to the chain. */
  user(name: string, value?: bigint): Promise<Wallet>;
  stop(): Promise<void>;
}

export async function startNetwork(overrides: Record<string, unknown> = {}): Promise<Network> {
  const chain = await startChain();
  const provider = new JsonRpcProvider(chain.url, 31337, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 100 });
  const funder = new NonceManager(await provider.getSigner(0));
  const factory = await deploy("ChannelFactory", "ChannelFactory", funder, [LIMIT], T, 30n * 86_400n);
  const hashlock = await deploy("HashlockResolver", "resolvers/HashlockResolver", funder);
  const signed = await deploy("SignedTransferResolver", "resolvers/SignedTransferResolver", funder);
  const addresses = {
    ChannelFactory: await factory.getAddress(),
    ChannelMastercopy: (await factory.getFunction("mastercopy")()) as string,
    HashlockResolver: await hashlock.getAddress(),
    SignedTransferResolver: await signed.getAddress(),
  };
  await (await funder.sendTransaction({ to: nodeWallet.address, value: 50n * ETH })).wait();
  const port = await freePort();
  const config = await writeConfig(chain.url, {
    listen: { host: "127.0.0.1", port },
    deployment: {
      addresses,
      limits: {
        minTimeout: T.toString(),
        maxTimeout: (30n * 86_400n).toString(),
        assets: [{ asset: ZeroAddress, channelCapacity: LIMIT.channelCapacity.toString(), transferCap: LIMIT.transferCap.toString() }],
      },
    },
    channelTimeout: T.toString(),
    collateral: [{ asset: ZeroAddress, min: ETH.toString(), target: (2n * ETH).toString(), max: (5n * ETH).toString() }],
    // The node's own watcher polls rarely here: the client's watcher is the one under test.
    watcher: { pollSeconds: 3_600 },
    transactions: { receiptPollMs: 200 },
    wire: { ratePerSecond: 1000, burst: 1000, maxInFlight: 64 },
    ...overrides,
  });
  let node = await startNodeProcess(config);
  let users = 0;
  const net: Network = {
    chain,
    provider,
    funder,
    addresses,
    config,
    get node() {
      return node;
    },
    port,
    url: `ws://127.0.0.1:${port}/v1`,
    stopNode: async (kill = false) => {
      if (kill) {
        node.signal("SIGKILL");
        await node.exited;
      } else await node.stop();
    },
    restartNode: async () => {
      node = await startNodeProcess(config);
    },
    user: async (name, value = 10n * ETH) => {
      const wallet = new Wallet(keccak256(id(`switchyard client test ${name} ${users++}`)), provider);
      await (await funder.sendTransaction({ to: wallet.address, value })).wait();
      return wallet;
    },
    stop: async () => {
      await node.stop().catch(() => undefined);
      await chain.stop();
    },
  };
  return net;
}

/** A client of `net` for `wallet` (its own signer and gas payer) on `store`. */
export function connectClient(
  net: Network,
  wallet: Wallet,
  store: SwitchyardStore = new MemoryStore(),
  options: Partial<ClientOptions> = {},
): Promise<SwitchyardClient> {
  return SwitchyardClient.connect({
    node: net.url,
    signer: wallet,
    store,
    chain: net.provider,
    WebSocket: WebSocket as never,
    reconnect: { initialMs: 100, maxMs: 1_000 },
    watchIntervalMs: 500,
    requestTimeoutMs: 20_000,
    ...options,
  });
}

/** Every `event` the client emits from now on. */
export function collect<E extends keyof ClientEvents>(client: SwitchyardClient, event: E): Array<ClientEvents[E]> {
  const seen: Array<ClientEvents[E]> = [];
  client.on(event, (e) => seen.push(e));
  return seen;
}

/** Awaits `promise`, which must reject with a `type`; returns the error. */
export async function rejects<E extends Error>(promise: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  try {
    await promise;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(type);
    return error as E;
  }
  expect.fail(`expected a ${type.name}`);
}

export const statuses = (events: ConnectionEvent[]): string[] => events.map((e) => e.status);

/** A client suite's network and the clients to disconnect after it (`clientSuite`). */
export interface ClientSuite {
  /** The suite's network (started before its first test). */
  readonly net: Network;
  /** The clients disconnected after the suite. */
  readonly clients: SwitchyardClient[];
  /** `connectClient` on the suite's network; the client is disconnected after the suite. */
  connect(wallet: Wallet, store?: SwitchyardStore, options?: Partial<ClientOptions>): Promise<SwitchyardClient>;
  /** A funded user (10 ETH, or `value`) and its client on `store`, with its own `deposit` made (none for 0). */
  funded(
    name: string,
    deposit?: bigint,
    opts?: { value?: bigint; store?: MemoryStore; options?: Partial<ClientOptions> },
  ): Promise<{ client: SwitchyardClient; wallet: Wallet; store: MemoryStore }>;
  /** Something else to close after the suite: after its clients, before its network (a relay). */
  onStop(close: () => Promise<unknown>): void;
}

/**
 * The set-up every client e2e suite shares: registers (in the calling `describe`) a `before` that starts the
 * network with `overrides`, and an `after` that disconnects the suite's clients, closes what `onStop` named and
 * stops the network.
 */
export function clientSuite(overrides: Record<string, unknown> = {}): ClientSuite {
  let net: Network | undefined;
  const clients: SwitchyardClient[] = [];
  const closers: Array<() => Promise<unknown>> = [];
  before(async () => {
    net = await startNetwork(overrides);
  });
  after(async () => {
    for (const c of clients) await c.disconnect().catch(() => undefined);
    for (const close of closers) await close().catch(() => undefined);
    await net?.stop();
  });
  const suite: ClientSuite = {
    get net(): Network {
      if (net === undefined) throw new Error("the suite's network starts in its before hook");
      return net;
    },
    clients,
    connect: async (wallet, store = new MemoryStore(), options = {}) => {
      const client = await connectClient(suite.net, wallet, store, options);
      clients.push(client);
      return client;
    },
    funded: async (name, deposit = 2n * ETH, opts = {}) => {
      const wallet = await suite.net.user(name, opts.value);
      const store = opts.store ?? new MemoryStore();
      const client = await suite.connect(wallet, store, opts.options ?? {});
      if (deposit > 0n) await client.deposit({ asset: ZeroAddress, amount: deposit });
      return { client, wallet, store };
    },
    onStop: (close) => void closers.push(close),
  };
  return suite;
}
