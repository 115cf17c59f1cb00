/**
 * The node's channels with its clients, kept in the node's durable store (SQLite or PostgreSQL): the node is
 * `alice` (it deposits through tracked calls), the client `bob`; the address is the CREATE2 address the factory
 * will deploy (src/protocol/channelAddress.ts) with the salt CHANNEL_SALT, so a client can fund it before it
 * exists. Every channel the store holds is reopened at start (`load`), with its pending signature, so a node
 * proposal that was never answered is re-delivered unchanged. Each channel has its sequencer
 * (src/node/sequencer.ts). Deposits are reconciled only against the chain (the channel's on-chain totals).
 */
import type { BaseWallet } from "ethers";

import { Channel, type DepositReader, type Proposal } from "../channel/channel.js";
import { ChannelReader } from "../chain/reader.js";
import { checksum } from "../protocol/address.js";
import { computeChannelAddress } from "../protocol/channelAddress.js";
import { DepositError } from "../protocol/errors.js";
import type { SignedWithdraw } from "../protocol/record.js";
import { walletSigner, type CallProvider, type ChannelSigner } from "../protocol/signing.js";
import type { DeploymentLimits, ResolverPolicy } from "../protocol/types.js";
import type { SwitchyardStore } from "../stores/store.js";
import type { ChannelInfo, RestoreResult } from "../wire/methods.js";
import { ChannelSequencer } from "./sequencer.js";

/** The salt of a client's first channel with the node (32 zero bytes: one channel per node and client). */
export const CHANNEL_SALT = "0x" + "00".repeat(32);

export interface NodeChannelsOptions {
  chainId: bigint;
  wallet: BaseWallet;
  factory: string;
  mastercopy: string;
  limits: DeploymentLimits;
  resolvers: readonly ResolverPolicy[];
  /** The dispute timeout of the channels the node opens. */
  timeout: bigint;
  store: SwitchyardStore;
  storeKind: string;
  /** Signs the node's channel payloads (default: the wallet's key in this process). */
  signer?: ChannelSigner;
  /** Reads deposits on chain; without it the node refuses every deposit intent. */
  chain?: CallProvider;
  /** Pushes a node proposal to the client's sockets. */
  push(client: string, proposal: Proposal): void;
  /** How long an intent waits for the node's unanswered proposal (default 10 s). */
  intentWaitMs?: number;
  clock?: () => bigint;
  /** Several node processes on one database: which channels this process holds the lock of now. */
  cluster?: { holds(channel: string): boolean };
}

export class NodeChannels {
  private readonly open = new Map<string, Promise<ChannelSequencer>>();

  constructor(private readonly options: NodeChannelsOptions) {}

  get store(): SwitchyardStore {
    return this.options.store;
  }

  /** Reopens every channel the store holds (at start); returns how many. */
  async load(): Promise<number> {
    const addresses = await this.options.store.channels();
    let n = 0;
    for (const address of addresses) {
      const record = await this.options.store.load(address);
      if (record === undefined || record.me !== "alice" || checksum(record.setup.alice) !== this.options.wallet.address)
        continue;
      await this.sequencerOf(record.setup.bob);
      n++;
    }
    return n;
  }

  /** The sequencer of `client`'s channel if it is open in this process (never creates one). */
  opened(client: string): Promise<ChannelSequencer> | undefined {
    return this.open.get(checksum(client));
  }

  /** The clients the node has a channel with (opened so far). */
  clients(): string[] {
    return [...this.open.keys()];
  }

  /** The channel address of `client` (checksummed) with this node. */
  addressOf(client: string): string {
    const o = this.options;
    return computeChannelAddress(o.factory, o.mastercopy, o.wallet.address, client, CHANNEL_SALT);
  }

