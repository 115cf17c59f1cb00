/**
 * An in-process node service over real sockets (127.0.0.1, port 0) for the sequencing tests: the node's store
 * is a real SQLite file, its signer and the clients' signers are wrapped so every signature either side ever
 * produced is logged, and the chain is a stand-in that answers the channel's deposit reads (the real-process
 * tests use a real chain).
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { AbiCoder, Wallet, ZeroAddress, id, keccak256 } from "ethers";
import { pino } from "pino";
import WebSocket from "ws";

import { channelInterface } from "../../../src/chain/abi.js";
import { DEFAULT_WIRE_LIMITS, type WireLimits } from "../../../src/node/options.js";
import { NodeService } from "../../../src/node/service.js";
import { walletSigner, type CallProvider, type ChannelSigner } from "../../../src/protocol/signing.js";
import { openNodeStore, type StoreLocation } from "../../../src/node/store.js";
import { MemoryStore, type SwitchyardStore } from "../../../src/stores/store.js";
import { ClientSession } from "../../../src/wire/session.js";
import { ADDRESSES, nodeWallet } from "./harness.js";

const abi = AbiCoder.defaultAbiCoder();

/** One signature a signer produced: for which channel (the EIP-712 domain), which payload type, its nonce, the digest. */
export interface SignatureEntry {
  signer: string;
  channel: string;
  primaryType: string;
  nonce: string;
  digest: string;
}

/** Wraps `wallet`'s signer so every signature is appended to `log`. */
export function loggingSigner(wallet: Wallet, log: SignatureEntry[]): ChannelSigner {
  const inner = walletSigner(wallet);
  return {
    address: inner.address,
    sign: async (request) => {
      const nonce = request.message.nonce;
      log.push({
        signer: inner.address,
        channel: String(request.domain.verifyingContract ?? ""),
        primaryType: request.primaryType,
        nonce: typeof nonce === "bigint" ? nonce.toString() : String(nonce),
        digest: request.digest,
      });
      return inner.sign(request);
    },
  };
}

/** Every (signer, channel, payload type, nonce) signed with more than one digest: must be empty. */
export function doubleSigned(log: readonly SignatureEntry[]): string[] {
  const seen = new Map<string, string>();
  const bad: string[] = [];
  for (const e of log) {
    const key = `${e.signer}/${e.channel}/${e.primaryType}/${e.nonce}`;
    const prior = seen.get(key);
    if (prior === undefined) seen.set(key, e.digest);
    else if (prior !== e.digest) bad.push(key);
  }
  return bad;
}

/** A stand-in chain that answers totalDepositsAlice / totalDepositsBob of any channel from `deposits`. */
export function depositChain(deposits: { alice: bigint; bob: bigint }): CallProvider {
  return {
    call: async ({ data }) => {
      const tx = channelInterface.parseTransaction({ data });
      if (tx?.name === "totalDepositsAlice") return abi.encode(["uint256"], [deposits.alice]);
      if (tx?.name === "totalDepositsBob") return abi.encode(["uint256"], [deposits.bob]);
      throw new Error(`the stand-in chain answers deposit reads only, not ${tx?.name ?? data.slice(0, 10)}`);
    },
  };
}

export const LIMITS = {
  minTimeout: 3_600n,
  maxTimeout: 2_592_000n,
  assets: new Map([[ZeroAddress, { channelCapacity: 100n * 10n ** 18n, transferCap: 10n * 10n ** 18n }]]),
};

export interface InProcessNode {
  service: NodeService;
  url: string;
  store: SwitchyardStore;
  file: string;
  stop(): Promise<void>;
}

export async function tempFile(name: string): Promise<string> {
  return path.join(await mkdtemp(path.join(tmpdir(), "switchyard-wire-")), name);
}

export async function startInProcessNode(
  options: {
    file?: string;
    signer?: ChannelSigner;
    chain?: CallProvider;
    intentWaitMs?: number;
    routing?: boolean;
    peerTimeoutMs?: number;
    /** Another store than the SQLite file (`file` is then only a label). */
    location?: StoreLocation;
    /** The routing clock (startNode: the chain's time); default the system clock. */
    routingClock?: () => bigint;
    /** Wire limits over the tests' defaults (e.g. maxPaymentsInFlight). */
    wire?: Partial<WireLimits>;
  } = {},
): Promise<InProcessNode> {
  const file = options.file ?? (await tempFile("node.sqlite"));
  const location: StoreLocation = options.location ?? { kind: "sqlite", url: file };
  const store = await openNodeStore(location);
  const service = await NodeService.start({
    name: "Switchyard test node",
    host: "127.0.0.1",
    port: 0,
    chainId: 31337n,
    wallet: nodeWallet,
    ...(options.signer !== undefined ? { signer: options.signer } : {}),
    deployment: { addresses: ADDRESSES, limits: LIMITS },
    fees: { default: { flat: 0n, ppm: 0n }, assets: new Map() },
    collateral: [],
    channelTimeout: 86_400n,
    store: location,
    openedStore: store,
    wire: { ...DEFAULT_WIRE_LIMITS, ratePerSecond: 10_000, burst: 10_000, maxInFlight: 64, ...options.wire },
    ...(options.chain !== undefined ? { chain: options.chain } : {}),
    ...(options.intentWaitMs !== undefined ? { intentWaitMs: options.intentWaitMs } : {}),
    ...(options.routing !== undefined ? { routing: options.routing } : {}),
    ...(options.peerTimeoutMs !== undefined ? { peerTimeoutMs: options.peerTimeoutMs } : {}),
    ...(options.routingClock !== undefined ? { routingClock: options.routingClock } : {}),
    routingTickMs: 500,
    logger: pino({ level: "silent" }),
  });
  return {
    service,
    url: `ws://127.0.0.1:${service.address.port}/v1`,
    store,
    file,
    stop: () => service.drain(),
  };
}

/**
 * The in-process node most wire tests start before each test: signing with the node's wallet through a logging
 * signer (the log emptied first, so each test reads only its own signatures) on the stand-in chain that answers
 * `deposits`; `options` adds to or overrides that.
 */
export function startLoggedNode(
  log: SignatureEntry[],
  deposits: { alice: bigint; bob: bigint },
  options: Parameters<typeof startInProcessNode>[0] = {},
): Promise<InProcessNode> {
  log.length = 0;
  return startInProcessNode({ signer: loggingSigner(nodeWallet, log), chain: depositChain(deposits), ...options });
}

export function clientWalletOf(name: string): Wallet {
  return new Wallet(keccak256(id(`switchyard wire test ${name}`)));
}

export async function session(
  url: string,
  signer: ChannelSigner,
  store: SwitchyardStore = new MemoryStore(),
  clock?: () => bigint,
  /** What the client reads of deposits: by default the stand-in chain of the in-process nodes' tests. */
  chain: CallProvider = depositChain({ alice: 10n * 10n ** 18n, bob: 10n * 10n ** 18n }),
): Promise<ClientSession> {
  return ClientSession.connect({
    url,
    WebSocket: WebSocket as never,
    signer,
    store,
    chain,
    timeoutMs: 20_000,
    ...(clock !== undefined ? { clock } : {}),
  });
}