  /** The client's channel and its sequencer, created at its genesis state on first use (once under concurrency). */
  sequencerOf(client: string): Promise<ChannelSequencer> {
    const key = checksum(client);
    let sequencer = this.open.get(key);
    if (sequencer === undefined) {
      sequencer = this.openOrCreate(key);
      this.open.set(key, sequencer);
      sequencer.catch(() => this.open.delete(key));
    }
    return sequencer;
  }

  async channelOf(client: string): Promise<Channel> {
    return (await this.sequencerOf(client)).channel;
  }

  /**
   * The client's channel as the database holds it now: in a cluster another process may have moved it, so it is
   * re-read unless this process holds its lock (then this process's copy is the newest).
   */
  async current(client: string): Promise<Channel> {
    const channel = await this.channelOf(client);
    const cluster = this.options.cluster;
    if (cluster !== undefined && !cluster.holds(channel.address)) await channel.reload();
    return channel;
  }

  async info(client: string): Promise<ChannelInfo> {
    const channel = await this.current(client);
    const setup = channel.channelSetup;
    const latest = channel.latest;
    return {
      channel: setup.channel,
      alice: setup.alice,
      bob: setup.bob,
      salt: CHANNEL_SALT,
      chainId: setup.chainId,
      timeout: setup.timeout,
      nonce: channel.state.nonce,
      ...(latest !== undefined ? { latest } : {}),
      store: this.options.storeKind,
    };
  }

  /** What a client with an empty store needs to rebuild its side: latest state, active transfers, withdrawals. */
  async restore(client: string): Promise<RestoreResult> {
    const channel = await this.current(client);
    const record = await this.options.store.load(channel.address);
    const setup = channel.channelSetup;
    const withdrawals: SignedWithdraw[] = record?.withdrawals ?? [];
    return {
      channel: setup.channel,
      alice: setup.alice,
      bob: setup.bob,
      salt: CHANNEL_SALT,
      chainId: setup.chainId,
      timeout: setup.timeout,
      ...(channel.latest !== undefined ? { latest: channel.latest } : {}),
      transfers: channel.transfers.list().map((t) => t.transfer),
      withdrawals,
      nextWithdrawNonce: record?.nextWithdrawNonce ?? 1n,
      closed: channel.isClosed,
    };
  }

  private async openOrCreate(client: string): Promise<ChannelSequencer> {
    const o = this.options;
    const address = this.addressOf(client);
    const config = {
      setup: { chainId: o.chainId, channel: address, alice: o.wallet.address, bob: client, timeout: o.timeout },
      me: "alice" as const,
      signer: o.signer ?? walletSigner(o.wallet),
      store: o.store,
      limits: o.limits,
      resolvers: o.resolvers,
      ...(o.clock !== undefined ? { clock: o.clock } : {}),
      ...(o.chain !== undefined ? { chain: o.chain, deposits: depositReader(o.chain, address) } : {}),
    };
    let channel: Channel;
    if ((await o.store.load(address)) !== undefined) channel = await Channel.open(config);
    else {
      try {
        channel = await Channel.create(config);
      } catch (error) {
        // Another node process of the cluster created it meanwhile: open what it stored.
        if (o.cluster === undefined) throw error;
        o.store.evict?.(address);
        channel = await Channel.open(config);
      }
    }
    return new ChannelSequencer(channel, {
      push: (proposal) => o.push(client, proposal),
      intentWaitMs: o.intentWaitMs ?? 10_000,
    });
  }
}

/** The channel's cumulative on-chain deposits; a channel not deployed yet (no code) holds no reconcilable deposit. */
function depositReader(chain: CallProvider, channel: string): DepositReader {
  const reader = new ChannelReader(chain, channel);
  return async (asset) => {
    try {
      const [alice, bob] = await Promise.all([reader.totalDepositsAlice(asset), reader.totalDepositsBob(asset)]);
      return { alice, bob };
    } catch (error) {
      throw new DepositError(
        asset,
        `cannot read the channel's deposits on chain (deployed?): ${(error as Error).message.slice(0, 200)}`,
      );
    }
  };
}
